using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Sumo.Baselines;

namespace MarlEdge.Trainer.Sumo;

/// <summary>`./marl sumo-baseline`: runs a hand-written signal controller on a SUMO scenario and reports RESCO's metrics.</summary>
public sealed class SumoBaselineCommand : ICommand
{
    public string Name => "sumo-baseline";
    public string Summary => "run a traffic-signal baseline (static|fixed|maxpressure|greedy) on SUMO";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public string Help => """
        usage: marl sumo-baseline --env sumo:SCENARIO --algo static|fixed|maxpressure|greedy --out DIR [--episodes N] [--seed S] [--json]

        Runs a baseline controller for whole episodes and evaluates them from SUMO's tripinfo.xml.
          --env       sumo:<folder | file.sumocfg | net.xml+rou.xml>[,route=NAME][,key=value...]
                      e.g. sumo:../shared/scenarios/resco/grid4x4,route=grid4x4_1
                      keys: step_length_s yellow_s min_green_s max_green_s(0: off) episode_s detector_range_m reward(queue|wait|delay|pressure)
                            sensing(detectors|vehicles) observe_arrivals(true|false) observe_outgoing(true|false)
                            observe_pending(true|false) pending_weight gamma fixed_green_s
                            time_to_teleport_s obs_scale_* reward_scale config(JSON file)
          --algo      static: SUMO's own program; fixed: cycle of fixed greens (fixed_green_s);
                      maxpressure: max-pressure; greedy: longest queue first
          --out       run folder: tripinfo.xml of the last episode, summary.json
          --episodes  episodes to run, seeds S, S+1, ... (default 1)
          --seed      first SUMO seed (default 0)
          --json      print the summary as one JSON object instead of a table
        Metrics (means over episodes): avg_delay, RESCO's delay: timeLoss + departDelay over every trip, unfinished
        ones included, plus (end - scheduled depart) for each vehicle that never departed, per vehicle (as RESCO's
        utils/readXML.py); then over completed trips: avg_time_loss (mean timeLoss), avg_trip_time, avg_wait,
        avg_depart_delay (mean wait to enter the network) and throughput (their count); never_departed;
        vehicles_in_network (at the end). Not RESCO's: not_inserted, the scheduled vehicles that never got in, and
        avg_delay_all, which charges each of them (end - scheduled depart) too (RESCO's term misses those scheduled
        before the last inserted vehicle's scheduled depart, e.g. behind an entry blocked for good).
        """;

    public int Run(CommandArgs args)
    {
        string spec = args.RequiredString("env");
        string algo = args.RequiredString("algo");
        string outDir = args.RequiredString("out");
        int episodes = args.Int("episodes", 1, min: 1);
        int seed = args.Int("seed", 0, min: 0);
        bool json = args.Flag("json");
        args.RejectUnknown();
        if (!SignalControllers.Names.Contains(algo))
            throw new UsageException($"unknown --algo '{algo}' (expected {string.Join(", ", SignalControllers.Names)})");
        if (!SumoScenario.IsSumoSpec(spec)) throw new UsageException($"--env must be a sumo: spec, got '{spec}'");

        try
        {
            var scenario = SumoScenario.Resolve(spec);
            var controller = SignalControllers.Create(algo, scenario.Config);
            Directory.CreateDirectory(outDir);
            var results = BaselineRunner.Run(scenario, controller, episodes, seed, outDir);
            var summary = Summarize(spec, algo, seed, results);
            AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (json) Console.WriteLine(summary.ToJsonString());
            else PrintTable(spec, algo, results);
            return 0;
        }
        catch (SumoException e)
        {
            throw new UsageException(e.Message);
        }
    }

    public static JsonObject Summarize(string spec, string algo, int seed, IReadOnlyList<BaselineEpisode> results)
    {
        var summary = new JsonObject
        {
            ["env"] = spec,
            ["algo"] = algo,
            ["seed"] = seed,
            ["episodes"] = results.Count,
        };
        foreach (var (name, value) in MeanMetrics(results)) summary[name] = JsonNumber(value);
        summary["per_episode"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["seed"] = r.Seed,
            ["avg_delay"] = JsonNumber(r.Metrics.AvgDelay),
            ["avg_time_loss"] = JsonNumber(r.Metrics.AvgTimeLoss),
            ["avg_trip_time"] = JsonNumber(r.Metrics.AvgTripTime),
            ["avg_wait"] = JsonNumber(r.Metrics.AvgWait),
            ["avg_depart_delay"] = JsonNumber(r.Metrics.AvgDepartDelay),
            ["throughput"] = r.Metrics.Throughput,
            ["never_departed"] = r.Metrics.NeverDeparted,
            ["vehicles_in_network"] = r.Metrics.VehiclesInNetwork,
            ["not_inserted"] = r.Metrics.NotInserted,
            ["avg_delay_all"] = JsonNumber(r.Metrics.AvgDelayAll),
            ["wall_seconds"] = Math.Round(r.WallSeconds, 3),
        }).ToArray());
        return summary;
    }

    public static IEnumerable<(string Name, double Value)> MeanMetrics(IReadOnlyList<BaselineEpisode> results)
    {
        yield return ("avg_delay", results.Average(r => r.Metrics.AvgDelay));
        yield return ("avg_time_loss", results.Average(r => r.Metrics.AvgTimeLoss));
        yield return ("avg_trip_time", results.Average(r => r.Metrics.AvgTripTime));
        yield return ("avg_wait", results.Average(r => r.Metrics.AvgWait));
        yield return ("avg_depart_delay", results.Average(r => r.Metrics.AvgDepartDelay));
        yield return ("throughput", results.Average(r => r.Metrics.Throughput));
        yield return ("never_departed", results.Average(r => r.Metrics.NeverDeparted));
        yield return ("vehicles_in_network", results.Average(r => r.Metrics.VehiclesInNetwork));
        yield return ("not_inserted", results.Average(r => r.Metrics.NotInserted));
        yield return ("avg_delay_all", results.Average(r => r.Metrics.AvgDelayAll));
    }

    /// <summary>NaN (no completed trip) becomes null: JSON has no NaN.</summary>
    static JsonNode? JsonNumber(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 4)) : null;

    static void PrintTable(string spec, string algo, IReadOnlyList<BaselineEpisode> results)
    {
        Console.WriteLine($"{spec}  algo={algo}  episodes={results.Count}");
        Console.WriteLine($"{"metric",-22}{"mean",12}");
        foreach (var (name, value) in MeanMetrics(results))
            Console.WriteLine($"{name,-22}{value.ToString("0.00", CultureInfo.InvariantCulture),12}");
    }
}
