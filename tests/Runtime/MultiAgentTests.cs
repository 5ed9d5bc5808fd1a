using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Hosting;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>A temp copy of firmware-config/sim-two-intersections.yaml (edited per test) with a dev bundle per agent.</summary>
sealed class TwoIntersections : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("marledge-multi-").FullName;
    public string ConfigPath => Path.Combine(Root, "corridor.yaml");
    public IReadOnlyList<DeviceConfig> Agents { get; }

    public static string ExampleText => File.ReadAllText(Path.Combine(SimDevice.RepoRoot, "firmware-config", "sim-two-intersections.yaml"));

    public TwoIntersections(Func<string, string>? edit = null)
    {
        string text = ExampleText.Replace("edge_node: corridor-node", "edge_node: corridor-node\n  queue_dir: " + Path.Combine(Root, "queue"));
        if (edit is not null) text = edit(text);
        File.WriteAllText(ConfigPath, text);
        Agents = DeviceConfig.LoadAgents(ConfigPath);
        for (int i = 0; i < Agents.Count; i++) DevBundleCommand.Write(Agents[i], Agents[i].BundlePath, [64, 64], seed: 11 + i);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public class MultiAgentConfigTests
{
    static int Line(string text, string needle)
    {
        int at = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{needle}' not in the config");
        return text[..at].Count(c => c == '\n') + 1;
    }

    [Fact]
    public void The_example_binds_two_agents_with_their_own_sections_and_the_single_agent_configs_stay_valid()
    {
        var (agents, errors) = DeviceConfig.CheckAgents(TwoIntersections.ExampleText, Path.Combine(SimDevice.RepoRoot, "firmware-config", "x.yaml"));
        Assert.Empty(errors);
        Assert.Equal(["north", "south"], agents!.Select(a => a.DeviceId));
        Assert.All(agents!, a => Assert.Equal("sim-corridor", a.HostId));
        Assert.Equal([100.0, 200.0], agents!.Select(a => a.PeriodMs));     // the top-level default, and south's own
        Assert.Equal([64, 66], agents!.Select(a => a.Detectors[0].Pin));
        Assert.Equal(["all_red", "flash"], agents!.Select(a => a.Safety.SafeState));
        Assert.Equal([true, false], agents!.Select(a => a.Learning.Enabled));
        Assert.Empty(agents![0].I2c);
        Assert.Single(agents![1].I2c);
        Assert.All(agents!, a => Assert.Equal("corridor-node", a.Telemetry.EdgeNode));
        Assert.NotEqual(agents![0].BundlePath, agents![1].BundlePath);
        foreach (var file in Directory.GetFiles(Path.Combine(SimDevice.RepoRoot, "firmware-config"), "*.yaml"))
        {
            var (all, errs) = DeviceConfig.CheckAgents(File.ReadAllText(file), file);
            Assert.True(errs.Count == 0, $"{file}: {string.Join("; ", errs)}");
            if (!file.EndsWith("sim-two-intersections.yaml")) Assert.Single(all!);
        }
        // A single-agent command refuses a multi-agent file with one clear line.
        var ex = Assert.Throws<ConfigException>(() => DeviceConfig.Load(Path.Combine(SimDevice.RepoRoot, "firmware-config", "sim-two-intersections.yaml")));
        Assert.Contains("lists 2 agents", ex.Message);
    }

    [Theory]
    [InlineData("- id: south", "- id: north", "agents[1].id", "- id: north\n    period_ms", "already the id of agents[0]")]
    [InlineData("{ name: ns, red: 8, yellow: 9", "{ name: ns, red: 0, yellow: 9", "agents[1].signal.groups[0].red", "{ name: ns, red: 0, yellow: 9", "pin 0 is already used by agents[0].signal.groups[0].red")]
    [InlineData("{ name: ns, pin: 66 }", "{ name: ns, pin: 2 }", "agents[1].io.detectors[0].pin", "{ name: ns, pin: 2 }", "pin 2 is already used by agents[0].signal.groups[0].green")]
    [InlineData("path: sim-bundle-south", "path: sim-bundle-north", "agents[1].bundle.agent", "path: sim-bundle-north, agent: agent-0 }\n    io:\n      detectors:\n        - { name: ns, pin: 66", "already run by agents[0]")]
    [InlineData("    period_ms: 200\n", "    period_ms: 200\n    bogus: 1\n", "agents[1].bogus", "bogus: 1", "unknown key")]
    [InlineData("{ phase: ns, green_s: 25 }", "{ phase: nowhere, green_s: 25 }", "agents[1].signal.fallback_plan[0].phase", "{ phase: nowhere", "'nowhere' is not a phase")]
    [InlineData("- id: north\n", "- id: sim-corridor\n", "agents[0].id", "- id: sim-corridor", "is device.id")]
    [InlineData("reward: -(detector.ns.count + detector.ew.count) / 2", "reward: -(detector.ns.count + detector.nope.count) / 2", "agents[0].learning.reward", "reward: -(detector.ns.count + detector.nope", "nope")]
    public void Errors_name_the_agent_key_and_line_including_conflicts_across_agents(string find, string replace, string key, string lineOf, string message)
    {
        Assert.Contains(find, TwoIntersections.ExampleText);
        string text = TwoIntersections.ExampleText.Replace(find, replace);
        var (_, errors) = DeviceConfig.CheckAgents(text, "x.yaml");
        var e = Assert.Single(errors, e => e.Key == key);
        Assert.Contains(message, e.Message);
        Assert.Equal(Line(text, lineOf), e.Line);
    }

    [Fact]
    public void Config_check_prints_the_agents_or_each_error_as_file_line_key()
    {
        var (code, stdout, _) = EdgeProcess.Run("config", "check", Path.Combine(SimDevice.RepoRoot, "firmware-config", "sim-two-intersections.yaml"));
        Assert.Equal(0, code);
        Assert.Contains("2 agents: traffic_signal 'north', period 100 ms", stdout);
        var (devCode, _, devErr) = EdgeProcess.Run("dev-bundle", "--config", Path.Combine(SimDevice.RepoRoot, "firmware-config", "sim-two-intersections.yaml"), "--out", Path.Combine(Path.GetTempPath(), "never-written"));
        Assert.Equal(2, devCode);
        Assert.Contains("lists 2 agents (north, south): pick one with --agent ID", devErr);
        string dir = Directory.CreateTempSubdirectory("marledge-multi-check-").FullName;
        try
        {
            string bad = Path.Combine(dir, "bad.yaml");
            string text = TwoIntersections.ExampleText.Replace("{ name: ew, red: 11, yellow: 12", "{ name: ew, red: 3, yellow: 12");
            File.WriteAllText(bad, text);
            var (badCode, _, stderr) = EdgeProcess.Run("config", "check", bad);
            Assert.Equal(2, badCode);
            Assert.Contains($"{bad}:{Line(text, "{ name: ew, red: 3, yellow: 12")}: agents[1].signal.groups[1].red: pin 3 is already used by agents[0].signal.groups[1].red", stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}

[Collection(RealTimeCollection.Name)]
public class MultiAgentRuntimeTests
{
    [Fact]
    public void Two_agents_each_decide_every_period_with_their_own_bundle_on_their_own_pins()
    {
        using var dev = new TwoIntersections();
        using var agents = HostedAgents.Create(dev.Agents);
        var (north, south) = (agents.Runtimes[0], agents.Runtimes[1]);
        Assert.Same(north.Board.SimulatedGpio, south.Board.SimulatedGpio);    // one cabinet, one GPIO chip
        Assert.Null(north.PolicyError);
        Assert.Null(south.PolicyError);
        foreach (var rt in agents.Runtimes)   // each serves the model of its own bundle folder
            Assert.Equal(File.ReadAllBytes(Path.Combine(rt.Config.BundlePath, "agent-0.onnx")), rt.Policy!.ModelBytes);
        Assert.NotEqual(north.Policy!.BundleSha256, south.Policy!.BundleSha256);
        var gpio = north.Board.SimulatedGpio!;
        for (int i = 0; i < 200; i++)
        {
            gpio.Pulse(64 + i % 4);
            north.Loop.Step();
            south.Loop.Step();
            // every group of both intersections shows exactly one indication
            foreach (var rt in agents.Runtimes)
                foreach (var g in rt.Config.Signal!.Groups)
                    Assert.Equal(1, new[] { g.Red, g.Yellow, g.Green }.Count(p => gpio.Peek(p) == System.Device.Gpio.PinValue.High));
        }
        Assert.All(agents.Runtimes, rt =>
        {
            Assert.Equal(200, rt.Metrics.Periods);
            Assert.Equal(200, rt.Metrics.Decisions);
            Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
            Assert.Equal(0, rt.Metrics.FallbackEntries);
        });
        Assert.NotNull(north.Learner);   // north learns, south acts frozen, as configured
        Assert.Null(south.Learner);
    }

    [Fact]
    public void A_sensor_fault_in_one_agent_sends_only_that_one_to_its_fallback_and_back()
    {
        using var dev = new TwoIntersections(t => t.Replace("watchdog_ms: 1500, healthy_period_s: 10", "watchdog_ms: 1500, healthy_period_s: 1"));
        using var agents = HostedAgents.Create(dev.Agents);
        var (north, south) = (agents.Runtimes[0], agents.Runtimes[1]);
        for (int i = 0; i < 20; i++) { north.Loop.Step(); south.Loop.Step(); }
        south.Board.SimulatedI2c!.Device(1, 0x48).Fail = true;   // the south cabinet's LM75 stops answering
        for (int i = 0; i < 20; i++) { north.Loop.Step(); south.Loop.Step(); }
        Assert.Equal(ControlMode.Fallback, south.Metrics.Mode);
        Assert.Equal(1, south.Metrics.FallbackEntries);
        Assert.Contains("cabinet", south.Metrics.LastFaultText);
        Assert.Equal(ControlMode.Policy, north.Metrics.Mode);
        Assert.Equal(0, north.Metrics.FallbackEntries);
        Assert.Equal(40, north.Metrics.Decisions);
        south.Board.SimulatedI2c!.Device(1, 0x48).Fail = false;
        for (int i = 0; i < 20; i++) { north.Loop.Step(); south.Loop.Step(); }   // 20 x 200 ms > healthy_period_s 1
        Assert.Equal(ControlMode.Policy, south.Metrics.Mode);
        Assert.Equal(1, south.Metrics.Handbacks);
        Assert.Equal(60, north.Metrics.Decisions);
    }

    [Fact]
    public void A_hung_policy_trips_only_its_own_agents_watchdog_while_the_other_keeps_deciding_in_real_time()
    {
        using var dev = new TwoIntersections(t => t.Replace("safety: { max_consecutive_overruns: 3, watchdog_ms: 1000", "safety: { max_consecutive_overruns: 3, watchdog_ms: 300")
            .Replace("      enabled: true\n", "      enabled: false\n"));
        var gpio = new MarlEdge.Runtime.Io.SimulatedGpioDriver(128);
        var i2c = new MarlEdge.Runtime.Io.SimulatedI2cBus();
        int sleep = 0;
        using var entered = new ManualResetEventSlim();
        // north: a policy that can hang; south: its real ONNX Runtime bundle, on the same simulated chip
        using var north = new EdgeRuntime(dev.Agents[0], gpio, i2c, _ => new ScriptedRunner(5, 2, (obs, mask, v) =>
        {
            if (Volatile.Read(ref sleep) > 0) { entered.Set(); Thread.Sleep(sleep); }
            int a = mask[0] > 0 ? 0 : 1;
            v[0] = a == 0 ? 1 : 0;
            v[1] = 1 - v[0];
            return a;
        }));
        using var south = new EdgeRuntime(dev.Agents[1], gpio, i2c);
        using var cts = new CancellationTokenSource();
        var threads = new[] { north, south }.Select(rt =>
        {
            rt.StartSafetyThread();
            var t = new Thread(() => rt.RunLoop(cts.Token)) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
            t.Start();
            return t;
        }).ToArray();
        try
        {
            Thread.Sleep(1000);
            Assert.Equal(ControlMode.Policy, north.Metrics.Mode);
            Assert.Equal(ControlMode.Policy, south.Metrics.Mode);
            Volatile.Write(ref sleep, 2000);    // north's policy hangs for 2 s
            Assert.True(entered.Wait(5000));
            Thread.Sleep(400);
            long southBefore = Interlocked.Read(ref south.Metrics.Decisions);
            var northRed = new HashSet<System.Device.Gpio.PinValue>();
            var until = DateTime.UtcNow.AddMilliseconds(1000);
            while (DateTime.UtcNow < until)
            {
                northRed.Add(gpio.Peek(dev.Agents[0].Signal!.Groups[0].Red));
                lock (south.Loop.OutputLock)
                    foreach (var g in dev.Agents[1].Signal!.Groups)   // south's groups keep a proper indication throughout
                        Assert.Equal(1, new[] { g.Red, g.Yellow, g.Green }.Count(p => gpio.Peek(p) == System.Device.Gpio.PinValue.High));
                Thread.Sleep(10);
            }
            long southDuring = Interlocked.Read(ref south.Metrics.Decisions) - southBefore;
            Assert.Equal(2, northRed.Count);      // north flashes all-red while its loop is stuck
            Assert.True(southDuring >= 2, $"south decided {southDuring} times in the 1 s north was stuck (period 200 ms)");
            Volatile.Write(ref sleep, 0);
            Assert.True(SpinWait.SpinUntil(() => north.Metrics.Mode == ControlMode.Fallback, 5000));
            Assert.Equal(1, north.Metrics.WatchdogTrips);
            Assert.Equal(0, south.Metrics.WatchdogTrips);
            Assert.Equal(0, south.Metrics.FallbackEntries);
            Assert.Equal(ControlMode.Policy, south.Metrics.Mode);
        }
        finally
        {
            Volatile.Write(ref sleep, 0);
            cts.Cancel();
            foreach (var t in threads) Assert.True(t.Join(5000));
        }
    }

    [Fact]
    public void A_bundle_that_fails_to_verify_leaves_only_its_agent_on_the_fixed_time_plan()
    {
        using var dev = new TwoIntersections();
        string model = Path.Combine(dev.Agents[1].BundlePath, "agent-0.onnx");
        var bytes = File.ReadAllBytes(model);
        bytes[^9] ^= 0x5a;     // one flipped byte: the manifest's sha256 no longer matches
        File.WriteAllBytes(model, bytes);
        using var agents = HostedAgents.Create(dev.Agents);
        var (north, south) = (agents.Runtimes[0], agents.Runtimes[1]);
        Assert.Null(north.PolicyError);
        Assert.NotNull(south.PolicyError);
        for (int i = 0; i < 50; i++) { north.Loop.Step(); south.Loop.Step(); }
        Assert.Equal(50, north.Metrics.Decisions);
        Assert.Equal(ControlMode.Policy, north.Metrics.Mode);
        Assert.Equal(0, south.Metrics.Decisions);
        Assert.Equal(ControlMode.Fallback, south.Metrics.Mode);
    }

    [Fact]
    public void Both_agents_allocate_nothing_per_period()
    {
        using var dev = new TwoIntersections();
        using var agents = HostedAgents.Create(dev.Agents);
        var (north, south) = (agents.Runtimes[0], agents.Runtimes[1]);
        var gpio = north.Board.SimulatedGpio!;
        for (int i = 0; i < 300; i++) { gpio.Pulse(64 + i % 4); north.Loop.Step(); south.Loop.Step(); north.Learner!.Pump(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) { north.Loop.Step(); south.Loop.Step(); }   // (simulated pulses allocate, so none here)
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 500 periods of two agents");
        Assert.Equal(ControlMode.Policy, north.Metrics.Mode);
        Assert.Equal(ControlMode.Policy, south.Metrics.Mode);
    }

    [Fact]
    public async Task One_process_is_one_edge_node_with_a_device_per_agent_and_sigterm_stops_every_agent_in_its_safe_state()
    {
        using var mosquitto = new Mosquitto();
        using var dev = new TwoIntersections(t => t.Replace("broker: embedded", "broker: external\n  host: 127.0.0.1")
            .Replace("port: 18831", $"port: {mosquitto.Port}").Replace("interval_ms: 1000", "interval_ms: 200"));
        await using var host = new SparkplugSubscriber(mosquitto.Port);
        await host.ConnectAsync();
        using var p = EdgeProcess.Start("run", "--config", dev.ConfigPath);
        var stdout = p.StandardOutput.ReadToEndAsync();
        const string Group = "spBv1.0/marledge-sim";
        bool DataFrom(string device) => host.Received.Count(m => m.Topic == $"{Group}/DDATA/corridor-node/{device}") >= 2;
        await Net.WaitUntil(() => DataFrom("north") && DataFrom("south"), TimeSpan.FromSeconds(60), "DDATA from both agents");
        Net.kill(p.Id, Net.SIGTERM);
        Assert.True(p.WaitForExit(30_000), "no exit within 30 s of SIGTERM");
        Assert.Equal(0, p.ExitCode);
        await Net.WaitUntil(() => host.Received.Any(m => m.Topic == $"{Group}/NDEATH/corridor-node"), TimeSpan.FromSeconds(10), "the NDEATH");
        var topics = host.Received.Select(m => m.Topic).ToArray();
        Assert.Single(topics, t => t == $"{Group}/NBIRTH/corridor-node");
        Assert.Single(topics, t => t == $"{Group}/NDEATH/corridor-node");
        Assert.Single(topics, t => t == $"{Group}/DBIRTH/corridor-node/north");
        Assert.Single(topics, t => t == $"{Group}/DBIRTH/corridor-node/south");
        Assert.DoesNotContain(topics, t => t.Contains("/sim-corridor"));
        // each device carries its own metrics: its own period count (north runs at 100 ms, south at 200 ms)
        long LastPeriods(string device) => (long)host.Received.Last(m => m.Topic == $"{Group}/DDATA/corridor-node/{device}")
            .Payload.Metrics.First(x => x.Name == "Control/Periods").LongValue;
        Assert.True(LastPeriods("north") > LastPeriods("south"), $"north {LastPeriods("north")} periods, south {LastPeriods("south")}");
        string log = await stdout;
        Assert.Contains("agent 'north': control loop stopped after", log);
        Assert.Contains("outputs in the safe state (all_red)", log);
        Assert.Contains("agent 'south': control loop stopped after", log);
        Assert.Contains("outputs in the safe state (flash)", log);
    }
}
