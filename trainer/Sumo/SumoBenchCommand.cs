using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Sumo.Baselines;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// `./marl sumo-bench`: the four baselines on RESCO's grid4x4 and arterial4x4, and the coupling cost: wall time per
/// simulated episode through TraCI divided by SUMO's own wall time for the same episode with static lights.
/// </summary>
public sealed class SumoBenchCommand : ICommand
{
    public string Name => "sumo-bench";
    public string Summary => "baselines on RESCO grid4x4/arterial4x4 and the TraCI coupling cost";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public string Help => """
        usage: marl sumo-bench [--resco DIR] [--scenarios grid4x4,arterial4x4] [--algos static,fixed,maxpressure,greedy]
                               [--episodes N] [--out DIR] [--json]

        For each scenario (RESCO folder, route <name>_1): runs SUMO alone with its static programs (no TraCI), then
        each baseline through the environment, and prints one table row per run: RESCO's metrics from tripinfo.xml,
        the wall time, and that wall time divided by SUMO alone's ("coupling"). The `static` row runs the same
        simulation as SUMO alone, so its ratio is the pure cost of the TraCI coupling.
          --resco     folder holding the RESCO scenarios (default: ../shared/scenarios/resco next to the repository)
          --episodes  episodes per baseline, seeds 0..N-1 (default 1); the table shows means
          --out       keep each run's tripinfo.xml under DIR/<scenario>/<algo>/ and write DIR/sumo-bench.json
          --json      print the results as one JSON object instead of a table
        """;

    public int Run(CommandArgs args)
    {
        string? resco = args.String("resco");
        var scenarios = (args.String("scenarios") ?? "grid4x4,arterial4x4").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var algos = (args.String("algos") ?? string.Join(",", SignalControllers.Names)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int episodes = args.Int("episodes", 1, min: 1);
        string? outDir = args.String("out");
        bool json = args.Flag("json");
        args.RejectUnknown();
        foreach (string a in algos)
            if (!SignalControllers.Names.Contains(a)) throw new UsageException($"unknown algo '{a}' in --algos (expected {string.Join(", ", SignalControllers.Names)})");
        resco ??= DefaultRescoFolder() ?? throw new UsageException("cannot find ../shared/scenarios/resco next to the repository; pass --resco DIR");

        string work = outDir ?? Path.Combine(Path.GetTempPath(), $"marledge-sumo-bench-{Guid.NewGuid():N}");
        try
        {
            var report = new JsonArray();
            var rows = new List<string[]>();
            foreach (string name in scenarios)
            {
                string folder = Path.Combine(resco, name);
                if (!Directory.Exists(folder)) throw new UsageException($"scenario folder not found: {folder}");
                var scenario = SumoScenario.Resolve($"sumo:{folder},route={name}_1");
                report.Add(BenchScenario(scenario, name, algos, episodes, work, rows));
            }
            var result = new JsonObject { ["bench"] = "sumo", ["episodes"] = episodes, ["scenarios"] = report };
            if (outDir is not null) AtomicFile.WriteAllText(Path.Combine(outDir, "sumo-bench.json"), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (json) Console.WriteLine(result.ToJsonString());
            else PrintTable(rows);
            return 0;
        }
        catch (SumoException e)
        {
            throw new UsageException(e.Message);
        }
        finally
        {
            if (outDir is null && Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    internal static JsonObject BenchScenario(SumoScenario scenario, string name, string[] algos, int episodes, string work, List<string[]> rows)
    {
        string aloneDir = Path.Combine(work, name, "sumo-alone");
        Directory.CreateDirectory(aloneDir);
        var (aloneMetrics, aloneWall) = StandaloneSumo.Run(scenario, Path.Combine(aloneDir, "tripinfo.xml"), seed: 0);
        rows.Add(Row(name, "sumo alone (static)", aloneMetrics, aloneWall, 1.0));
        var runs = new JsonArray();
        foreach (string algo in algos)
        {
            var controller = SignalControllers.Create(algo, scenario.Config);
            var results = BaselineRunner.Run(scenario, controller, episodes, firstSeed: 0, Path.Combine(work, name, algo));
            var mean = MeanOf(results);
            double wall = results.Average(r => r.WallSeconds);
            rows.Add(Row(name, algo, mean, wall, wall / aloneWall));
            var run = SumoBaselineCommand.Summarize(scenario.Spec, algo, 0, results);
            run["wall_seconds_per_episode"] = Math.Round(wall, 3);
            run["coupling_ratio"] = Math.Round(wall / aloneWall, 3);
            runs.Add(run);
        }
        return new JsonObject
        {
            ["scenario"] = name,
            ["spec"] = scenario.Spec,
            ["episode_s"] = scenario.Config.EpisodeS,
            ["sumo_alone"] = new JsonObject
            {
                ["wall_seconds"] = Math.Round(aloneWall, 3),
                ["avg_delay"] = aloneMetrics.AvgDelay,
                ["avg_time_loss"] = aloneMetrics.AvgTimeLoss,
                ["throughput"] = aloneMetrics.Throughput,
            },
            ["runs"] = runs,
        };
    }

    static TripInfoMetrics MeanOf(IReadOnlyList<BaselineEpisode> results) => TripInfoMetrics.Mean(results.Select(r => r.Metrics).ToList());

    static string[] Row(string scenario, string controller, TripInfoMetrics m, double wall, double ratio) =>
    [
        scenario, controller, F(m.AvgDelay), F(m.AvgTimeLoss), F(m.AvgDepartDelay), F(m.AvgTripTime), F(m.AvgWait),
        m.Throughput.ToString(CultureInfo.InvariantCulture), m.VehiclesInNetwork < 0 ? "-" : m.VehiclesInNetwork.ToString(CultureInfo.InvariantCulture),
        wall.ToString("0.00", CultureInfo.InvariantCulture), ratio.ToString("0.00", CultureInfo.InvariantCulture),
    ];

    static string F(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    static void PrintTable(List<string[]> rows)
    {
        string[] header = ["scenario", "controller", "avg_delay", "time_loss", "depart_delay", "trip_time", "avg_wait", "throughput", "in_network", "wall_s", "coupling"];
        var all = rows.Prepend(header).ToList();
        int[] width = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        foreach (var r in all)
            Console.WriteLine(string.Join("  ", r.Select((cell, c) => c < 2 ? cell.PadRight(width[c]) : cell.PadLeft(width[c]))));
        Console.WriteLine("avg_delay: RESCO's delay (s; timeLoss + departDelay over all trips, unfinished ones and never-departed vehicles included); " +
                          "time_loss: mean timeLoss of completed trips (s); depart_delay: their mean wait before insertion (s); coupling: wall time / SUMO alone's");
    }

    /// <summary>../shared/scenarios/resco beside the repository that holds trainer/Sumo/Scenarios.</summary>
    internal static string? DefaultRescoFolder()
    {
        string? scenarios = ScenarioConfigLibrary.Directory;
        if (scenarios is null) return null;
        string candidate = Path.GetFullPath(Path.Combine(scenarios, "..", "..", "..", "..", "shared", "scenarios", "resco"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
