using System.Text.Json.Nodes;
using MarlEdge.Trainer.Runs;
using MarlEdge.Trainer.Sumo;
using MarlEdge.Trainer.Sumo.Learning;
using Xunit;

namespace MarlEdge.Tests.Sumo;

/// <summary>RESCO's reported figure (graph.py: the first minimum of the per-episode mean across trials) and `marl resco-figure`.</summary>
[Collection("Sumo")]   // captures the console, as the other CLI tests do
public sealed class RescoReportedFigureTests(SumoScenarioFixture scenario)
{
    static List<SumoTrainingEpisode> Log(params (double Delay, double All)[] episodes) =>
        episodes.Select((e, k) => new SumoTrainingEpisode(k, 720L * (k + 1),
            new TripInfoMetrics(1000, e.Delay, 100, 200, 50, 10, NotInserted: 0, AvgDelayAll: e.All), 1.0)).ToList();

    [Fact]
    public void Figure_is_the_first_minimum_of_the_mean_curve_not_the_mean_of_each_runs_minimum()
    {
        var a = Log((900, 800), (600, 700), (800, 750), (700, 640));
        var b = Log((900, 820), (900, 760), (600, 720), (700, 660));
        var figure = RescoReportedFigure.Of([a, b])!;
        Assert.Equal([900.0, 750.0, 700.0, 700.0], figure.MeanCurve);
        Assert.Equal(2, figure.Episode);                       // episodes 2 and 3 tie at 700: np.argmin takes the first
        Assert.Equal(700.0, figure.AvgDelay);
        Assert.Equal(735.0, figure.AvgDelayAll);               // the runs' avg_delay_all at that same episode
        Assert.Equal(762.5, figure.LastTenAvgDelay);
        Assert.Equal(731.25, figure.LastTenAvgDelayAll);
        Assert.Equal(600.0, RescoReportedFigure.Of([a])!.AvgDelay);   // one run: its own best episode

        var shorter = Log((500, 500));                         // runs of different lengths are cut to the shortest
        var cut = RescoReportedFigure.Of([a, shorter])!;
        Assert.Equal(1, cut.Episodes);
        Assert.Equal(700.0, cut.AvgDelay);
        Assert.Null(RescoReportedFigure.Of([]));
        Assert.Null(RescoReportedFigure.Of([a, Log()]));
        Assert.Equal(1, RescoReportedFigure.Of([Log((double.NaN, 1), (800, 700), (900, 800))])!.Episode);   // a NaN episode is never the minimum
    }

    [Fact]
    public void Resco_figure_command_prints_the_figure_per_run_rows_and_a_plot()
    {
        string root = Path.Combine(Path.GetTempPath(), "marledge-resco-figure-" + Guid.NewGuid().ToString("N"));
        try
        {
            string runA = Path.Combine(root, "seed0"), runB = Path.Combine(root, "seed1");
            Directory.CreateDirectory(runA);
            Directory.CreateDirectory(runB);
            SumoTraining.WriteEpisodes(new RunFolder(runA), Log((900, 800), (600, 700), (800, 750)));
            SumoTraining.WriteEpisodes(new RunFolder(runB), Log((900, 820), (900, 760), (600, 720)));
            File.WriteAllText(Path.Combine(runA, "summary.json"), """{"avg_delay": 654.5, "avg_delay_all": 640.26}""");
            string png = Path.Combine(root, "figure.png");

            Assert.Equal(0, TrainerCli.Run(["resco-figure", runA, runB, "--json", "--png", png], out string stdout, out _));
            var result = JsonNode.Parse(stdout)!;
            Assert.Equal(2, result["resco_reported"]!["episode"]!.GetValue<int>());
            Assert.Equal(700.0, result["resco_reported"]!["avg_delay"]!.GetValue<double>());
            Assert.Equal(735.0, result["resco_reported"]!["avg_delay_all"]!.GetValue<double>());
            var perRun = result["per_run"]!.AsArray();
            Assert.Equal(1, perRun[0]!["best_episode"]!.GetValue<int>());
            Assert.Equal(654.5, perRun[0]!["eval_avg_delay"]!.GetValue<double>());
            Assert.Null(perRun[1]!["eval_avg_delay"]);         // seed1 has no summary.json: no evaluation to show
            Assert.Equal(runA, result["selected_run"]!.GetValue<string>());   // last-ten avg_delay_all 750 against 766.7
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);

            Assert.Equal(0, TrainerCli.Run(["resco-figure", runA, runB], out string table, out _));
            Assert.Contains("**700.0 s** at training episode 2", table);
            Assert.Contains("| 654.5 | 640.3 |", table);
            Assert.Contains($"| {runA} (selected) |", table);

            Assert.Equal(2, TrainerCli.Run(["resco-figure", runA, root], out _, out string stderr));
            Assert.Contains($"'{root}' has no episodes.csv", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            File.WriteAllText(Path.Combine(runB, "summary.json"), "{\"avg_delay\": 6");   // cut short
            Assert.Equal(2, TrainerCli.Run(["resco-figure", runA, runB], out _, out stderr));
            Assert.Contains("summary.json' is not valid JSON", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Equal(2, TrainerCli.Run(["resco-figure"], out _, out stderr));
            Assert.Contains("at least one run folder", stderr);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Resco_bench_reports_the_figure_over_its_seeds_and_baselines_over_their_episodes()
    {
        string resco = scenario.NewRescoFolder();
        string run = scenario.NewRunFolder();
        int code = TrainerCli.Run(["resco-bench", "--resco", resco, "--scenarios", "grid", "--episodes", "2", "--seeds", "2", "--learners", "iql",
            "--set", "LearningStarts=20", "--baseline-episodes", "2", "--eval-episodes", "2", "--validate", "1", "--scenario-set", $"episode_s={SumoScenarioFixture.EpisodeSeconds}", "--out", run, "--json"],
            out string stdout, out string stderr);
        Assert.True(code == 0, stderr);
        var bench = JsonNode.Parse(stdout)!["scenarios"]![0]!;
        foreach (var baseline in bench["runs"]!.AsArray())
            Assert.Equal(2, baseline!["episodes"]!.GetValue<int>());
        var learner = bench["learners"]![0]!;
        var reported = learner["resco_reported"]!;
        Assert.Equal(2, reported["runs"]!.GetValue<int>());
        Assert.Equal(2, reported["episodes"]!.GetValue<int>());
        var logs = Enumerable.Range(0, 2).Select(s => SumoTraining.ReadEpisodes(new RunFolder(Path.Combine(run, "grid", $"iql-seed{s}")))).ToList();
        double expected = Enumerable.Range(0, 2).Min(e => logs.Average(l => l[e].Metrics.AvgDelay));
        Assert.Equal(expected, reported["avg_delay"]!.GetValue<double>(), 3);
        // held-out evaluation on two seeds per run; then the networks validation picked (two-episode runs keep no
        // snapshot, so the final networks are the only candidate) on the same two seeds, so the same numbers
        Assert.All(learner["per_seed"]!.AsArray(), s => Assert.Equal(2, s!["eval_episodes"]!.GetValue<int>()));
        var validated = learner["validated"]!;
        Assert.Equal(2, validated["per_seed"]!.AsArray().Count);
        Assert.All(validated["per_seed"]!.AsArray(), s => Assert.Equal(1, s!["selected_episode"]!.GetValue<int>()));
        Assert.Equal(learner["avg_delay"]!.GetValue<double>(), validated["avg_delay"]!.GetValue<double>(), 3);
        var pick = validated["per_seed"]!.AsArray().MinBy(s => s!["validation_avg_delay_all"]!.GetValue<double>())!;
        Assert.Equal(pick["seed"]!.GetValue<int>(), validated["picked_seed"]!.GetValue<int>());
        string table = File.ReadAllText(Path.Combine(run, "resco-bench.md"));
        Assert.Contains("deep iql (2 ep, validated) | 2 |", table);
        Assert.Contains($"deep iql (2 ep, validated, seed {pick["seed"]} picked of 2 on validation) | 1 |", table);
        Assert.Contains("RESCO-style (s)", table);
        Assert.Contains("2 (eval seeds 0-1)", table);
    }
}
