using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Hosting;
using MarlEdge.Runtime.Inference;
using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Bench;

/// <summary>
/// The edge runtime's speed and memory targets, on the simulated intersection (30 observation features, an MLP Q-network with two
/// hidden layers of 64, 4 actions):
///   dotnet run -c Release --project runtime.bench -- [BenchmarkDotNet args]   decision, raw ORT Run, control period, TD update
///   dotnet run -c Release --project runtime.bench -- --latency [N]            p50/p99/p99.9 of obs→action over N decisions
///   dotnet run -c Release --project runtime.bench -- --cold-start BIN [RUNS] [--learning-telemetry]  process start → first decision,
///                                                                             and peak RSS (learning and telemetry off, or both on)
/// Run under `taskset -c 1` for one core.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--latency") return Latency(args.Length > 1 ? int.Parse(args[1]) : 200_000);
        if (args.Length > 0 && args[0] == "--td") return TdPercentiles(args.Length > 1 ? int.Parse(args[1]) : 5000);
        if (args.Length > 0 && args[0] == "--cold-start")
            return ColdStart(args[1], args.Length > 2 && args[2] != "--learning-telemetry" ? int.Parse(args[2]) : 10, args.Contains("--learning-telemetry"));
        // 20 warm-up iterations (a few seconds): with 3, the TD update's first measured iterations still ran tier-0 code (125 µs vs
        // 78 µs once tiered compilation had promoted it), and a device runs for hours.
        var config = DefaultConfig.Instance
            .AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max)
            .AddJob(Job.Default.WithWarmupCount(20).WithIterationCount(10).WithId("1-thread"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }

    /// <summary>A temp copy of the simulated intersection with an untrained 30→64→64→4 bundle.</summary>
    public static (DeviceConfig Config, string Dir) SimDevice(bool learning = false, bool telemetry = false)
    {
        string dir = Directory.CreateTempSubdirectory("marledge-bench-").FullName;
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "MarlEdge.sln"))) repo = Path.GetDirectoryName(repo)!;
        string text = File.ReadAllText(Path.Combine(repo, "firmware-config", "sim-intersection.yaml"))
            .Replace("path: sim-bundle", $"path: {dir}/bundle")
            .Replace("enabled: true", "enabled: false");
        if (learning) text = text.Replace("learning:\n  enabled: false", "learning:\n  enabled: true");
        if (telemetry) text = text.Replace("telemetry:\n  enabled: false", "telemetry:\n  enabled: true");
        File.WriteAllText(Path.Combine(dir, "device.yaml"), text);
        var cfg = DeviceConfig.Load(Path.Combine(dir, "device.yaml"));
        DevBundleCommand.Write(cfg, Path.Combine(dir, "bundle"), [64, 64], 1);
        return (cfg, dir);
    }

    static int Latency(int n)
    {
        var (cfg, dir) = SimDevice();
        using var rt = new EdgeRuntime(cfg);
        var d = new DecisionBench.Decider(rt);
        var raw = (OrtPolicyRunner)rt.Loop.Runner!;
        for (int i = 0; i < 20_000; i++) d.Decide();
        var lat = new long[n];
        var rawLat = new long[n];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            d.Decide();
            lat[i] = Stopwatch.GetTimestamp() - t0;
        }
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            raw.RawRun();
            rawLat[i] = Stopwatch.GetTimestamp() - t0;
        }
        static double Us(long[] a, double q) { var s = a.Order().ToArray(); return s[(int)Math.Min(s.Length - 1, q * s.Length)] * 1e6 / Stopwatch.Frequency; }
        Console.WriteLine($"decisions: {n}, allocated: {alloc} bytes ({(double)alloc / n:F2} per decision)");
        Console.WriteLine($"obs→action   p50 {Us(lat, 0.5):F2} µs  p99 {Us(lat, 0.99):F2} µs  p99.9 {Us(lat, 0.999):F2} µs  max {Us(lat, 1):F2} µs");
        Console.WriteLine($"raw ORT Run  p50 {Us(rawLat, 0.5):F2} µs  p99 {Us(rawLat, 0.99):F2} µs  p99.9 {Us(rawLat, 0.999):F2} µs  max {Us(rawLat, 1):F2} µs");
        Directory.Delete(dir, true);
        return 0;
    }

    /// <summary>Percentiles of one double-DQN TD update on 32 samples, and of its parts.</summary>
    static int TdPercentiles(int n)
    {
        var bench = new LearningBench();
        bench.Setup();
        // Warm up for 3 s of wall time, not a count: tiered compilation promotes the update's kernels to optimized code only
        // after their call counts settle, and a device learns for hours. (500 warm-up updates measured ~2,500 tier-0 updates,
        // 6x slower, as the "p90".)
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(3)) bench.TdUpdate();
        var t = new long[n];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            bench.TdUpdate();
            t[i] = Stopwatch.GetTimestamp() - t0;
        }
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        var s = t.Order().ToArray();
        double Us(double q) => s[(int)Math.Min(s.Length - 1, q * s.Length)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"TD update (batch 32, 30→64→64→4): p50 {Us(0.5):F1} µs  p90 {Us(0.9):F1} µs  p99 {Us(0.99):F1} µs  min {Us(0):F1} µs; allocated {alloc} bytes over {n}");
        return 0;
    }

    /// <summary>
    /// Runs BIN run --config ... --periods 300 --report-first-decision RUNS times (after one page-cache warm-up run); prints every run's
    /// time from process start to the first decision and peak RSS, their median and spread, and the machine's load around them.
    /// </summary>
    static int ColdStart(string bin, int runs, bool learningTelemetry)
    {
        if (!File.Exists(bin)) { Console.Error.WriteLine($"--cold-start: no such binary '{bin}' (publish first: dotnet publish runtime/MarlEdge.Runtime.csproj -c Release -r linux-x64)"); return 2; }
        string load0 = LoadAverage();
        var (cfg, dir) = SimDevice(learning: learningTelemetry, telemetry: learningTelemetry);
        var ms = new List<double>();
        var rss = new List<double>();
        for (int i = 0; i < runs + 1; i++)
        {
            var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "run", "--config", cfg.SourcePath, "--periods", i == 0 ? "1" : "300", "--report-first-decision" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (i == 0) continue; // the first run warms the page cache
            // A run where the policy never took control (the fallback plan ran) would measure a process without ONNX Runtime.
            var counts = output.Split('\n').FirstOrDefault(l => l.Contains("periods 300, decisions 300,") && l.Contains("fallback entries 0"));
            if (counts is null) throw new InvalidOperationException("the policy did not decide every period (fallback or failure); output:\n" + output);
            var line = output.Split('\n').First(l => l.StartsWith("first decision:"));
            ms.Add(double.Parse(line.Split(',')[1].Trim().Split(' ')[0]));
            var r = output.Split('\n').FirstOrDefault(l => l.Contains("peak RSS"));
            if (r is not null) rss.Add(double.Parse(r[(r.IndexOf("peak RSS") + 9)..].Split(' ')[0]));
        }
        string Runs(List<double> v, string f) => string.Join(" ", v.Select(x => x.ToString(f, System.Globalization.CultureInfo.InvariantCulture)));
        Console.WriteLine($"runs (process start → first decision, ms): {Runs(ms, "F0")}");
        Console.WriteLine($"runs (peak RSS, MiB):                      {Runs(rss, "F1")}");
        ms.Sort();
        rss.Sort();
        Console.WriteLine($"cold start to first decision over {runs} runs: median {ms[ms.Count / 2]:F0} ms, min {ms[0]:F0} ms, max {ms[^1]:F0} ms");
        if (rss.Count > 0)
            Console.WriteLine($"peak RSS (VmHWM) after 300 periods (30 s of 100 ms periods, learning and telemetry {(learningTelemetry ? "on" : "off")}): median {rss[rss.Count / 2]:F1} MiB = {rss[rss.Count / 2] * 1.048576:F1} MB, min {rss[0]:F1} MiB, max {rss[^1]:F1} MiB");
        Console.WriteLine($"load average (1/5/15 min) before: {load0}, after: {LoadAverage()}; {Environment.ProcessorCount} CPUs visible");
        Directory.Delete(dir, true);
        return 0;
    }

    static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}

[MemoryDiagnoser]
public class DecisionBench
{
    /// <summary>Exactly the loop's decision path: frame → observation (feature order, scale) → mask → ORT → checks.</summary>
    public sealed class Decider(EdgeRuntime rt)
    {
        readonly ObservationBuilder _obsBuilder = new(rt.Config.Observation, rt.Catalog);
        readonly float[] _frame = rt.Catalog.NewFrame();
        readonly float[] _obs = new float[rt.Config.Observation.Count];
        readonly float[] _mask = new float[4];
        readonly float[] _values = new float[4];
        readonly IPolicyRunner _runner = rt.Loop.Runner!;
        int _i;

        public int Decide()
        {
            _frame[_i++ & 15] += 1; // the sensors changed
            rt.Controller.WriteSources(_frame);
            _obsBuilder.Build(_frame, _obs);
            rt.Controller.FillMask(_mask);
            int a = _runner.Decide(_obs, _mask, _values);
            foreach (float v in _values) if (!float.IsFinite(v)) return -1;
            return _mask[a] > 0 ? a : -1;
        }
    }

    EdgeRuntime _rt = null!;
    Decider _decider = null!;
    OrtPolicyRunner _raw = null!;
    QNetwork _managed = null!;
    readonly float[] _obs = new float[30], _mask = [1, 1, 1, 1], _q = new float[4];
    string _dir = "";

    [GlobalSetup]
    public void Setup()
    {
        (var cfg, _dir) = Program.SimDevice();
        _rt = new EdgeRuntime(cfg);
        _decider = new Decider(_rt);
        _raw = (OrtPolicyRunner)_rt.Loop.Runner!;
        _managed = (QNetwork)_rt.Policy!.Policy.Network;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rt.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Description = "decision obs→action (ORT, bound OrtValues)")]
    public int Decision() => _decider.Decide();

    [Benchmark(Description = "raw ORT Run (same model, bound)")]
    public void RawOrtRun() => _raw.RawRun();

    [Benchmark(Description = "control period (sensors, decision, safety, GPIO, monitor)")]
    public void ControlPeriod() => _rt.Loop.Step();

    [Benchmark(Description = "managed forward (shared/Policy)")]
    public int ManagedForward() => _managed.Act(_obs, _mask, _q);
}

[MemoryDiagnoser]
public class LearningBench
{
    DoubleDqn _dqn = null!;
    ReplayBuffer _replay = null!;

    [GlobalSetup]
    public void Setup()
    {
        var net = new QNetwork(Mlp.Create([30, 64, 64, 4], Activation.ReLU, new Random(1)));
        _dqn = new DoubleDqn(net, 32, 1e-4f, 0.95f, 200);
        _replay = new ReplayBuffer(10_000, 30, 4);
        var rng = new Random(2);
        var o = new float[30];
        var n = new float[30];
        for (int i = 0; i < 10_000; i++)
        {
            for (int j = 0; j < 30; j++) { o[j] = (float)rng.NextDouble(); n[j] = (float)rng.NextDouble(); }
            _replay.Add(o, rng.Next(4), (float)rng.NextDouble(), n, [1, 1, 1, 1]);
        }
    }

    [Benchmark(Description = "double-DQN TD update, batch 32 (30→64→64→4)")]
    public float TdUpdate() => _dqn.Update(_replay);
}
