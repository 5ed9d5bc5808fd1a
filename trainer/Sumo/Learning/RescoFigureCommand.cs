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
        its own best training episode, the means of its last ten (avg_delay and avg_delay_all), and its held-out
        evaluation (summary.json) if it has one. The run marked "selected" is the one to deploy when only training
        episodes may decide: the lowest mean avg_delay_all over its last ten episodes (every scheduled vehicle counted,
        so a policy that keeps an entry shut cannot win it).
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
            var summary = File.Exists(runs[i].SummaryPath) ? ReadSummary(runs[i].SummaryPath) : null;
            perRun.Add(new JsonObject
            {
                ["run"] = runs[i].Path,
                ["episodes"] = logs[i].Count,
                ["best_episode"] = own.Episode,
                ["best_avg_delay"] = Math.Round(own.AvgDelay, 4),
                ["last_ten_avg_delay"] = Math.Round(own.LastTenAvgDelay, 4),
                ["last_ten_avg_delay_all"] = double.IsFinite(own.LastTenAvgDelayAll) ? JsonValue.Create(Math.Round(own.LastTenAvgDelayAll, 4)) : null,
                ["eval_avg_delay"] = summary?["avg_delay"]?.DeepClone(),
                ["eval_avg_delay_all"] = summary?["avg_delay_all"]?.DeepClone(),
            });
        }
        var candidates = perRun.Where(r => r!["last_ten_avg_delay_all"] is not null).ToList();
        var selected = candidates.Count == 0 ? null : candidates.MinBy(r => r!["last_ten_avg_delay_all"]!.GetValue<double>());
        if (selected is not null) selected["selected"] = true;
        var result = new JsonObject
        {
            ["resco_reported"] = figure.ToJson(),
            ["selected_run"] = selected?["run"]?.DeepClone(),
            ["selected_on"] = "lowest mean avg_delay_all over the run's last ten training episodes",
            ["per_run"] = perRun,
        };
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
        sb.AppendLine("| run | episodes | best episode | its avg_delay | last ten, avg_delay | last ten, avg_delay_all | eval avg_delay | eval avg_delay_all |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in perRun)
            sb.AppendLine($"| {r!["run"]}{(r["selected"] is null ? "" : " (selected)")} | {r["episodes"]} | {r["best_episode"]} | {F(r["best_avg_delay"])} | " +
                          $"{F(r["last_ten_avg_delay"])} | {F(r["last_ten_avg_delay_all"])} | {F(r["eval_avg_delay"])} | {F(r["eval_avg_delay_all"])} |");
        return sb.ToString();
    }

    /// <summary>Each run's curve thin, the mean curve thick, RESCO's figure dashed; legend outside so no curve hides under it.</summary>
    static void WritePlot(string path, List<RunFolder> runs, List<IReadOnlyList<SumoTrainingEpisode>> logs, RescoReportedFigure figure)
    {
        var plot = new ScottPlot.Plot();
        for (int i = 0; i < runs.Count; i++)
        {
            var run = plot.Add.ScatterLine(logs[i].Select(e => (double)e.Episode).ToArray(), logs[i].Select(e => e.Metrics.AvgDelay).ToArray());
            run.LegendText = Path.GetFileName(Path.TrimEndingDirectorySeparator(runs[i].Path));
            run.LineWidth = 1;
        }
        var mean = plot.Add.ScatterLine(Enumerable.Range(0, figure.Episodes).Select(e => (double)e).ToArray(), figure.MeanCurve);
        mean.LegendText = $"mean of {figure.Runs} runs";
        mean.LineWidth = 4;
        mean.Color = ScottPlot.Colors.Black;
        var best = plot.Add.ScatterLine(new[] { 0.0, figure.Episodes - 1 }, new[] { figure.AvgDelay, figure.AvgDelay });
        best.LegendText = $"RESCO's figure: {F(figure.AvgDelay)} s (episode {figure.Episode})";
        best.LinePattern = ScottPlot.LinePattern.Dashed;
        best.LineWidth = 2;
        best.Color = ScottPlot.Colors.Red;
        plot.Title("average delay per training episode (RESCO's definition)");
        plot.XLabel("training episode (from 0)");
        plot.YLabel("average delay (s)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(1150, 520, ScottPlot.ImageFormat.Png));
    }

    static JsonNode? ReadSummary(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UsageException($"'{path}' is not valid JSON: {e.Message}"); }
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";
    static string F(JsonNode? v) => v is null ? "-" : F(v.GetValue<double>());
}
