using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Inference;
using MarlEdge.Runtime.Io;
using MarlEdge.Runtime.Learning;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Hosting;

/// <summary>
/// One device, assembled from its config: the board, the controller (safety layer), the policy (verified bundle plus learned
/// lineage, in ONNX Runtime), the control loop and its safety thread, and optionally the learner. Used by the host and by tests.
/// </summary>
public sealed class EdgeRuntime : IDisposable
{
    public DeviceConfig Config { get; }
    public SourceCatalog Catalog { get; }
    public Board Board { get; }
    public IDeviceController Controller { get; }
    public ControlLoop Loop { get; }
    public RuntimeMetrics Metrics { get; } = new();
    public PolicyStore Store { get; }
    public ActivePolicy? Policy { get; }
    public string? PolicyError { get; }
    public Learner? Learner { get; }
    /// <summary>Why learning is off although the config enables it (logged by the host).</summary>
    public string? LearningWarning { get; }
    SafetyThread? _safety;

    /// <param name="runnerFactory">Tests substitute a runner (a hanging or NaN policy) for the ONNX Runtime one.</param>
    public EdgeRuntime(DeviceConfig config, SimulatedGpioDriver? gpio = null, SimulatedI2cBus? i2c = null,
        Func<ActivePolicy, IPolicyRunner>? runnerFactory = null, Func<DateTimeOffset>? clock = null)
    {
        Config = config;
        Catalog = new SourceCatalog(config);
        Board = new Board(config, Catalog, gpio, i2c);
        Controller = config.Signal is { } sig ? new SignalController(sig, Board.Gpio, Catalog)
            : new DiscreteActuator(config.Actuator!, Board.Gpio, Catalog);
        Store = new PolicyStore(config.BundlePath, config.AgentId) { KeepVersions = config.Learning.KeepVersions };

        IPolicyRunner? runner = null;
        try
        {
            if (Directory.Exists(config.BundlePath)) Store.CleanTempFiles();
            Policy = Store.Load(config.TrustKey);
            RunCommand.Mark("bundle read");
            if (ObservationBuilder.Mismatch(config.Observation, Policy.Features) is { } mismatch) throw new BundleException(mismatch);
            runner = (runnerFactory ?? (p => new OrtPolicyRunner(p.ModelBytes, p.Label)))(Policy);
        }
        catch (Exception e) when (e is BundleException or OnnxFormatException or InvalidOperationException or IOException
                                      or System.Security.Cryptography.CryptographicException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            PolicyError = e.Message;
            Policy = null;
        }
        Loop = new ControlLoop(config, Catalog, Board, Controller, runner, PolicyError, Metrics);
        if (PolicyError is null && runner is null) PolicyError = Metrics.LastFaultText;
        if (config.Learning.Enabled && Policy is not null && Loop.Runner is not null)
        {
            if (Policy.Policy.Network is Shared.Policy.QNetwork or Shared.Policy.CategoricalActor)
            {
                Learner = new Learner(config, Loop, Store, Policy, Metrics, clock ?? (() => DateTimeOffset.UtcNow));
                Loop.Experience = Learner;
                Loop.SampleActions = Learner.Algorithm.NeedsSampledActions;
            }
            else LearningWarning = $"learning.enabled, but a {Policy.Policy.Network.Kind.Name()} bundle has no on-device learner (q_network: double DQN, categorical_actor: DPO); acting frozen";
        }
    }

    public void StartSafetyThread() => _safety ??= new SafetyThread(Loop, Config.Safety.WatchdogMs);

    public void Dispose()
    {
        _safety?.Dispose();
        Learner?.Dispose();
        Loop.Runner?.Dispose();
        Loop.DisposeRetired();
        Board.Dispose();
    }

    /// <summary>
    /// Runs the loop on the calling thread at the configured period until cancelled or maxPeriods, each period started on an
    /// absolute deadline (no drift). On cancellation the current period finishes first; then the safe state is driven.
    /// </summary>
    public void RunLoop(CancellationToken stop, long maxPeriods = long.MaxValue, Action? afterPeriod = null)
    {
        long period = (long)(Config.PeriodMs / 1000.0 * Stopwatch.Frequency);
        long next = Stopwatch.GetTimestamp();
        for (long n = 0; n < maxPeriods && !stop.IsCancellationRequested; n++)
        {
            Loop.Step();
            afterPeriod?.Invoke();
            next += period;
            long wait = next - Stopwatch.GetTimestamp();
            if (wait < 0) { next = Stopwatch.GetTimestamp(); continue; } // late: do not try to catch up with a burst
            int ms = (int)(wait * 1000 / Stopwatch.Frequency);
            if (ms > 0) stop.WaitHandle.WaitOne(ms);
        }
        Loop.DriveSafeState();
    }
}
