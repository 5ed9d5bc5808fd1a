using System.Globalization;
using MarlEdge.Runtime.Config;

namespace MarlEdge.Runtime.Control;

/// <summary>
/// Every value the device can read in a period, by name (detector counts, signal state, I2C readings, CPU temperature, constants),
/// each given a slot in one float array (the <em>frame</em>) that the loop fills every period without allocating. Observation
/// features and the reward formula are compiled to slot indices.
/// </summary>
public sealed class SourceCatalog
{
    readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    readonly List<float> _constants = [];
    readonly List<int> _constantSlots = [];

    public int Count => _slots.Count;
    public IReadOnlyDictionary<string, int> Slots => _slots;

    public SourceCatalog(DeviceConfig config)
    {
        foreach (var d in config.Detectors) Add($"detector.{d.Name}.count");
        foreach (var s in config.I2c)
            foreach (var m in I2cMeasures(s.Type)) Add($"i2c.{s.Name}.{m}");
        foreach (var s in config.Spi)
            foreach (int ch in s.Channels) Add($"spi.{s.Name}.ch{ch}");
        Add("cpu.temperature");
        if (config.Signal is { } sig)
        {
            foreach (var p in sig.Phases) Add($"signal.phase.{p.Name}");
            Add("signal.green_elapsed");
            Add("signal.in_clearance");
        }
        if (config.Actuator is { } act)
            for (int k = 0; k < act.Actions.Count; k++) Add($"action.current.{k}");
    }

    public static string[] I2cMeasures(string type) => type switch
    {
        "lm75" => ["temperature"],
        "ina219" => ["bus_voltage", "current", "power"],
        _ => [],
    };

    int Add(string name)
    {
        if (!_slots.TryGetValue(name, out int slot)) _slots[name] = slot = _slots.Count;
        return slot;
    }

    /// <summary>The slot of a source, adding const.&lt;value&gt; sources on first use. Null (and why) when the name is unknown.</summary>
    public int? Resolve(string name, out string? why)
    {
        why = null;
        if (_slots.TryGetValue(name, out int slot)) return slot;
        if (name.StartsWith("const.", StringComparison.Ordinal) &&
            float.TryParse(name.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out float c))
        {
            slot = Add(name);
            _constants.Add(c);
            _constantSlots.Add(slot);
            return slot;
        }
        string prefix = name.Split('.')[0];
        var known = _slots.Keys.Where(k => k.StartsWith(prefix + ".", StringComparison.Ordinal)).Take(6).ToArray();
        why = $"unknown source '{name}'" + (known.Length > 0 ? $" (known {prefix} sources: {string.Join(", ", known)}{(known.Length == 6 ? ", …" : "")})" : "");
        return null;
    }

    public int SlotOf(string name) => _slots[name];

    public float[] NewFrame()
    {
        var frame = new float[Math.Max(1, _slots.Count)];
        WriteConstants(frame);
        return frame;
    }

    public void WriteConstants(float[] frame)
    {
        for (int i = 0; i < _constantSlots.Count; i++) frame[_constantSlots[i]] = _constants[i];
    }
}

/// <summary>obs[i] = frame[slot_i] · scale_i + offset_i, in the order of the bundle's observation spec. Allocation-free.</summary>
public sealed class ObservationBuilder
{
    readonly int[] _slots;
    readonly float[] _scale, _offset;
    public int Dim => _slots.Length;

    public ObservationBuilder(IReadOnlyList<FeatureConfig> features, SourceCatalog catalog)
    {
        _slots = new int[features.Count];
        _scale = new float[features.Count];
        _offset = new float[features.Count];
        for (int i = 0; i < features.Count; i++)
        {
            _slots[i] = catalog.Resolve(features[i].Source, out var why) ?? throw new ArgumentException(why);
            _scale[i] = features[i].Scale;
            _offset[i] = features[i].Offset;
        }
    }

    public void Build(ReadOnlySpan<float> frame, Span<float> obs)
    {
        for (int i = 0; i < _slots.Length; i++) obs[i] = frame[_slots[i]] * _scale[i] + _offset[i];
    }

    /// <summary>Checks the config's features against the bundle's observation spec: same names, same order. Null when they agree.</summary>
    public static string? Mismatch(IReadOnlyList<FeatureConfig> config, IReadOnlyList<string> bundle)
    {
        if (config.Count != bundle.Count)
            return $"the config builds {config.Count} observation features, the bundle's agent expects {bundle.Count} ({string.Join(", ", bundle)})";
        for (int i = 0; i < config.Count; i++)
            if (config[i].Feature != bundle[i])
                return $"observation feature {i} is '{config[i].Feature}' in the config (line {config[i].Line}), '{bundle[i]}' in the bundle";
        return null;
    }
}

/// <summary>
/// The local reward formula from the config, compiled once to a small stack program over frame slots: numbers, source names,
/// + − * /, unary minus, parentheses, and min(a,b), max(a,b), abs(a). Evaluating allocates nothing.
/// </summary>
public sealed class RewardFormula
{
    enum Op : byte { Push, Load, Add, Sub, Mul, Div, Neg, Min, Max, Abs }
    readonly (Op Op, float Value, int Slot)[] _code;
    readonly float[] _stack;
    public string Text { get; }

    RewardFormula(string text, List<(Op, float, int)> code)
    {
        Text = text;
        _code = code.ToArray();
        _stack = new float[Math.Max(1, code.Count)];
    }

    public float Evaluate(ReadOnlySpan<float> frame)
    {
        int sp = 0;
        var s = _stack;
        foreach (var (op, value, slot) in _code)
        {
            switch (op)
            {
                case Op.Push: s[sp++] = value; break;
                case Op.Load: s[sp++] = frame[slot]; break;
                case Op.Neg: s[sp - 1] = -s[sp - 1]; break;
                case Op.Abs: s[sp - 1] = MathF.Abs(s[sp - 1]); break;
                default:
                    float b = s[--sp], a = s[sp - 1];
                    s[sp - 1] = op switch { Op.Add => a + b, Op.Sub => a - b, Op.Mul => a * b, Op.Div => b == 0 ? 0 : a / b, Op.Min => MathF.Min(a, b), _ => MathF.Max(a, b) };
                    break;
            }
        }
        return sp == 1 ? s[0] : 0;
    }

    /// <summary>Compiles the formula; a syntax error or an unknown source is a <see cref="FormatException"/> naming it.</summary>
    public static RewardFormula Compile(string text, SourceCatalog catalog)
    {
        var code = new List<(Op, float, int)>();
        int pos = 0;
        void Ws() { while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++; }
        bool Eat(char c) { Ws(); if (pos < text.Length && text[pos] == c) { pos++; return true; } return false; }
        void Expr()
        {
            Term();
            while (true)
            {
                if (Eat('+')) { Term(); code.Add((Op.Add, 0, 0)); }
                else if (Eat('-')) { Term(); code.Add((Op.Sub, 0, 0)); }
                else return;
            }
        }
        void Term()
        {
            Unary();
            while (true)
            {
                if (Eat('*')) { Unary(); code.Add((Op.Mul, 0, 0)); }
                else if (Eat('/')) { Unary(); code.Add((Op.Div, 0, 0)); }
                else return;
            }
        }
        void Unary()
        {
            if (Eat('-')) { Unary(); code.Add((Op.Neg, 0, 0)); return; }
            if (Eat('+')) { Unary(); return; }
            Atom();
        }
        void Atom()
        {
            Ws();
            if (Eat('(')) { Expr(); if (!Eat(')')) throw new FormatException($"reward formula: missing ')' at {pos}"); return; }
            int start = pos;
            if (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] == '.'))
            {
                while (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] is '.' or 'e' or 'E' || (text[pos] is '-' or '+' && text[pos - 1] is 'e' or 'E'))) pos++;
                if (!float.TryParse(text.AsSpan(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new FormatException($"reward formula: bad number '{text[start..pos]}'");
                code.Add((Op.Push, v, 0));
                return;
            }
            while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] is '_' or '.')) pos++;
            string name = text[start..pos];
            if (name.Length == 0) throw new FormatException(pos >= text.Length ? "reward formula: ends too early" : $"reward formula: unexpected '{text[pos]}' at {pos}");
            if (name is "min" or "max" or "abs")
            {
                if (!Eat('(')) throw new FormatException($"reward formula: {name} needs '('");
                Expr();
                if (name != "abs") { if (!Eat(',')) throw new FormatException($"reward formula: {name} needs two arguments"); Expr(); }
                if (!Eat(')')) throw new FormatException($"reward formula: missing ')' after {name}(");
                code.Add((name == "min" ? Op.Min : name == "max" ? Op.Max : Op.Abs, 0, 0));
                return;
            }
            int slot = catalog.Resolve(name, out var why) ?? throw new FormatException($"reward formula: {why}");
            code.Add((Op.Load, 0, slot));
        }
        Expr();
        Ws();
        if (pos != text.Length) throw new FormatException($"reward formula: unexpected '{text[pos]}' at {pos}");
        return new RewardFormula(text, code);
    }
}
