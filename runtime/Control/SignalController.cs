using System.Device.Gpio;
using MarlEdge.Runtime.Config;

namespace MarlEdge.Runtime.Control;

/// <summary>What the runtime drives: a signal controller or a generic discrete actuator. Only the control thread calls it,
/// except <see cref="FlashTick"/>, which the fail-safe flasher calls once control is lost.</summary>
public interface IDeviceController
{
    int ActionCount { get; }
    /// <summary>1 for each action the safety layer allows now, 0 otherwise; fed to the policy graph as action_mask.</summary>
    void FillMask(Span<float> mask);
    /// <summary>Applies the requested action through the safety layer and advances dt seconds; drives the outputs.</summary>
    void Step(int requestedAction, double dt);
    /// <summary>The fixed-time fallback controller's request for this period.</summary>
    int FallbackAction(double dt);
    /// <summary>Writes the controller's own sources (current phase, elapsed green, clearance) into the frame.</summary>
    void WriteSources(Span<float> frame);
    /// <summary>The conflict monitor: reads the outputs back and checks them. Null when they are sound, else what is wrong.</summary>
    string? Monitor();
    /// <summary>Outputs to the fail-safe state (all-red flash for a signal); latched until restart.</summary>
    void EnterFailSafe(string reason);
    bool InFailSafe { get; }
    string? FailSafeReason { get; }
    /// <summary>One half period of the fail-safe flash.</summary>
    void FlashTick();
    TimeSpan FlashHalfPeriod { get; }
    /// <summary>After the watchdog flashed the outputs: restart the sequence from all-red, the same phase next.</summary>
    void Resync();
    /// <summary>Drives the configured safe state on shutdown.</summary>
    void DriveSafeState(string mode);
    /// <summary>The action being served now (the green phase, or the actuator pattern).</summary>
    int CurrentAction { get; }
}

/// <summary>
/// The signal controller's safety layer. The policy only names the next green phase; this class runs the phase sequence itself:
/// green → yellow → all-red → green, minimum and maximum green, and groups that are green in both phases stay green through the
/// change. Outputs go to red/yellow/green GPIO lines per signal group, ordered so that a change never shows two indications that
/// conflict even for an instant (reds on and greens off first). <see cref="Monitor"/> is the conflict monitor, in the spirit of a
/// NEMA TS2 MMU: it reads the lines back and checks the conflict matrix, that every group shows exactly one indication, and that
/// nothing is green during clearance that should not be; any failure latches the all-red flash.
/// </summary>
public sealed class SignalController : IDeviceController
{
    enum Stage { Green, Yellow, AllRed }

    readonly SignalConfig _cfg;
    readonly GpioController _gpio;
    readonly PinValue _on, _off;
    readonly int _groups;
    readonly bool[,] _phaseHas;          // [phase, group]
    readonly bool[,] _conflict;          // [group, group]
    readonly int[] _planPhase;
    readonly double[] _planGreen;
    readonly PinValuePair[] _writes;
    readonly byte[] _want;               // per group: 0 red, 1 yellow, 2 green
    readonly int[] _phaseSlots;
    readonly int _elapsedSlot, _clearanceSlot;
    Stage _stage = Stage.AllRed;
    int _phase, _next;
    double _elapsed;                     // seconds in the current stage
    int _planIndex;
    volatile bool _failSafe;
    bool _flashOn;
    public string? FailSafeReason { get; private set; }
    public long Conflicts;

    public int ActionCount => _cfg.Phases.Count;
    public bool InFailSafe => _failSafe;
    public TimeSpan FlashHalfPeriod => TimeSpan.FromMilliseconds(_cfg.FlashPeriodMs);
    public int CurrentAction => _stage == Stage.Green ? _phase : _next;
    public int GreenPhase => _stage == Stage.Green ? _phase : -1;
    public string StageName => _stage.ToString();

    public SignalController(SignalConfig cfg, GpioController gpio, SourceCatalog catalog)
    {
        _cfg = cfg;
        _gpio = gpio;
        _on = cfg.ActiveLow ? PinValue.Low : PinValue.High;
        _off = cfg.ActiveLow ? PinValue.High : PinValue.Low;
        _groups = cfg.Groups.Count;
        var index = cfg.Groups.Select((g, i) => (g.Name, i)).ToDictionary(x => x.Name, x => x.i);
        _phaseHas = new bool[cfg.Phases.Count, _groups];
        for (int p = 0; p < cfg.Phases.Count; p++)
            foreach (var g in cfg.Phases[p].Greens) _phaseHas[p, index[g]] = true;
        _conflict = new bool[_groups, _groups];
        foreach (var (a, b) in cfg.Conflicts) _conflict[index[a], index[b]] = _conflict[index[b], index[a]] = true;
        var phaseIndex = cfg.Phases.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i);
        _planPhase = cfg.FallbackPlan.Select(s => phaseIndex[s.Phase]).ToArray();
        _planGreen = cfg.FallbackPlan.Select(s => s.GreenS).ToArray();
        _writes = new PinValuePair[_groups * 3];
        _want = new byte[_groups];
        _phaseSlots = cfg.Phases.Select(p => catalog.SlotOf($"signal.phase.{p.Name}")).ToArray();
        _elapsedSlot = catalog.SlotOf("signal.green_elapsed");
        _clearanceSlot = catalog.SlotOf("signal.in_clearance");
        foreach (var g in cfg.Groups)
        {
            gpio.OpenPin(g.Red, PinMode.Output, _on);
            gpio.OpenPin(g.Yellow, PinMode.Output, _off);
            gpio.OpenPin(g.Green, PinMode.Output, _off);
        }
        // Start-up: all red for the all-red time, then the first phase of the plan.
        _phase = _next = _planPhase[0];
        Drive();
    }

    public void FillMask(Span<float> mask)
    {
        if (_stage != Stage.Green)
        {
            for (int p = 0; p < mask.Length; p++) mask[p] = p == _next ? 1 : 0;
            return;
        }
        bool minReached = _elapsed >= _cfg.MinGreenS - 1e-9;
        bool maxReached = _elapsed >= _cfg.MaxGreenS - 1e-9;
        for (int p = 0; p < mask.Length; p++)
            mask[p] = p == _phase ? (maxReached ? 0 : 1) : (minReached ? 1 : 0);
    }

    public void Step(int requested, double dt)
    {
        if (_failSafe) return;
        if ((uint)requested >= (uint)ActionCount) requested = _stage == Stage.Green ? _phase : _next; // never trust the caller
        switch (_stage)
        {
            case Stage.Green:
                bool maxReached = _elapsed >= _cfg.MaxGreenS - 1e-9;
                bool minReached = _elapsed >= _cfg.MinGreenS - 1e-9;
                if (maxReached && requested == _phase) requested = (_phase + 1) % ActionCount; // max green forces a change
                if (requested != _phase && minReached)
                {
                    _next = requested;
                    Enter(_cfg.YellowS > 0 ? Stage.Yellow : Stage.AllRed);
                }
                break;
            case Stage.Yellow:
                if (_elapsed >= _cfg.YellowS - 1e-9) Enter(Stage.AllRed);
                break;
            case Stage.AllRed:
                if (_elapsed >= _cfg.AllRedS - 1e-9) { _phase = _next; Enter(Stage.Green); }
                break;
        }
        Drive();
        _elapsed += dt;
    }

    void Enter(Stage stage)
    {
        _stage = stage;
        _elapsed = 0;
        // A zero-length stage passes straight through.
        if (stage == Stage.Yellow && _cfg.YellowS <= 0) Enter(Stage.AllRed);
        else if (stage == Stage.AllRed && _cfg.AllRedS <= 0) { _phase = _next; Enter(Stage.Green); }
    }

    /// <summary>The fixed-time plan: hold each step's phase for its green time, then ask for the next step's phase.</summary>
    public int FallbackAction(double dt)
    {
        int want = _planPhase[_planIndex];
        if (_stage == Stage.Green && _phase == want && _elapsed >= _planGreen[_planIndex] - 1e-9)
        {
            _planIndex = (_planIndex + 1) % _planPhase.Length;
            want = _planPhase[_planIndex];
        }
        return want;
    }

    public void WriteSources(Span<float> frame)
    {
        for (int p = 0; p < _phaseSlots.Length; p++) frame[_phaseSlots[p]] = _stage == Stage.Green && _phase == p ? 1 : 0;
        frame[_elapsedSlot] = _stage == Stage.Green ? (float)_elapsed : 0;
        frame[_clearanceSlot] = _stage == Stage.Green ? 0 : 1;
    }

    /// <summary>Computes each group's indication for the current stage and writes it: reds on and greens/yellows off first.</summary>
    void Drive()
    {
        for (int g = 0; g < _groups; g++)
        {
            _want[g] = _stage switch
            {
                Stage.Green => _phaseHas[_phase, g] ? (byte)2 : (byte)0,
                Stage.Yellow => _phaseHas[_phase, g] ? (_phaseHas[_next, g] ? (byte)2 : (byte)1) : (byte)0,
                _ => _phaseHas[_phase, g] && _phaseHas[_next, g] && _phase != _next ? (byte)2 : (byte)0,
            };
        }
        int n = 0;
        for (int g = 0; g < _groups; g++)
        {
            var grp = _cfg.Groups[g];
            if (_want[g] == 0) _writes[n++] = new PinValuePair(grp.Red, _on);
            if (_want[g] != 1) _writes[n++] = new PinValuePair(grp.Yellow, _off);
            if (_want[g] != 2) _writes[n++] = new PinValuePair(grp.Green, _off);
        }
        for (int g = 0; g < _groups; g++)
        {
            var grp = _cfg.Groups[g];
            if (_want[g] == 1) _writes[n++] = new PinValuePair(grp.Yellow, _on);
            if (_want[g] == 2) _writes[n++] = new PinValuePair(grp.Green, _on);
            if (_want[g] != 0) _writes[n++] = new PinValuePair(grp.Red, _off);
        }
        _gpio.Write(_writes.AsSpan(0, n));
    }

    public string? Monitor()
    {
        if (_failSafe) return null;
        for (int a = 0; a < _groups; a++)
        {
            if (!Active(a)) continue;
            for (int b = a + 1; b < _groups; b++)
                if (_conflict[a, b] && Active(b))
                {
                    Interlocked.Increment(ref Conflicts);
                    return $"conflict: {_cfg.Groups[a].Name} and {_cfg.Groups[b].Name} are not red together";
                }
        }
        for (int g = 0; g < _groups; g++)
        {
            var grp = _cfg.Groups[g];
            int lit = (_gpio.Read(grp.Red) == _on ? 1 : 0) + (_gpio.Read(grp.Yellow) == _on ? 1 : 0) + (_gpio.Read(grp.Green) == _on ? 1 : 0);
            if (lit != 1) return $"group {grp.Name} shows {lit} indications";
        }
        return null;
    }

    bool Active(int g) => _gpio.Read(_cfg.Groups[g].Green) == _on || _gpio.Read(_cfg.Groups[g].Yellow) == _on;

    public void EnterFailSafe(string reason)
    {
        if (_failSafe) return;
        FailSafeReason = reason;
        _failSafe = true;
        _flashOn = true;
        AllRed(true);
    }

    public void Resync()
    {
        _phase = _next = CurrentAction;
        _stage = Stage.AllRed;
        _elapsed = 0;
        Drive();
    }

    public void FlashTick()
    {
        _flashOn = !_flashOn;
        AllRed(_flashOn);
    }

    void AllRed(bool redOn)
    {
        lock (_writes)
        {
            foreach (var g in _cfg.Groups)
            {
                _gpio.Write(g.Green, _off);
                _gpio.Write(g.Yellow, _off);
            }
            foreach (var g in _cfg.Groups) _gpio.Write(g.Red, redOn ? _on : _off);
        }
    }

    public void DriveSafeState(string mode)
    {
        if (mode == "flash") EnterFailSafe("shutdown");
        else AllRed(true);
    }
}

/// <summary>
/// A generic discrete actuator (the base station): action k drives its pattern of GPIO outputs high and the rest low, holding each
/// action at least min_dwell_s. The monitor checks the lines read back match the pattern; the fail-safe drives the safe action.
/// </summary>
public sealed class DiscreteActuator : IDeviceController
{
    readonly ActuatorConfig _cfg;
    readonly GpioController _gpio;
    readonly bool[,] _pattern;
    readonly int[] _slots;
    int _current;
    double _dwell;
    volatile bool _failSafe;
    public string? FailSafeReason { get; private set; }
    public int ActionCount => _cfg.Actions.Count;
    public bool InFailSafe => _failSafe;
    public TimeSpan FlashHalfPeriod => TimeSpan.FromSeconds(1);
    public int CurrentAction => _current;

    public DiscreteActuator(ActuatorConfig cfg, GpioController gpio, SourceCatalog catalog)
    {
        _cfg = cfg;
        _gpio = gpio;
        _pattern = new bool[cfg.Actions.Count, cfg.Outputs.Count];
        var index = cfg.Outputs.Select((o, i) => (o.Name, i)).ToDictionary(x => x.Name, x => x.i);
        for (int a = 0; a < cfg.Actions.Count; a++)
            foreach (var o in cfg.Actions[a]) _pattern[a, index[o]] = true;
        _slots = Enumerable.Range(0, cfg.Actions.Count).Select(k => catalog.SlotOf($"action.current.{k}")).ToArray();
        foreach (var o in cfg.Outputs) gpio.OpenPin(o.Pin, PinMode.Output, PinValue.Low);
        _current = cfg.SafeAction;
        Drive(_current);
    }

    public void FillMask(Span<float> mask)
    {
        bool dwellDone = _dwell >= _cfg.MinDwellS - 1e-9;
        for (int a = 0; a < mask.Length; a++) mask[a] = a == _current || dwellDone ? 1 : 0;
    }

    public void Step(int requested, double dt)
    {
        if (_failSafe) return;
        if ((uint)requested < (uint)ActionCount && requested != _current && _dwell >= _cfg.MinDwellS - 1e-9)
        {
            _current = requested;
            _dwell = 0;
            Drive(_current);
        }
        _dwell += dt;
    }

    void Drive(int action)
    {
        for (int o = 0; o < _cfg.Outputs.Count; o++) _gpio.Write(_cfg.Outputs[o].Pin, _pattern[action, o] ? PinValue.High : PinValue.Low);
    }

    public int FallbackAction(double dt) => _cfg.FallbackAction;

    public void WriteSources(Span<float> frame)
    {
        for (int k = 0; k < _slots.Length; k++) frame[_slots[k]] = k == _current ? 1 : 0;
    }

    public string? Monitor()
    {
        if (_failSafe) return null;
        for (int o = 0; o < _cfg.Outputs.Count; o++)
            if ((_gpio.Read(_cfg.Outputs[o].Pin) == PinValue.High) != _pattern[_current, o])
                return $"output {_cfg.Outputs[o].Name} reads back wrong for action {_current}";
        return null;
    }

    public void EnterFailSafe(string reason)
    {
        if (_failSafe) return;
        FailSafeReason = reason;
        _failSafe = true;
        _current = _cfg.SafeAction;
        Drive(_current);
    }

    public void FlashTick() => Drive(_cfg.SafeAction);
    public void Resync() => Drive(_current);
    public void DriveSafeState(string mode) => Drive(_cfg.SafeAction);
}
