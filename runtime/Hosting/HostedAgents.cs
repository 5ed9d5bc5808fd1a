using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Io;

namespace MarlEdge.Runtime.Hosting;

/// <summary>
/// The agents one process hosts (one for a single-agent config; <c>agents[]</c> otherwise), each a complete
/// <see cref="EdgeRuntime"/>: own board view (its pins and buses), controller, policy, loop, safety thread and learner. They share
/// nothing but the GPIO chip (a simulated board: one simulated driver and I2C bus, as one cabinet has) and the telemetry node.
/// </summary>
public sealed class HostedAgents : IDisposable
{
    public IReadOnlyList<EdgeRuntime> Runtimes { get; }
    /// <summary>True for a config with an agents list: log lines then name the agent.</summary>
    public bool IsMultiAgent { get; }
    int _running;

    public HostedAgents(IReadOnlyList<EdgeRuntime> runtimes)
    {
        if (runtimes.Count == 0) throw new ArgumentException("no agents", nameof(runtimes));
        Runtimes = runtimes;
        IsMultiAgent = runtimes.Count > 1 || runtimes[0].Config.DeviceId != runtimes[0].Config.HostId;
        _running = runtimes.Count;
    }

    /// <summary>Builds every agent's runtime (bundle check, ONNX Runtime session) in parallel.</summary>
    public static HostedAgents Create(IReadOnlyList<DeviceConfig> configs)
    {
        if (configs.Count == 1) return new HostedAgents([new EdgeRuntime(configs[0])]);
        SimulatedGpioDriver? gpio = configs[0].IsSimulated ? new SimulatedGpioDriver(128) : null;
        SimulatedI2cBus? i2c = configs[0].IsSimulated ? new SimulatedI2cBus() : null;
        var tasks = configs.Select(c => Task.Run(() => new EdgeRuntime(c, gpio, i2c))).ToArray();
        try { Task.WaitAll(tasks); }
        catch (AggregateException e)
        {
            foreach (var t in tasks) if (t.IsCompletedSuccessfully) t.Result.Dispose();
            throw e.InnerExceptions[0];
        }
        return new HostedAgents(tasks.Select(t => t.Result).ToArray());
    }

    /// <summary>Called as each control loop ends; true for the last one.</summary>
    public bool LoopEnded() => Interlocked.Decrement(ref _running) == 0;

    public void Dispose()
    {
        foreach (var rt in Runtimes) rt.Dispose();
    }
}
