using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// `./marl resco-figure RUN...`: RESCO's published figure (<see cref="RescoReportedFigure"/>) for a set of SUMO training
/// runs of one setting (one per training seed), beside each run's own best episode and its held-out evaluation.
/// </summary>
public sealed class RescoFigureCommand : ICommand
{
    public string Name => "resco-figure";
    public string Summary => "RESCO's reported figure (best episode of the mean training curve) for SUMO training runs";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public string Help => """
        usage: marl resco-figure RUN [RUN...] [--png FILE] [--json]

        RUN: folders of `marl train --env sumo:...` runs of one setting, one per training seed (their episodes.csv).
        RESCO's tables (resco_benchmark/utils/graph.py) report a learner as the minimum over training episodes of the
        per-episode mean of avg_delay across its trials: the best training episode of the mean curve, not a held-out
        evaluation. This prints that figure, the episode where it falls and avg_delay_all there, then one row per run:
        its own best training episode, the mean of its last ten, and its held-out evaluation (summary.json) if it has one.
        Runs of different lengths are cut to the shortest. RESCO's baselines are the mean over their episodes instead:
        compare them with `marl sumo-bench --episodes N`.
          --png FILE   plot every run's training curve and the mean curve, with the figure marked
          --json       print the result object instead of the table
        """;

    public int Run(CommandArgs args)
    {
        string? png = args.String("png");
        bool json = args.Flag("json");
        args.RejectUnknown();
        if (args.Positional.Count == 0) throw new UsageException("give at least one run folder (marl resco-figure RUN [RUN...])");
        var runs = args.Positional.Select(p => new RunFolder(p)).ToList();
        var logs = new List<IReadOnlyList<SumoTrainingEpisode>>();
        foreach (var run in runs)
        {
            if (!File.Exists(Path.Combine(run.Path, SumoTraining.EpisodesFile)))
                throw new UsageException($"'{run.Path}' has no {SumoTraining.EpisodesFile}: not a SUMO training run");
            var log = SumoTraining.ReadEpisodes(run);
            if (log.Count == 0) throw new UsageException($"'{run.Path}' has no training episode in {SumoTraining.EpisodesFile}");
            logs.Add(log);
        }
        var figure = RescoReportedFigure.Of(logs)!;

        var perRun = new JsonArray();
        for (int i = 0; i < runs.Count; i++)
        {
            var own = RescoReportedFigure.Of([logs[i]])!;
            var summary = File.Exists(runs[i].SummaryPath) ? JsonNode.Parse(File.ReadAllText(runs[i].SummaryPath)) : null;
            perRun.Add(new JsonObject
            {
                ["run"] = runs[i].Path,
                ["episodes"] = logs[i].Count,
                ["best_episode"] = own.Episode,
                ["best_avg_delay"] = Math.Round(own.AvgDelay, 4),
                ["last_ten_avg_delay"] = Math.Round(own.LastTenAvgDelay, 4),
                ["eval_avg_delay"] = summary?["avg_delay"]?.DeepClone(),
                ["eval_avg_delay_all"] = summary?["avg_delay_all"]?.DeepClone(),
            });
        }
        var result = new JsonObject { ["resco_reported"] = figure.ToJson(), ["per_run"] = perRun };
        if (png is not null) WritePlot(png, runs, logs, figure);
        Console.WriteLine(json ? result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : Table(figure, perRun));
        return 0;
    }

    static string Table(RescoReportedFigure figure, JsonArray perRun)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"RESCO's reported figure over {figure.Runs} run(s), {figure.Episodes} episodes: **{F(figure.AvgDelay)} s** at training episode {figure.Episode} " +
                      $"(avg_delay_all there {F(figure.AvgDelayAll)} s; mean curve over its last ten episodes {F(figure.LastTenAvgDelay)} s)");
        sb.AppendLine();
        sb.AppendLine("| run | episodes | best episode | its avg_delay | last ten, mean | eval avg_delay | eval avg_delay_all |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in perRun)
            sb.AppendLine($"| {r!["run"]} | {r["episodes"]} | {r["best_episode"]} | {F(r["best_avg_delay"])} | {F(r["last_ten_avg_delay"])} | {F(r["eval_avg_delay"])} | {F(r["eval_avg_delay_all"])} |");
        return sb.ToString();
    }

    static void WritePlot(string path, List<RunFolder> runs, List<IReadOnlyList<SumoTrainingEpisode>> logs, RescoReportedFigure figure)
    {
        var series = new List<(string, double[], double[])>();
        for (int i = 0; i < runs.Count; i++)
            series.Add((Path.GetFileName(Path.TrimEndingDirectorySeparator(runs[i].Path)), logs[i].Select(e => (double)e.Episode).ToArray(),
                logs[i].Select(e => e.Metrics.AvgDelay).ToArray()));
        var x = Enumerable.Range(0, figure.Episodes).Select(e => (double)e).ToArray();
        series.Add(($"mean of {figure.Runs} runs", x, figure.MeanCurve));
        series.Add(($"RESCO's figure: {F(figure.AvgDelay)} s (episode {figure.Episode})", [0, figure.Episodes - 1], [figure.AvgDelay, figure.AvgDelay]));
        CurvePlot.Write(path, "average delay per training episode (RESCO's definition)", "training episode (from 0)", "average delay (s)", series);
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";
    static string F(JsonNode? v) => v is null ? "-" : F(v.GetValue<double>());
}
