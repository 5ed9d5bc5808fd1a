using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Learning;
using MarlEdge.Runtime.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarlEdge.Runtime.Hosting;

/// <summary>
/// The control thread as a hosted service: a dedicated above-normal-priority thread runs the loop on an absolute-deadline
/// schedule. Stopping (SIGTERM via systemd, or Ctrl+C) lets the current period finish, drives the safe state, then the telemetry
/// service (stopped after this one) publishes its last data and flushes.
/// </summary>
sealed class ControlService(EdgeRuntime runtime, HostedAgents agents, RunOptions options, ILogger<ControlService> log, IHostApplicationLifetime lifetime) : IHostedService
{
    Thread? _thread;
    readonly CancellationTokenSource _stop = new();
    // On a multi-agent device each line names its agent.
    readonly string _who = agents.IsMultiAgent ? $"agent '{runtime.Config.DeviceId}': " : "";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var rt = runtime;
        // Every agent's loop is told to stop at once (SIGTERM), not one after another as the host stops the services.
        lifetime.ApplicationStopping.Register(_stop.Cancel);
        if (rt.PolicyError is not null) log.LogWarning("{Who}policy not in control: {Error}; the fallback controller (fixed-time plan) runs", _who, rt.PolicyError);
        else log.LogInformation("{Who}policy {Version} for agent {Agent} loaded from {Bundle}", _who, rt.Metrics.PolicyVersion, rt.Config.AgentId, rt.Config.BundlePath);
        foreach (var w in rt.Store.LoadWarnings) log.LogWarning("{Who}{Warning}", _who, w);
        if (rt.LearningWarning is not null) log.LogWarning("{Who}{Warning}", _who, rt.LearningWarning);
        if (rt.Learner is { } l) log.LogInformation("{Who}on-device learning: {Algorithm}", _who, l.Algorithm is DoubleDqnAlgorithm ? "double DQN" : "DPO (actions sampled from the policy)");
        rt.StartSafetyThread();
        rt.Learner?.Start();
        SimulatedTraffic? traffic = rt.Board.SimulatedGpio is { } sim && options.SimulateTraffic ? new SimulatedTraffic(rt.Config, sim) : null;
        _thread = new Thread(() =>
        {
            try
            {
                rt.RunLoop(_stop.Token, options.MaxPeriods, () =>
                {
                    traffic?.Tick();
                    if (rt.Metrics.Periods == 1 && options.ReportFirstDecision && rt.Config.AgentIndex == 0)
                    {
                        double ms = (rt.Metrics.FirstDecisionTimestamp - Program.StartTimestamp) * 1000.0 / Stopwatch.Frequency;
                        double sinceProcess = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
                        Console.Out.WriteLine($"first decision: {ms:F1} ms after Main, {sinceProcess:F1} ms after process start ({RunCommand.Phases}); " +
                            $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms");
                    }
                });
                log.LogInformation("{Who}control loop stopped after {Periods} periods; outputs in the safe state ({Safe})", _who, rt.Metrics.Periods, rt.Config.Safety.SafeState);
            }
            catch (Exception e)
            {
                log.LogCritical(e, "{Who}the control loop failed; driving the fail-safe state", _who);
                rt.Controller.EnterFailSafe("control loop exception: " + e.Message);
                Environment.ExitCode = 3;
            }
            if (agents.LoopEnded() && options.MaxPeriods != long.MaxValue) lifetime.StopApplication();
        }) { Name = agents.IsMultiAgent ? $"control {rt.Config.DeviceId}" : "marl-edge control", IsBackground = false, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stop.Cancel();
        _thread?.Join();
        var m = runtime.Metrics;
        if (runtime.Config.AgentIndex == 0)
        {
            double rssMib = PeakRssMib();
            log.LogInformation("peak RSS {Rss} MiB = {RssMb} MB (managed: {Allocated} MiB allocated since start, {Collections} collections)",
                Fixed1(rssMib), Fixed1(rssMib * 1.048576), Fixed1(GC.GetTotalAllocatedBytes() / 1048576.0), GC.CollectionCount(0));
        }
        log.LogInformation("{Who}periods {Periods}, decisions {Decisions}, overruns {Overruns}, fallback entries {Fallbacks}, updates {Updates}, promotions {Promotions}, rollbacks {Rollbacks}",
            _who, m.Periods, m.Decisions, m.Overruns, m.FallbackEntries, m.Updates, m.Promotions, m.Rollbacks);
        return Task.CompletedTask;
    }

    static string Fixed1(double x) => x.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>VmHWM from /proc/self/status (the process's peak resident set), in MiB; NaN where there is none.</summary>
    static double PeakRssMib()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
            return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (IOException) { return double.NaN; }
    }
}

/// <summary>Poisson-ish detector pulses on the simulated board, so a simulated device has traffic to observe.</summary>
sealed class SimulatedTraffic(DeviceConfig config, Io.SimulatedGpioDriver gpio)
{
    readonly Random _rng = new(7);

    public void Tick()
    {
        foreach (var d in config.Detectors)
            if (_rng.NextDouble() < 0.3) gpio.Pulse(d.Pin);
    }
}

public sealed record RunOptions(string ConfigPath, long MaxPeriods, bool SimulateTraffic, bool ReportFirstDecision);

/// <summary><c>marl-edge run --config FILE</c>: the device process on the .NET Generic Host, with systemd integration.</summary>
public static class RunCommand
{
    public const string Help = """
        usage: marl-edge run --config FILE [--periods N] [--no-traffic] [--report-first-decision]

        Runs one device (one agent, or several: agents[]) from its YAML config on the .NET Generic Host (systemd: Type=notify, journal logging; see
        firmware-config/marl-edge.service). Every period: read sensors, build the observation in the bundle's feature
        order, infer with ONNX Runtime, apply the action mask and the safety layer, drive the outputs. Telemetry goes over
        MQTT Sparkplug B (never on the control path). SIGTERM finishes the current period, drives the safe state and
        flushes telemetry. A policy that fails to load or validate leaves the fallback controller in charge.

          --config FILE              the device config (check it with `marl-edge config check FILE`)
          --periods N                stop after N periods (tests, benchmarks)
          --no-traffic               on a simulated board, do not generate detector pulses
          --report-first-decision    print the time from process start to the first decision
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? config = null;
        long periods = long.MaxValue;
        bool traffic = true, report = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h": stdout.WriteLine(Help); return 0;
                case "--config" when i + 1 < args.Count: config = args[++i]; break;
                case "--periods" when i + 1 < args.Count:
                    if (!long.TryParse(args[++i], out periods) || periods < 1) return Fail(stderr, $"--periods needs a positive integer, got '{args[i]}'");
                    break;
                case "--no-traffic": traffic = false; break;
                case "--report-first-decision": report = true; break;
                case "--config" or "--periods": return Fail(stderr, $"option {args[i]} needs a value");
                default: return Fail(stderr, $"unexpected argument '{args[i]}' (see marl-edge run --help)");
            }
        }
        if (config is null) return Fail(stderr, "missing --config FILE (see marl-edge run --help)");
        IReadOnlyList<DeviceConfig> agentConfigs;
        try { agentConfigs = DeviceConfig.LoadAgents(config); }
        catch (ConfigException e)
        {
            foreach (var err in e.Errors) stderr.WriteLine($"marl-edge run: {config}: {err}");
            return 2;
        }
        Mark("config");
        var cfg = agentConfigs[0];

        // The bundle check and ONNX Runtime session load overlap the host's construction (cold start).
        var runtimeTask = Task.Run(() => HostedAgents.Create(agentConfigs));
        // No host defaults: a device reads only its YAML config, so no appsettings.json (and its file watcher), no environment or
        // command-line configuration sources, no EventSource/debug loggers. They cost start-up time and memory and serve nothing here.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSystemd();
        builder.Logging.ClearProviders();
        if (Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService()) builder.Logging.AddSystemdConsole();
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        Mark("host builder");
        HostedAgents agents;
        try { agents = runtimeTask.GetAwaiter().GetResult(); Mark("bundle+ORT"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            return Fail(stderr, $"cannot open the device I/O: {e.Message}");
        }
        using var _ = agents;
        builder.Services.AddSingleton(agents);
        var runOptions = new RunOptions(config, periods, traffic, report);
        builder.Services.AddSingleton(runOptions);
        // Stopped in reverse order: the control loop stops (safe state) before telemetry flushes its last data.
        if (cfg.Telemetry.Enabled) builder.Services.AddHostedService<TelemetryService>();
        foreach (var runtime in agents.Runtimes)   // one control loop per agent
            builder.Services.AddSingleton<IHostedService>(sp => new ControlService(runtime, agents, runOptions,
                sp.GetRequiredService<ILogger<ControlService>>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        using var host = builder.Build();
        Mark("host built");
        host.Run();
        return Environment.ExitCode;
    }

    internal static string Phases = "";

    static readonly Lock PhasesLock = new();

    /// <summary>Records when a start-up phase ended (ms after Main), for --report-first-decision.</summary>
    internal static void Mark(string phase)
    {
        lock (PhasesLock)
            Phases += $"{(Phases.Length > 0 ? ", " : "")}{phase} at {(Stopwatch.GetTimestamp() - Program.StartTimestamp) * 1000.0 / Stopwatch.Frequency:F0} ms";
    }

    static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"marl-edge run: {message}");
        return 2;
    }
}
