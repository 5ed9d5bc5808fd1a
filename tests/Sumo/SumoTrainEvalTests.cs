using System.Text.Json;
using Xunit;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Sumo;
using MarlEdge.Trainer.Sumo.Learning;

namespace MarlEdge.Tests.Sumo;

/// <summary>`./marl train` and `./marl eval` on sumo: specs, with deep learners, on the generated 2x2 grid (60 decisions per episode).</summary>
[Collection("Sumo")]
public sealed class SumoTrainEvalTests(SumoScenarioFixture scenario)
{
    static readonly string[] MetricKeys = ["avg_delay", "avg_trip_time", "avg_wait", "throughput", "vehicles_in_network"];

    static int Cli(string[] args, out string stdout, out string stderr) => TrainerCli.Run(args, out stdout, out stderr);

    [Theory]
    [InlineData("iql")]
    [InlineData("ippo")]
    public void Train_writes_a_sumo_run_folder_and_eval_reports_resco_metrics_from_tripinfo(string algo)
    {
        string run = scenario.NewRunFolder();
        int code = Cli(["train", "--env", scenario.GridSpec(), "--algo", algo, "--steps", "120", "--out", run, "--quiet", "--set", algo == "iql" ? "LearningStarts=20" : "RolloutSteps=20"],
            out string trained, out string trainError);
        Assert.True(code == 0, trainError);
        foreach (string file in new[] { "config.json", "deep.json", "episodes.csv", "curve.png", "summary.json", "tripinfo.xml",
                     "networks/actions.json", "networks/observation.json", "networks/agent-0.onnx", "networks/agent-3.onnx" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "episodes.csv")).Length);   // header + two 60-step training episodes
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            var recorded = config.RootElement.GetProperty("options").GetProperty("scenario");
            Assert.Equal("Queue", recorded.GetProperty("reward").GetString());   // the reward by name, not as a number
            Assert.EndsWith($"; overridden in the spec: episode_s={SumoScenarioFixture.EpisodeSeconds}", recorded.GetProperty("description").GetString());
        }

        using var summary = JsonDocument.Parse(trained);
        foreach (string key in MetricKeys) Assert.True(summary.RootElement.TryGetProperty(key, out _), key);
        Assert.True(summary.RootElement.GetProperty("throughput").GetDouble() > 0);

        File.Delete(Path.Combine(run, "tripinfo.xml"));
        code = Cli(["eval", "--run", run, "--json"], out string evaluated, out string evalError);
        Assert.True(code == 0, evalError);
        Assert.True(File.Exists(Path.Combine(run, "tripinfo.xml")), "eval writes tripinfo.xml into the run folder");
        using var eval = JsonDocument.Parse(evaluated);
        foreach (string key in MetricKeys)
            Assert.Equal(summary.RootElement.GetProperty(key).GetDouble(), eval.RootElement.GetProperty(key).GetDouble());   // same networks, same eval seed
        Assert.Equal(algo, eval.RootElement.GetProperty("algo").GetString());
        Assert.Equal(0, eval.RootElement.GetProperty("eval_epsilon").GetDouble());

        // ε-greedy evaluation: recorded, and seeded by the episode, so a rerun repeats every metric
        string[] explore = ["eval", "--run", run, "--json", "--eval-epsilon", "0.3", "--episodes", "2"];
        Assert.True(Cli(explore, out string first, out string firstError) == 0, firstError);
        Assert.True(Cli(explore, out string second, out _) == 0);
        using var a = JsonDocument.Parse(first);
        using var b = JsonDocument.Parse(second);
        Assert.Equal(0.3, a.RootElement.GetProperty("eval_epsilon").GetDouble());
        Assert.Equal(2, a.RootElement.GetProperty("eval_episodes").GetInt32());
        foreach (string key in MetricKeys)
            Assert.Equal(a.RootElement.GetProperty(key).GetDouble(), b.RootElement.GetProperty(key).GetDouble());
        var perEpisode = a.RootElement.GetProperty("per_episode").EnumerateArray().ToList();
        Assert.Equal([1000003, 1000004], perEpisode.Select(e => e.GetProperty("seed").GetInt32()));
        Assert.Equal(a.RootElement.GetProperty("avg_delay").GetDouble(), perEpisode.Average(e => e.GetProperty("avg_delay").GetDouble()), 2);

        Assert.Equal(2, Cli(["eval", "--run", run, "--eval-epsilon", "1.5"], out _, out string bad));
        Assert.Contains("--eval-epsilon must be between 0 and 1", bad);

        // sampled evaluation: actor-critic runs draw from their actor's softmax, seeded by the episode; value learners are refused
        string[] sample = ["eval", "--run", run, "--json", "--eval-sample", "--episodes", "2"];
        if (algo == "ippo")
        {
            Assert.True(Cli(sample, out string sampledFirst, out string sampledError) == 0, sampledError);
            Assert.True(Cli(sample, out string sampledSecond, out _) == 0);
            using var s1 = JsonDocument.Parse(sampledFirst);
            using var s2 = JsonDocument.Parse(sampledSecond);
            Assert.Equal("sampled", s1.RootElement.GetProperty("eval_actions").GetString());
            foreach (string key in MetricKeys)
                Assert.Equal(s1.RootElement.GetProperty(key).GetDouble(), s2.RootElement.GetProperty(key).GetDouble());
            Assert.True(Cli(["eval", "--run", run, "--json", "--episodes", "2"], out string greedyTwo, out _) == 0);
            using var g2 = JsonDocument.Parse(greedyTwo);
            Assert.Equal("greedy", g2.RootElement.GetProperty("eval_actions").GetString());
            Assert.NotEqual(g2.RootElement.GetProperty("avg_delay_all").GetDouble(), s1.RootElement.GetProperty("avg_delay_all").GetDouble());   // a barely trained actor is far from deterministic
        }
        else
        {
            Assert.Equal(2, Cli(sample, out _, out string refused));
            Assert.Contains("not an actor's logits: --eval-sample applies to actor-critic runs", refused);
        }
        Assert.Equal(2, Cli(["eval", "--run", run, "--eval-sample", "--eval-epsilon", "0.1"], out _, out string both));
        Assert.Contains("--eval-sample and --eval-epsilon exclude each other", both);

        // model selection on training episodes: networks-best/ is the end of the episode with the lowest avg_delay
        var delays = File.ReadAllLines(Path.Combine(run, "episodes.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int bestEpisode = delays.IndexOf(delays.Min());
        Assert.True(File.Exists(Path.Combine(run, "networks-best", "agent-3.onnx")));
        Assert.False(Directory.Exists(Path.Combine(run, "networks-best.tmp")));
        Assert.Equal(bestEpisode, summary.RootElement.GetProperty("best_training_episode").GetInt32());
        Assert.True(Cli(["eval", "--run", run, "--json", "--networks", "best"], out string bestEval, out string bestError) == 0, bestError);
        using var best = JsonDocument.Parse(bestEval);
        Assert.Equal("networks-best", best.RootElement.GetProperty("networks").GetString());
        Assert.Equal(bestEpisode, best.RootElement.GetProperty("best_training_episode").GetInt32());
        Assert.Equal(delays[bestEpisode], best.RootElement.GetProperty("best_training_avg_delay").GetDouble(), 3);

        // the same on avg_delay_all (every scheduled vehicle counted): networks-best-all/, its own episode
        var delaysAll = File.ReadAllLines(Path.Combine(run, "episodes.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[11], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int bestAllEpisode = delaysAll.IndexOf(delaysAll.Min());
        Assert.Equal(bestAllEpisode, summary.RootElement.GetProperty("best_all_training_episode").GetInt32());
        Assert.Equal(delaysAll[bestAllEpisode], summary.RootElement.GetProperty("best_all_training_avg_delay_all").GetDouble(), 3);
        Assert.True(Cli(["eval", "--run", run, "--json", "--networks", "best-all"], out string bestAllEval, out string bestAllError) == 0, bestAllError);
        using var bestAll = JsonDocument.Parse(bestAllEval);
        Assert.Equal("networks-best-all", bestAll.RootElement.GetProperty("networks").GetString());
        Assert.Equal("avg_delay_all", bestAll.RootElement.GetProperty("selected_on").GetString());
        Assert.Equal(bestAllEpisode, bestAll.RootElement.GetProperty("best_training_episode").GetInt32());
        Assert.Equal(delaysAll[bestAllEpisode], bestAll.RootElement.GetProperty("best_training_avg_delay_all").GetDouble(), 3);
        Assert.Equal(delays[bestAllEpisode], bestAll.RootElement.GetProperty("best_training_avg_delay").GetDouble(), 3);
        Assert.False(Directory.Exists(Path.Combine(run, "networks-best-all.tmp")));
        Assert.Equal(2, Cli(["eval", "--run", run, "--networks", "worst"], out _, out bad));
        Assert.Contains("--networks must be 'final', 'best', 'best-all' or 'val', got 'worst'", bad);
    }

    [Fact]
    public void Deep_registry_dispatches_sumo_specs_with_scaled_observations_and_rewards()
    {
        var def = DeepEnvs.Resolve(scenario.GridSpec(",obs_scale_queue=0.5,reward_scale=0.25,observe_pending=true,obs_scale_pending=0.2"));
        Assert.False(def.IsTabular);
        using var env = Assert.IsType<SumoLearnerEnv>(def.Create());
        Assert.Equal(4, env.Agents.Count);
        var obs = env.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var raw = env.Inner.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var rewards = new float[4];
        env.Reset(3, obs);
        var joint = new JointAction(env.Agents);
        for (int t = 0; t < 20; t++) env.Step(joint, obs, rewards);
        var inner = env.Inner.Intersections;
        for (int i = 0; i < 4; i++)
        {
            var names = env.Agents[i].Observation.FeatureNames;
            int lanes = inner[i].IncomingLanes.Count;
            for (int l = 0; l < lanes; l++)
            {
                Assert.Equal(inner[i].Queue[l] * 0.5f, obs[i][names.ToList().IndexOf($"lane:{inner[i].IncomingLanes[l].Id}:queue")], 5);
                Assert.Equal(inner[i].Wait[l] * 0.01f, obs[i][3 * l + 2], 4);
            }
            for (int e = 0; e < inner[i].IncomingEdges.Count; e++)
                Assert.Equal(inner[i].Pending[e] * 0.2f, obs[i][names.ToList().IndexOf($"edge:{inner[i].IncomingEdges[e]}:pending")], 5);
            Assert.Equal(-(inner[i].TotalQueue() + inner[i].TotalPending()) * 0.25f, rewards[i], 4);
            Assert.Equal(env.Inputs[i].Scale.Count, names.Count);
        }
        Assert.Contains(rewards, r => r < 0);   // queues formed
    }

    [Fact]
    public void Train_on_a_net_without_lights_exits_2_with_one_line()
    {
        int code = Cli(["train", "--env", $"sumo:{scenario.NoLightsFolder}", "--algo", "iql", "--steps", "10", "--out", scenario.NewRunFolder()], out _, out string stderr);
        Assert.Equal(2, code);
        Assert.Contains("no traffic lights", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Resume_after_a_checkpoint_keeps_episodes_csv_consistent()
    {
        string run = scenario.NewRunFolder();
        int code = Cli(["train", "--env", scenario.GridSpec(), "--algo", "iql", "--steps", "180", "--out", run, "--quiet", "--set", "CheckpointEvery=60,LearningStarts=20"],
            out _, out string err);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.bin")));
        // As if the run had died after its last checkpoint (step 120): the third episode and the outputs are gone.
        var lines = File.ReadAllLines(Path.Combine(run, "episodes.csv"));
        Assert.Equal(4, lines.Length);
        foreach (string f in new[] { "summary.json", "tripinfo.xml" }) File.Delete(Path.Combine(run, f));
        Directory.Delete(Path.Combine(run, "networks"), recursive: true);
        code = Cli(["train", "--resume", run, "--quiet"], out string resumed, out err);
        Assert.True(code == 0, err);
        var after = File.ReadAllLines(Path.Combine(run, "episodes.csv"));
        Assert.Equal(4, after.Length);
        Assert.Equal(lines[..3], after[..3]);   // episodes before the checkpoint are kept as they were
        using var doc = JsonDocument.Parse(resumed);
        Assert.Equal(3, doc.RootElement.GetProperty("training_episodes").GetInt32());
        Assert.True(File.Exists(Path.Combine(run, "tripinfo.xml")));
        // the best snapshot is one of the three logged episodes, and never one the resume discarded and re-ran unseen
        var delays = after.Skip(1).Select(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int best = doc.RootElement.GetProperty("best_training_episode").GetInt32();
        Assert.InRange(best, 0, 2);
        Assert.Equal(delays[best], doc.RootElement.GetProperty("best_training_avg_delay").GetDouble(), 3);
        var delaysAll = after.Skip(1).Select(l => double.Parse(l.Split(',')[11], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int bestAll = doc.RootElement.GetProperty("best_all_training_episode").GetInt32();
        Assert.InRange(bestAll, 0, 2);
        Assert.Equal(delaysAll[bestAll], doc.RootElement.GetProperty("best_all_training_avg_delay_all").GetDouble(), 3);
    }
}
