using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Inference;
using MarlEdge.Runtime.Io;
using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Numerics;

namespace MarlEdge.Runtime.Control;

/// <summary>Receives each period's experience (from the control thread; must not block or allocate).</summary>
public interface IExperienceSink
{
    /// <summary>
    /// obs, the mask and the policy's per-action values (q_values or logits) it was decided under, the action served, whether the
    /// policy chose it (false: the fallback did, and values are stale), the reward measured this period for it, next obs and mask,
    /// and the policy tag.
    /// </summary>
    void Offer(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> values, int action, bool byPolicy, float reward,
        ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask, int policyTag);
}

/// <summary>
/// One device's control loop. Every period (<see cref="Step"/>): read sensors → build the observation in the bundle's feature
/// order → infer → action mask and safety layer → drive outputs → conflict monitor. The fallback controller (the fixed-time plan)
/// takes over on a policy that did not load or validate, a non-finite output, a sensor fault, repeated overruns or a watchdog
/// timeout, and hands back after <c>safety.healthy_period_s</c> without a fault. A monitor failure latches the fail-safe state.
/// Steady-state periods allocate nothing.
/// </summary>
public sealed class ControlLoop
{
    readonly DeviceConfig _config;
    readonly Board _board;
    readonly IDeviceController _controller;
    readonly ObservationBuilder _observation;
    readonly RewardFormula? _reward;
    readonly SourceCatalog _catalog;
    public RuntimeMetrics Metrics { get; }
    readonly float[] _frame, _obs, _prevObs, _mask, _values, _prevMask, _prevValues;
    readonly double _dt;
    readonly long _periodTicks;
    IPolicyRunner? _runner;
    IPolicyRunner? _pending;
    int _policyTag, _pendingTag;
    readonly List<IPolicyRunner> _retired = [];
    int _prevAction = -1;
    bool _prevByPolicy;
    Rng _actionRng;
    int _consecutiveOverruns;
    double _healthySeconds;
    bool _policyInvalid;
    long _heartbeat;
    volatile bool _watchdogTripped;
    internal readonly Lock OutputLock = new();
    public IExperienceSink? Experience { get; set; }
    /// <summary>
    /// Act by sampling the masked softmax of the policy's logits instead of its greedy action: an actor-critic bundle that learns
    /// on the device (DPO) needs on-policy actions. The safety layer bounds a sampled action like any other.
    /// </summary>
    public bool SampleActions { get; set; }
    /// <summary>Called on the control thread after each period with its reward (the promotion guard listens).</summary>
    public double PeriodSeconds => _dt;
    public IDeviceController Controller => _controller;
    public Board Board => _board;
    public IPolicyRunner? Runner => _runner;
    public int PolicyTag => _policyTag;
    public ReadOnlySpan<float> LastObservation => _obs;

    public ControlLoop(DeviceConfig config, SourceCatalog catalog, Board board, IDeviceController controller, IPolicyRunner? runner, string? policyError, RuntimeMetrics metrics)
    {
        _config = config;
        _catalog = catalog;
        _board = board;
        _controller = controller;
        Metrics = metrics;
        _observation = new ObservationBuilder(config.Observation, catalog);
        _reward = config.Learning.Enabled || config.Learning.Reward != "0" ? RewardFormula.Compile(config.Learning.Reward, catalog) : null;
        _frame = catalog.NewFrame();
        _obs = new float[_observation.Dim];
        _prevObs = new float[_observation.Dim];
        _mask = new float[controller.ActionCount];
        _values = new float[controller.ActionCount];
        _prevMask = new float[controller.ActionCount];
        _prevValues = new float[controller.ActionCount];
        _actionRng = new Rng(0x5A3D1E, (ulong)config.Learning.FleetIndex);
        _dt = config.PeriodMs / 1000.0;
        _periodTicks = (long)(config.PeriodMs / 1000.0 * Stopwatch.Frequency);
        _heartbeat = Stopwatch.GetTimestamp();

        if (runner is not null && (runner.ObservationDim != _observation.Dim || runner.ActionCount != controller.ActionCount))
        {
            policyError = $"the policy takes {runner.ObservationDim} features and gives {runner.ActionCount} actions; the device builds {_observation.Dim} and serves {controller.ActionCount}";
            runner.Dispose();
            runner = null;
        }
        _runner = runner;
        if (runner is null)
        {
            _policyInvalid = true;
            EnterFallback(Fault.PolicyInvalid, policyError ?? "no policy");
        }
        else Metrics.PolicyVersion = runner.Version;
    }

    public ControlMode Mode => Metrics.Mode;
    public long HeartbeatTimestamp => Volatile.Read(ref _heartbeat);

    /// <summary>Hands a new policy to the loop; it takes over at the start of the next period (learner thread).</summary>
    public void OfferPolicy(IPolicyRunner runner, int tag)
    {
        lock (_retired)
        {
            _pending?.Dispose();
            _pendingTag = tag;
            _pending = runner;
        }
    }

    /// <summary>Disposes runners the loop has stopped using (call from a non-control thread, after at least one period passed).</summary>
    public void DisposeRetired()
    {
        lock (_retired)
        {
            foreach (var r in _retired) r.Dispose();
            _retired.Clear();
        }
    }

    /// <summary>Marks the watchdog as tripped (the safety thread); the next period hands control to the fallback.</summary>
    internal void WatchdogTripped() => _watchdogTripped = true;

    public void Step()
    {
        long t0 = Stopwatch.GetTimestamp();
        Volatile.Write(ref _heartbeat, t0);
        var m = Metrics;
        m.Periods++;
        if (_controller.InFailSafe)
        {
            m.Mode = ControlMode.FailSafe;
            return;
        }
        if (_pending is not null)
        {
            lock (_retired)
            {
                if (_runner is not null) _retired.Add(_runner);
                _runner = _pending;
                _policyTag = _pendingTag;
                _pending = null;
                _policyInvalid = false;
                m.PolicyVersion = _runner.Version;
            }
        }
        Fault faults = Fault.None;
        if (_watchdogTripped)
        {
            _watchdogTripped = false;
            faults |= Fault.Watchdog;
            lock (OutputLock) _controller.Resync();
        }

        // 1. sensors, 2. observation in the bundle's feature order, and the mask from the safety layer
        if (!_board.ReadSensors(_frame))
        {
            faults |= Fault.SensorFault;
            m.SensorFaults++;
        }
        _controller.WriteSources(_frame);
        _observation.Build(_frame, _obs);
        _controller.FillMask(_mask);

        // 3. inference (or the fallback controller)
        int action;
        bool byPolicy = false;
        if (m.Mode == ControlMode.Policy && faults == Fault.None && _runner is not null)
        {
            action = _runner.Decide(_obs, _mask, _values);
            if ((uint)action >= (uint)_mask.Length || _mask[action] <= 0 || !AllFinite(_values))
            {
                faults |= Fault.NonFiniteOutput;
                m.NonFiniteFaults++;
                action = _controller.FallbackAction(_dt);
            }
            else
            {
                if (SampleActions) action = MaskedSoftmax.Sample(_values, _mask, ref _actionRng);
                byPolicy = true;
                m.Decisions++;
            }
            if (_watchdogTripped)
            {
                // The decision took so long that the watchdog took the outputs: it is stale, and the policy is not trusted.
                _watchdogTripped = false;
                faults |= Fault.Watchdog;
                lock (OutputLock) _controller.Resync();
                action = _controller.FallbackAction(_dt);
                byPolicy = false;
            }
        }
        else action = _controller.FallbackAction(_dt);
        long tDecided = Stopwatch.GetTimestamp();
        m.Decision.Record(tDecided - t0);
        if (m.FirstDecisionTimestamp == 0) m.FirstDecisionTimestamp = tDecided;

        // 4. safety layer and 5. outputs, then the conflict monitor reads them back
        lock (OutputLock)
        {
            _controller.Step(action, _dt);
            if (_controller.Monitor() is { } problem)
            {
                m.MonitorTrips++;
                m.LastFaultText = problem;
                _controller.EnterFailSafe(problem);
                m.Mode = ControlMode.FailSafe;
            }
        }
        m.LastAction = action;

        // reward of the previous period's action, measured now; the experience goes to the learner without blocking
        if (_reward is not null)
        {
            float r = _reward.Evaluate(_frame);
            m.LastReward = r;
            m.CumulativeReward += r;
            if (_prevAction >= 0 && Experience is { } sink)
                sink.Offer(_prevObs, _prevMask, _prevValues, _prevAction, _prevByPolicy, r, _obs, _mask, _policyTag);
        }
        _obs.CopyTo(_prevObs, 0);
        _mask.CopyTo(_prevMask, 0);
        _values.CopyTo(_prevValues, 0);
        _prevAction = action;
        _prevByPolicy = byPolicy;

        if (m.Mode == ControlMode.FailSafe) return;
        long elapsed = Stopwatch.GetTimestamp() - t0;
        m.Period.Record(elapsed);
        if (elapsed > _periodTicks)
        {
            m.Overruns++;
            if (++_consecutiveOverruns >= _config.Safety.MaxConsecutiveOverruns)
            {
                faults |= Fault.Overruns;
                m.OverrunFaults++;
                _consecutiveOverruns = 0;
            }
        }
        else _consecutiveOverruns = 0;

        if (faults != Fault.None) EnterFallback(faults, DescribeFaults(faults));
        else if (m.Mode == ControlMode.Fallback)
        {
            _healthySeconds += _dt;
            if (!_policyInvalid && _runner is not null && _healthySeconds >= _config.Safety.HealthyPeriodS - 1e-9)
            {
                m.Mode = ControlMode.Policy;
                m.Faults = Fault.None;
                m.Handbacks++;
            }
        }
    }

    string DescribeFaults(Fault f) => f switch
    {
        _ when (f & Fault.SensorFault) != 0 => _board.LastFault ?? "sensor fault",
        _ when (f & Fault.NonFiniteOutput) != 0 => "the policy gave a non-finite output or a masked action",
        _ when (f & Fault.Overruns) != 0 => $"{_config.Safety.MaxConsecutiveOverruns} deadline overruns in a row",
        _ when (f & Fault.Watchdog) != 0 => "watchdog timeout",
        _ => f.ToString(),
    };

    void EnterFallback(Fault faults, string why)
    {
        var m = Metrics;
        if (m.Mode == ControlMode.Policy) m.FallbackEntries++;
        if (m.Mode != ControlMode.FailSafe) m.Mode = ControlMode.Fallback;
        m.Faults = (m.Mode == ControlMode.Fallback ? m.Faults : Fault.None) | faults;
        m.LastFaultText = why;
        _healthySeconds = 0;
    }

    static bool AllFinite(ReadOnlySpan<float> v)
    {
        foreach (float x in v) if (!float.IsFinite(x)) return false;
        return true;
    }

    /// <summary>Drives the configured safe state (shutdown).</summary>
    public void DriveSafeState()
    {
        lock (OutputLock) _controller.DriveSafeState(_config.Safety.SafeState);
    }
}

/// <summary>
/// The safety thread, separate from the control thread: it flashes the outputs while the controller is in its fail-safe state,
/// and it is the watchdog: when no period has completed for <c>safety.watchdog_ms</c>, it flashes all-red itself (the process
/// no longer keeps control through the loop) and tells the loop, which hands control to the fallback once it runs again.
/// </summary>
public sealed class SafetyThread : IDisposable
{
    readonly ControlLoop _loop;
    readonly long _watchdogTicks;
    readonly Thread _thread;
    volatile bool _stop;
    readonly ManualResetEventSlim _wake = new();

    public SafetyThread(ControlLoop loop, double watchdogMs)
    {
        _loop = loop;
        _watchdogTicks = (long)(watchdogMs / 1000.0 * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "marl-edge safety", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    void Run()
    {
        var c = _loop.Controller;
        int sliceMs = (int)Math.Clamp(Math.Min(c.FlashHalfPeriod.TotalMilliseconds, _watchdogTicks * 1000.0 / Stopwatch.Frequency / 4), 5, 1000);
        bool stuck = false;
        long lastFlash = 0;
        while (!_stop)
        {
            _wake.Wait(sliceMs);
            if (_stop) break;
            long now = Stopwatch.GetTimestamp();
            bool flashDue = now - lastFlash >= c.FlashHalfPeriod.TotalSeconds * Stopwatch.Frequency;
            if (c.InFailSafe)
            {
                if (flashDue) { lock (_loop.OutputLock) c.FlashTick(); lastFlash = now; }
                continue;
            }
            if (now - _loop.HeartbeatTimestamp > _watchdogTicks)
            {
                if (!stuck)
                {
                    stuck = true;
                    Interlocked.Increment(ref _loop.Metrics.WatchdogTrips);
                    _loop.WatchdogTripped();
                }
                if (flashDue)
                {
                    // The loop is stuck: it cannot be driving the outputs, so this thread owns them until it comes back.
                    if (_loop.OutputLock.TryEnter())
                    {
                        try { c.FlashTick(); } finally { _loop.OutputLock.Exit(); }
                    }
                    lastFlash = now;
                }
            }
            else stuck = false;
        }
    }

    public void Dispose()
    {
        _stop = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}
