using System.Globalization;

namespace MarlEdge.Shared.Games;

/// <summary>
/// An environment spec string <c>name:key=value,key=value,flag</c>, for example
/// <c>random-sg:states=30,agents=3,actions=5,seed=0</c>. Everything after the first ':' is the argument text.
/// </summary>
public sealed class EnvSpec
{
    public string Text { get; }
    public string Name { get; }
    public string Argument { get; }
    readonly Dictionary<string, string> _values = new();
    readonly HashSet<string> _flags = new();
    readonly HashSet<string> _used = new();

    EnvSpec(string text, string name, string argument)
    {
        Text = text; Name = name; Argument = argument;
    }

    public static EnvSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new GameFormatException("the environment spec is empty");
        int colon = text.IndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        string arg = colon < 0 ? "" : text[(colon + 1)..];
        return new EnvSpec(text, name.Trim(), arg);
    }

    /// <summary>Reads the argument as a comma-separated key=value list.</summary>
    public EnvSpec WithKeyValues()
    {
        foreach (var part in Argument.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 0) _flags.Add(part);
            else _values[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return this;
    }

    public int Int(string key, int? fallback = null)
    {
        _used.Add(key);
        if (!_values.TryGetValue(key, out var v))
            return fallback ?? throw new GameFormatException($"env '{Text}': missing '{key}=<integer>'");
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            ? x : throw new GameFormatException($"env '{Text}': '{key}' must be an integer, got '{v}'");
    }

    public double Double(string key, double fallback)
    {
        _used.Add(key);
        if (!_values.TryGetValue(key, out var v)) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x)
            ? x : throw new GameFormatException($"env '{Text}': '{key}' must be a number, got '{v}'");
    }

    public bool Flag(string flag)
    {
        _used.Add(flag);
        return _flags.Contains(flag);
    }

    /// <summary>Refuses keys and flags that the environment did not ask for, so a typo never passes silently.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Concat(_flags).Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new GameFormatException($"env '{Text}': unknown option '{unknown[0]}'");
    }
}
