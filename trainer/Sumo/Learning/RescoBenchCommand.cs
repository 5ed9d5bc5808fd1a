using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Runs;
using MarlEdge.Trainer.Sumo.Baselines;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// `./marl resco-bench`: issue 6's table. On each RESCO scenario (route NAME_1): SUMO alone, the four baselines, then each
/// learner (deep, or tabular on discretized observations) trained for N one-hour episodes per seed and evaluated greedily on one held-out seed; RESCO's metrics,
/// the number of seeds and the coupling cost of training and evaluation; learning curves as PNG.
/// </summary>
public sealed class RescoBenchCommand : ICommand
{
    public string Name => "resco-bench";
    public string Summary => "train learners on RESCO grid4x4/arterial4x4 and print the table with the four baselines";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "no-baselines", "replot" };

    public string Help => """
        usage: marl resco-bench [--episodes N] [--learners iql,ippo] [--seeds K] [--scenarios grid4x4,arterial4x4]
                                [--resco DIR] [--out DIR] [--set K=V,...] [--scenario-set K=V,...] [--baseline-episodes N]
                                [--eval-episodes E] [--validate K] [--no-baselines] [--json]
               marl resco-bench --replot --out DIR

        For each scenario (RESCO folder, route <name>_1): runs SUMO alone (static programs, no TraCI), the baselines
        static, fixed, maxpressure and greedy (seeds 0..N-1 of --baseline-episodes), then trains each learner for N one-hour episodes with seeds
        0..K-1 (one SUMO process at a time) and evaluates the trained networks greedily for E episodes on seeds that
        training never uses (1000003, ...). Prints one row per controller: avg_delay (RESCO's delay: timeLoss + departDelay of every
        trip, unfinished ones included, plus end - scheduled depart of each vehicle that never departed), time_loss
        (completed trips' mean timeLoss), depart_delay, trip_time, avg_wait, throughput, vehicles still in the network, and the coupling cost: wall time
        per simulated hour of training and of evaluation divided by SUMO alone's wall time for the same hour. The column
        "RESCO-style" is the figure RESCO's tables report (resco_benchmark/utils/graph.py): for a learner the minimum over
        training episodes of the mean across its K seeds of each episode's avg_delay (a best training episode, not a
        held-out evaluation; `marl resco-figure` computes it for runs trained apart), for a baseline its mean over episodes.
          --episodes N   training episodes per learner and seed (default 100, RESCO's budget for IDQN)
          --learners     learners (default iql,ippo): deep iql, ma2ql, i2q, ippo, dpo, mdpo, or tabular ones as
                         tabular-iql, tabular-ma2ql, tabular-i2q, tabular-ippo, tabular-dpo (marl train --tabular)
          --seeds K      training seeds per learner (default 1); the table shows means and K
          --set K=V,...  learner settings (as marl train --set), for every learner (deep ones and tabular ones separately
                         refuse names they do not have, so give --set only with learners of one kind)
          --scenario-set K=V,...  scenario overrides appended to every scenario's spec (as in sumo:DIR,reward=pressure),
                         for the baselines and the learners; the table then says which
          --out DIR      run folders, resco-bench.json, resco-bench.md and <scenario>-curves.png (default runs/resco-bench)
          --baseline-episodes N  episodes per baseline, on seeds 0..N-1, averaged (default 1; RESCO averages 30)
          --eval-episodes E  held-out evaluation episodes per trained run, averaged (default 1)
          --validate K   deep learners: also pick each run's networks on K validation seeds (marl validate: the
                         snapshot every 5 episodes, or the final networks, with the lowest mean avg_delay_all) and
                         add a row "(validated)" with those networks on the same E held-out seeds, and with K > 1
                         seeds a row for the one seed whose networks-val scored best on validation (default 0: off)
          --no-baselines skip the baselines (the rows of a previous sumo-bench still apply)
          --json         print the result object instead of the table
          --replot       only redraw the curves of the finished bench in --out
        """;

    public int Run(CommandArgs args)
    {
        int episodes = args.Int("episodes", 100, min: 1);
        var learners = List(args.String("learners") ?? "iql,ippo");
        int seeds = args.Int("seeds", 1, min: 1);
        int baselineEpisodes = args.Int("baseline-episodes", 1, min: 1);
        int evalEpisodes = args.Int("eval-episodes", 1, min: 1);
        int validate = args.Int("validate", 0, min: 0);
        var scenarios = List(args.String("scenarios") ?? "grid4x4,arterial4x4");
        string? resco = args.String("resco");
        string? set = args.String("set");
        string? scenarioSet = args.String("scenario-set");
        string outDir = args.String("out") ?? Path.Combine(RepoRoot(), "runs", "resco-bench");
        bool json = args.Flag("json"), baselines = !args.Flag("no-baselines");
        bool replot = args.Flag("replot");
        args.RejectUnknown();
        if (replot) return Replot(outDir);
        foreach (string l in learners)
            if (!(TabularAlgo(l) is string t ? Tabular.LearnerOptions.Algorithms.Contains(t) : DeepOptions.Algorithms.Contains(l)))
                throw new UsageException($"unknown learner '{l}' in --learners (deep: {string.Join(", ", DeepOptions.Algorithms)}; tabular: {string.Join(", ", Tabular.LearnerOptions.Algorithms.Select(a => TabularPrefix + a))})");
        if (validate > 0 && learners.All(l => TabularAlgo(l) is not null))
            throw new UsageException("--validate picks among a deep run's network snapshots: give at least one deep learner in --learners");
        foreach (string l in learners)                                                // refuse a bad --set before hours of SUMO
            if (TabularAlgo(l) is string t) Tabular.LearnerOptions.Default.With(t, set);
            else SumoTraining.DefaultOptions.With(l, set);
        resco ??= SumoBenchCommand.DefaultRescoFolder() ?? throw new UsageException("cannot find ../shared/scenarios/resco next to the repository; pass --resco DIR");
        string SpecOf(string name) => $"sumo:{Path.Combine(resco, name)},route={name}_1" + (string.IsNullOrEmpty(scenarioSet) ? "" : "," + scenarioSet);
        foreach (string name in scenarios)                                           // refuse a bad folder or --scenario-set up front
        {
            if (!Directory.Exists(Path.Combine(resco, name))) throw new UsageException($"scenario folder not found: {Path.Combine(resco, name)}");
            SumoScenario.Resolve(SpecOf(name));
        }
        Directory.CreateDirectory(outDir);

        var total = Stopwatch.StartNew();
        var rows = new List<string[]>();
        var report = new JsonArray();
        foreach (string name in scenarios)
        {
            string folder = Path.Combine(resco, name);
            if (!Directory.Exists(folder)) throw new UsageException($"scenario folder not found: {folder}");
            string spec = SpecOf(name);
            var scenario = SumoScenario.Resolve(spec);
            Log($"{name}: SUMO alone and {(baselines ? "the four baselines" : "no baselines")}");
            var baseRows = new List<string[]>();
            var bench = SumoBenchCommand.BenchScenario(scenario, name, baselines ? SignalControllers.Names.ToArray() : [], baselineEpisodes, Path.Combine(outDir, name, "baselines"), baseRows);
            double alone = bench["sumo_alone"]!["wall_seconds"]!.GetValue<double>();
            foreach (var r in baseRows)
            {
                bool isAlone = r[1] == "sumo alone (static)";
                string evalSeeds = baselineEpisodes == 1 ? "1 (eval seed 0)" : $"{baselineEpisodes} (eval seeds 0-{baselineEpisodes - 1})";
                rows.Add([r[0], r[1], isAlone ? "-" : evalSeeds, r[2], isAlone ? "-" : r[2], r[3], r[4], r[5], r[6], r[7], r[8], "-", "-", r[10]]);   // RESCO reports a baseline's mean
            }

            var learnerRuns = new JsonArray();
            var curves = new List<(string Label, double[] X, double[] Y)>();
            foreach (string algo in learners)
            {
                var summaries = new List<JsonObject>();
                var validated = new List<JsonObject>();
                var logs = new List<IReadOnlyList<SumoTrainingEpisode>>();
                var trainWall = new List<double>();
                for (int seed = 0; seed < seeds; seed++)
                {
                    var runFolder = new RunFolder(Path.Combine(outDir, name, $"{algo}-seed{seed}"));
                    long steps = (long)scenario.Config.DecisionsPerEpisode * episodes;
                    Log($"{name}: training {Label(algo)}, seed {seed}, {episodes} episodes ({steps} steps) into {runFolder.Path}");
                    var clock = Stopwatch.StartNew();
                    var summary = TabularAlgo(algo) is string tabular
                        ? SumoTabularTraining.Start(runFolder, spec, tabular, Tabular.LearnerOptions.Default.With(tabular, set), steps, seed, quiet: true, set)
                        : SumoTraining.Start(runFolder, spec, algo, SumoTraining.OptionsFor(spec, algo, set), steps, seed, false, quiet: true);
                    if (evalEpisodes > 1)
                        foreach (var (key, value) in TabularAlgo(algo) is string t
                                     ? SumoTabularEval.Evaluate(runFolder, spec, t, seed, steps, evalEpisodes)
                                     : SumoEval.Evaluate(runFolder, spec, algo, seed, steps, evalEpisodes))
                            summary[key] = value?.DeepClone();
                    if (validate > 0 && TabularAlgo(algo) is null)
                    {
                        ValidateCommand.Validate(runFolder, validate, quiet: true);
                        var v = SumoEval.Evaluate(runFolder, spec, algo, seed, steps, evalEpisodes, selection: ValidatedNetworks.Selection);
                        v["run"] = runFolder.Path;
                        validated.Add(v);
                        Log($"{name}: {Label(algo)} seed {seed}: networks-val (after episode {v["selected_episode"]}) held-out avg_delay {v["avg_delay"]}");
                    }
                    var log = SumoTraining.ReadEpisodes(runFolder);
                    Log($"{name}: {Label(algo)} seed {seed} done in {clock.Elapsed.TotalMinutes:F1} min: eval avg_delay {summary["avg_delay"]}, last training episode {summary["train_last_avg_delay"]}");
                    summary["run"] = runFolder.Path;
                    summaries.Add(summary);
                    logs.Add(log);
                    trainWall.AddRange(log.Select(e => e.WallSeconds));
                    curves.Add(($"{algo} seed {seed} (training episodes)", log.Select(e => (double)(e.Episode + 1)).ToArray(), log.Select(e => e.Metrics.AvgDelay).ToArray()));
                }
                double Mean(List<JsonObject> of, string key) => of.Select(s => s[key]?.GetValue<double>() ?? double.NaN).Average();
                double M(string key) => Mean(summaries, key);
                double evalWall = M("eval_wall_seconds_per_episode"), train = trainWall.Count > 0 ? trainWall.Average() : double.NaN;
                var reported = RescoReportedFigure.Of(logs);
                string rescoStyle = reported is null ? "-" : $"{F(reported.AvgDelay)} (ep {reported.Episode})";
                rows.Add(EvalRow(name, $"{Label(algo)} ({episodes} ep)", seeds, M, rescoStyle, alone, F(train, "0.00"), F(train / alone, "0.00")));
                double V(string key) => Mean(validated, key);
                if (validated.Count > 0) rows.Add(EvalRow(name, $"{Label(algo)} ({episodes} ep, validated)", seeds, V, "-", alone));
                // the seed to deploy, chosen on the validation seeds alone; its held-out row is an honest estimate of the pick
                var pick = validated.Where(v => v["validation_avg_delay_all"] is not null).MinBy(v => v["validation_avg_delay_all"]!.GetValue<double>());
                if (pick is not null && seeds > 1)
                    rows.Add(EvalRow(name, $"{Label(algo)} ({episodes} ep, validated, seed {pick["seed"]} picked of {seeds} on validation)", 1, key => D(pick, key), "-", alone));
                learnerRuns.Add(new JsonObject
                {
                    ["algo"] = algo,
                    ["episodes"] = episodes,
                    ["seeds"] = seeds,
                    ["eval_episodes"] = evalEpisodes,
                    ["avg_delay"] = Round(M("avg_delay")),
                    ["avg_delay_all"] = Round(M("avg_delay_all")),
                    ["resco_reported"] = reported?.ToJson(),
                    ["avg_time_loss"] = Round(M("avg_time_loss")),
                    ["avg_depart_delay"] = Round(M("avg_depart_delay")),
                    ["avg_trip_time"] = Round(M("avg_trip_time")),
                    ["avg_wait"] = Round(M("avg_wait")),
                    ["throughput"] = Round(M("throughput")),
                    ["vehicles_in_network"] = Round(M("vehicles_in_network")),
                    ["train_wall_seconds_per_episode"] = Round(train),
                    ["train_coupling"] = Round(train / alone),
                    ["eval_coupling"] = Round(evalWall / alone),
                    ["per_seed"] = new JsonArray(summaries.Select(s => (JsonNode)s).ToArray()),
                    ["validated"] = validated.Count == 0 ? null : new JsonObject
                    {
                        ["validation_episodes"] = validate,
                        ["avg_delay"] = Round(V("avg_delay")),
                        ["avg_delay_all"] = Round(V("avg_delay_all")),
                        ["avg_time_loss"] = Round(V("avg_time_loss")),
                        ["throughput"] = Round(V("throughput")),
                        ["not_inserted"] = Round(V("not_inserted")),
                        ["picked_seed"] = pick?["seed"]?.DeepClone(),
                        ["picked_on"] = "lowest validation avg_delay_all of the seeds' networks-val",
                        ["per_seed"] = new JsonArray(validated.Select(s => (JsonNode)s).ToArray()),
                    },
                });
            }
            bench["learners"] = learnerRuns;
            report.Add(bench);
            if (curves.Count > 0) WriteCurves(Path.Combine(outDir, $"{name}-curves.png"), name, curves, bench);
        }

        var result = new JsonObject
        {
            ["bench"] = "resco",
            ["training_episodes"] = episodes,
            ["seeds"] = seeds,
            ["baseline_episodes"] = baselines ? baselineEpisodes : 0,
            ["eval_episodes"] = evalEpisodes,
            ["validation_episodes"] = validate,
            ["learners"] = new JsonArray(learners.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
            ["options"] = set ?? "",
            ["scenario_set"] = scenarioSet ?? "",
            ["wall_minutes"] = Math.Round(total.Elapsed.TotalMinutes, 1),
            ["scenarios"] = report,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "resco-bench.json"), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        string table = Markdown(rows, episodes, evalEpisodes) + (string.IsNullOrEmpty(scenarioSet) ? "" : $"\nScenario overrides: `{scenarioSet}`.\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "resco-bench.md"), table);
        Console.WriteLine(json ? result.ToJsonString() : table);
        return 0;
    }

    /// <summary>Average delay per training episode of every learner and seed, with the fixed and max-pressure baselines as lines; legend outside.</summary>
    static void WriteCurves(string path, string name, List<(string Label, double[] X, double[] Y)> curves, JsonObject bench)
    {
        double last = curves.Max(c => c.X.Length > 0 ? c.X[^1] : 1);
        var plot = new ScottPlot.Plot();
        foreach (var (label, x, y) in curves)
        {
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = label;
            line.LineWidth = 2;
        }
        foreach (var run in bench["runs"]!.AsArray())
            if (run!["algo"]!.GetValue<string>() is "maxpressure" or "fixed" && run["avg_delay"]?.GetValue<double>() is double d)
            {
                var line = plot.Add.ScatterLine(new[] { 1.0, last }, new[] { d, d });
                line.LegendText = $"{run["algo"]} (baseline, {d:0.0} s)";
                line.LinePattern = ScottPlot.LinePattern.Dashed;
                line.LineWidth = 2;
            }
        plot.Title($"{name}: average delay per training episode");
        plot.XLabel("training episode");
        plot.YLabel("average delay (s, RESCO's definition)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(1150, 520, ScottPlot.ImageFormat.Png));
    }

    /// <summary>Redraws &lt;scenario&gt;-curves.png from a finished bench folder (resco-bench.json and the runs' episodes.csv).</summary>
    static int Replot(string outDir)
    {
        string file = Path.Combine(outDir, "resco-bench.json");
        if (!File.Exists(file)) throw new UsageException($"{file} not found: --replot needs a finished bench folder");
        var result = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        foreach (var scenario in result["scenarios"]!.AsArray())
        {
            string name = scenario!["scenario"]!.GetValue<string>();
            var curves = new List<(string, double[], double[])>();
            foreach (var learner in scenario["learners"]?.AsArray() ?? [])
                for (int seed = 0; seed < learner!["seeds"]!.GetValue<int>(); seed++)
                {
                    string algo = learner["algo"]!.GetValue<string>();
                    var log = SumoTraining.ReadEpisodes(new RunFolder(Path.Combine(outDir, name, $"{algo}-seed{seed}")));
                    curves.Add(($"{algo} seed {seed} (training episodes)", log.Select(e => (double)(e.Episode + 1)).ToArray(), log.Select(e => e.Metrics.AvgDelay).ToArray()));
                }
            if (curves.Count > 0) WriteCurves(Path.Combine(outDir, $"{name}-curves.png"), name, curves, scenario.AsObject());
        }
        return 0;
    }

    static string Markdown(List<string[]> rows, int episodes, int evalEpisodes)
    {
        string[] header = ["scenario", "controller", "seeds", "avg_delay (s)", "RESCO-style (s)", "time_loss (s)", "depart_delay (s)", "trip_time (s)", "avg_wait (s)", "throughput", "in_network",
            "train wall s/sim-h", "train coupling", "eval coupling"];
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        sb.AppendLine();
        sb.AppendLine($"avg_delay: RESCO's delay (resco_benchmark/utils/readXML.py: timeLoss + departDelay over every trip, unfinished ones included, " +
                      "plus end - scheduled depart for each vehicle that never departed, per vehicle), greedy evaluation on " +
                      $"{(evalEpisodes == 1 ? "a held-out seed" : $"{evalEpisodes} held-out seeds")} after {episodes} training episodes (baselines: mean over their eval seeds; " +
                      "validated: the networks marl validate picked on validation seeds); RESCO-style: the figure RESCO's tables report " +
                      "(graph.py): a learner's lowest per-episode mean across seeds of its training episodes' avg_delay (ep = that episode, from 0), " +
                      "a baseline's mean; time_loss: mean timeLoss of completed trips; depart_delay: their mean wait before insertion; " +
                      "coupling: wall time per simulated hour / SUMO alone's (static lights, no TraCI).");
        return sb.ToString();
    }

    const string TabularPrefix = "tabular-";

    /// <summary>The tabular algorithm of a learner named tabular-ALGO, or null for a deep learner.</summary>
    static string? TabularAlgo(string learner) => learner.StartsWith(TabularPrefix, StringComparison.Ordinal) ? learner[TabularPrefix.Length..] : null;

    static string Label(string learner) => TabularAlgo(learner) is string t ? $"tabular {t}" : $"deep {learner}";

    /// <summary>A table row of evaluation means (<paramref name="metric"/> by summary key), with the training columns given or "-".</summary>
    static string[] EvalRow(string scenario, string controller, int seeds, Func<string, double> metric, string rescoStyle, double alone,
        string trainWall = "-", string trainCoupling = "-") =>
        [scenario, controller, seeds.ToString(CultureInfo.InvariantCulture), F(metric("avg_delay")), rescoStyle, F(metric("avg_time_loss")),
            F(metric("avg_depart_delay")), F(metric("avg_trip_time")), F(metric("avg_wait")), F(metric("throughput"), "0"),
            F(metric("vehicles_in_network"), "0"), trainWall, trainCoupling, F(metric("eval_wall_seconds_per_episode") / alone, "0.00")];

    static double D(JsonObject o, string key) => o[key]?.GetValue<double>() ?? double.NaN;
    static string F(double v, string format = "0.0") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
    static JsonNode? Round(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 4)) : null;
    static List<string> List(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] resco-bench: {message}");

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MarlEdge.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
