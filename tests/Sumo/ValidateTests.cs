using System.Text.Json;
using Xunit;

namespace MarlEdge.Tests.Sumo;

/// <summary>networks-snapshots/ during SUMO training, and `marl validate` choosing among them on validation seeds (the generated 2x2 grid).</summary>
[Collection("Sumo")]
public sealed class ValidateTests(SumoScenarioFixture scenario)
{
    static int Cli(string[] args, out string stdout, out string stderr) => TrainerCli.Run(args, out stdout, out stderr);

    string[] Train(string run, int steps) =>
        ["train", "--env", scenario.GridSpec(), "--algo", "ippo", "--steps", steps.ToString(), "--out", run, "--quiet", "--set", "RolloutSteps=20"];

    [Fact]
    public void Validate_picks_the_snapshot_with_the_lowest_validation_avg_delay_all_and_eval_scores_it()
    {
        string run = scenario.NewRunFolder();
        Assert.True(Cli(Train(run, 660), out _, out string trainError) == 0, trainError);   // 11 episodes of 60 decisions

        // a snapshot after every 5th episode (episodes 4 and 9), each whole: its networks and snapshot.json
        string snapshots = Path.Combine(run, "networks-snapshots");
        Assert.Equal(["episode-0004", "episode-0009"], Directory.GetDirectories(snapshots).Select(Path.GetFileName).Order());
        foreach (var (name, step) in new[] { ("episode-0004", 300), ("episode-0009", 600) })
        {
            using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(snapshots, name, "snapshot.json")));
            Assert.Equal(step, info.RootElement.GetProperty("step").GetInt64());
            Assert.True(File.Exists(Path.Combine(snapshots, name, "agent-3.onnx")));
        }
        Assert.Equal(2, Cli(["eval", "--run", run, "--networks", "val"], out _, out string notYet));
        Assert.Contains("run marl validate on it first", notYet);

        Assert.True(Cli(["validate", "--run", run, "--episodes", "2", "--json", "--quiet"], out string validated, out string validateError) == 0, validateError);
        using var result = JsonDocument.Parse(validated);
        var candidates = result.RootElement.GetProperty("candidates").EnumerateArray().ToList();
        // the two snapshots, then the final networks (the last snapshot is 60 steps before the end)
        Assert.Equal(["networks-snapshots/episode-0004", "networks-snapshots/episode-0009", "networks"],
            candidates.Select(c => c.GetProperty("networks").GetString()));
        foreach (var c in candidates)
            Assert.Equal(c.GetProperty("avg_delay_all").GetDouble(),
                c.GetProperty("per_episode_avg_delay_all").EnumerateArray().Average(e => e.GetDouble()), tolerance: 1e-3);
        var best = candidates.MinBy(c => c.GetProperty("avg_delay_all").GetDouble());
        Assert.Equal(best.GetProperty("episode").GetInt32(), result.RootElement.GetProperty("selected_episode").GetInt32());
        Assert.Equal("2000003..2000004", result.RootElement.GetProperty("validation_seeds").GetString());
        Assert.True(File.Exists(Path.Combine(run, "validation.json")) && File.Exists(Path.Combine(run, "validation.png")));
        Assert.False(Directory.Exists(Path.Combine(run, ".validation")));
        string chosen = Path.Combine(run, best.GetProperty("networks").GetString()!);
        for (int i = 0; i < 4; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(chosen, $"agent-{i}.onnx")), File.ReadAllBytes(Path.Combine(run, "networks-val", $"agent-{i}.onnx")));

        // the same seeds give the same choice and the same numbers
        Assert.True(Cli(["validate", "--run", run, "--episodes", "2", "--json", "--quiet"], out string again, out _) == 0);
        Assert.Equal(validated, again);

        Assert.True(Cli(["eval", "--run", run, "--networks", "val", "--json"], out string evaluated, out string evalError) == 0, evalError);
        using var eval = JsonDocument.Parse(evaluated);
        Assert.Equal("networks-val", eval.RootElement.GetProperty("networks").GetString());
        Assert.Equal("validation avg_delay_all", eval.RootElement.GetProperty("selected_on").GetString());
        Assert.Equal(best.GetProperty("episode").GetInt32(), eval.RootElement.GetProperty("selected_episode").GetInt32());
        Assert.Equal(best.GetProperty("avg_delay_all").GetDouble(), eval.RootElement.GetProperty("validation_avg_delay_all").GetDouble(), tolerance: 1e-3);

        // a fresh run into the same folder drops the old snapshots and the old choice
        Assert.True(Cli(Train(run, 300), out _, out trainError) == 0, trainError);
        Assert.Equal(["episode-0004"], Directory.GetDirectories(snapshots).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(run, "networks-val")));
        Assert.False(File.Exists(Path.Combine(run, "validation.json")));
    }

    [Fact]
    public void Validate_on_a_folder_that_is_not_a_deep_sumo_run_exits_2_with_one_line()
    {
        string run = scenario.NewRunFolder();
        Assert.True(Cli(["train", "--env", "lstage:L=3,seed=0", "--algo", "iql", "--tabular", "--steps", "100", "--out", run], out _, out string e) == 0, e);
        Assert.Equal(2, Cli(["validate", "--run", run], out _, out string error));
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("is not a deep SUMO run", error);
        Assert.Equal(2, Cli(["validate", "--run", run + "-missing"], out _, out error));
        Assert.Contains("is not a run folder", error);
    }
}
