using System.Text.Json;
using Xunit;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Sumo;
using MarlEdge.Trainer.Sumo.Learning;

namespace MarlEdge.Tests.Sumo;

/// <summary>The tabular learners on sumo: specs (<c>--tabular</c>), on the generated 2x2 grid (60 decisions per episode).</summary>
[Collection("Sumo")]
public sealed class SumoTabularTests(SumoScenarioFixture scenario)
{
    static int Cli(string[] args, out string stdout, out string stderr) => TrainerCli.Run(args, out stdout, out stderr);

    [Fact]
    public void State_index_is_the_phase_the_longest_queued_phase_and_both_queue_bins_from_the_named_features()
    {
        var x = new PhaseQueueStates("tls", ["phase:0:GGrr", "phase:1:rrGG"], [["lane:a:queue"], ["lane:b:queue", "lane:c:queue"]], [1f, 3f, 7f]);
        Assert.Equal(2 * 2 * 4 * 4, x.Count);
        string[] names = ["lane:a:queue", "lane:b:queue", "lane:c:queue", "phase:0:GGrr", "phase:1:rrGG"];
        var r = x.Resolve(names);
        int S(int c, int m, int binM, int binC) => c + 2 * (m + 2 * (binM + 4 * binC));
        Assert.Equal(S(0, 0, 0, 0), r.StateIndex([0, 0, 0, 1, 0]));
        Assert.Equal(S(1, 0, 0, 0), r.StateIndex([0, 0, 0, 0, 1]));   // phase 1 green, all empty (ties to phase 0)
        Assert.Equal(S(0, 1, 3, 2), r.StateIndex([3, 5, 4, 1, 0]));   // green 0 with 3 queued; phase 1 longest with 9
        Assert.Equal(S(1, 0, 1, 1), r.StateIndex([2, 1, 1, 0, 1]));   // green 1 with 2 queued; phase 0 ties at 2, lowest index
        int Bin(int q) => q >= 7 ? 3 : q >= 3 ? 2 : q >= 1 ? 1 : 0;
        for (int a = 0; a < 9; a++)
            for (int b = 0; b < 9; b++)
                for (int c = 0; c < 2; c++)
                {
                    int m = b > a ? 1 : 0, qm = Math.Max(a, b), qc = c == 0 ? a : b;
                    int state = r.StateIndex([a, b / 2, b - b / 2, 1 - c, c]);
                    Assert.Equal(S(c, m, Bin(qm), Bin(qc)), state);
                    Assert.Equal(m, r.LongestQueuedPhase(state));
                }
        Assert.Throws<SumoException>(() => x.Resolve(names[1..]));
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ma2ql")]
    [InlineData("i2q")]
    [InlineData("ippo")]
    [InlineData("dpo")]
    public void Tabular_train_writes_a_sumo_run_folder_and_eval_replays_the_greedy_tables(string algo)
    {
        string run = scenario.NewRunFolder();
        int code = Cli(["train", "--env", scenario.GridSpec(), "--algo", algo, "--tabular", "--steps", "120", "--out", run, "--quiet"], out string trained, out string err);
        Assert.True(code == 0, err);
        foreach (string file in new[] { "config.json", "episodes.csv", "curve.png", "policy.json", "summary.json", "tripinfo.xml" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "episodes.csv")).Length);   // header + two 60-step episodes

        using var policy = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "policy.json")));
        var agents = policy.RootElement.GetProperty("agents");
        Assert.Equal(4, agents.GetArrayLength());
        foreach (var a in agents.EnumerateArray())
        {
            int states = a.GetProperty("greedy_action").GetArrayLength();
            int visited = a.GetProperty("visited_states").GetInt32();
            Assert.InRange(visited, 2, Math.Min(states, 120));   // the phase changed at least once; at most one new state per step
            Assert.Equal(visited, a.GetProperty("greedy_action").EnumerateArray().Count(x => x.GetInt32() >= 0));   // -1 marks the others
        }

        using var summary = JsonDocument.Parse(trained);
        Assert.True(summary.RootElement.GetProperty("tabular").GetBoolean());
        Assert.InRange(summary.RootElement.GetProperty("eval_unvisited_state_share").GetDouble(), 0, 1);
        Assert.True(summary.RootElement.GetProperty("throughput").GetDouble() > 0);
        File.Delete(Path.Combine(run, "tripinfo.xml"));
        code = Cli(["eval", "--run", run, "--json"], out string evaluated, out err);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(run, "tripinfo.xml")));
        using var eval = JsonDocument.Parse(evaluated);
        foreach (string key in new[] { "avg_delay", "avg_wait", "throughput", "vehicles_in_network" })
            Assert.Equal(summary.RootElement.GetProperty(key).GetDouble(), eval.RootElement.GetProperty(key).GetDouble());   // same tables, same eval seed
        Assert.Equal("greedy", eval.RootElement.GetProperty("eval_actions").GetString());
        Assert.Equal(2, Cli(["eval", "--run", run, "--eval-sample"], out _, out err));   // a table keeps greedy actions, no policy to sample
        Assert.Contains("--eval-sample applies to deep actor-critic runs only", err);
    }

    [Fact]
    public void Same_seed_gives_the_same_tables_and_metrics()
    {
        string a = scenario.NewRunFolder(), b = scenario.NewRunFolder();
        foreach (string run in new[] { a, b })
            Assert.Equal(0, Cli(["train", "--env", scenario.GridSpec(), "--algo", "iql", "--tabular", "--steps", "120", "--seed", "3", "--out", run, "--quiet"], out _, out _));
        Assert.Equal(File.ReadAllText(Path.Combine(a, "policy.json")), File.ReadAllText(Path.Combine(b, "policy.json")));
        string Csv(string run) => string.Join("\n", File.ReadAllLines(Path.Combine(run, "episodes.csv")).Select(l => l[..l.LastIndexOf(',')]));   // wall time differs
        Assert.Equal(Csv(a), Csv(b));
    }

    [Fact]
    public void Tabular_iql_learns_to_beat_a_uniformly_random_controller_on_the_lopsided_grid()
    {
        // A random policy keeps switching (yellow and all-red every few steps) and serves the heavy west-east flow half the
        // time; after 40 training episodes the greedy tables must lose clearly less time per vehicle. γ = 0.9, RESCO
        // grid4x4's scenario setting.
        string run = scenario.NewRunFolder();
        int code = Cli(["train", "--env", scenario.GridSpec(",gamma=0.9"), "--algo", "iql", "--tabular", "--steps", "2400", "--out", run, "--quiet"], out string trained, out string err);
        Assert.True(code == 0, err);
        using var summary = JsonDocument.Parse(trained);
        double learned = summary.RootElement.GetProperty("avg_delay").GetDouble();

        using var sumo = new SumoEnv(SumoScenario.Resolve(scenario.GridSpec(",gamma=0.9")));
        var obs = sumo.Agents.Select(x => new float[x.Observation.Dim]).ToArray();
        var rewards = new float[sumo.Agents.Count];
        var joint = new JointAction(sumo.Agents);
        var rng = new Random(1);
        sumo.Reset(SumoEval.EvalSeedBase, obs);
        do
            for (int i = 0; i < joint.Discrete.Length; i++) joint.Discrete[i] = rng.Next(sumo.Agents[i].Action.Count);
        while (!sumo.Step(joint, obs, rewards).Done);
        double random = sumo.LastEpisode!.AvgDelay;
        Assert.True(learned < 0.8 * random, $"tabular IQL {learned:F1} s against random {random:F1} s");
    }

    [Fact]
    public void Resume_after_a_checkpoint_ends_where_an_uninterrupted_run_ends()
    {
        string whole = scenario.NewRunFolder(), cut = scenario.NewRunFolder();
        string[] train(string run) => ["train", "--env", scenario.GridSpec(), "--algo", "ma2ql", "--tabular", "--steps", "720", "--seed", "2", "--out", run, "--quiet"];
        foreach (string run in new[] { whole, cut })
        {
            int c = Cli(train(run), out _, out string e);
            Assert.True(c == 0, e);
        }
        Assert.True(File.Exists(Path.Combine(cut, "checkpoint.bin")));   // after episode 10 of 12
        // As if SUMO had died in episode 12: its outputs are gone, episodes.csv still lists episode 11.
        foreach (string f in new[] { "summary.json", "tripinfo.xml", "policy.json" }) File.Delete(Path.Combine(cut, f));
        var lines = File.ReadAllLines(Path.Combine(cut, "episodes.csv"));
        File.WriteAllLines(Path.Combine(cut, "episodes.csv"), lines[..^1]);
        int code = Cli(["train", "--resume", cut, "--quiet"], out string resumed, out string err);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "policy.json")), File.ReadAllText(Path.Combine(cut, "policy.json")));
        string Csv(string run) => string.Join("\n", File.ReadAllLines(Path.Combine(run, "episodes.csv")).Select(l => l[..l.LastIndexOf(',')]));
        Assert.Equal(Csv(whole), Csv(cut));
        using var doc = JsonDocument.Parse(resumed);
        Assert.Equal(12, doc.RootElement.GetProperty("training_episodes").GetInt32());
    }

    [Fact]
    public void A_corrupt_checkpoint_is_named_in_one_line()
    {
        string run = scenario.NewRunFolder();
        Assert.Equal(0, Cli(["train", "--env", scenario.GridSpec(), "--algo", "iql", "--tabular", "--steps", "660", "--out", run, "--quiet"], out _, out _));
        string cp = Path.Combine(run, "checkpoint.bin");
        var bytes = File.ReadAllBytes(cp);
        File.WriteAllBytes(cp, bytes[..(bytes.Length / 2)]);
        int code = Cli(["train", "--resume", run, "--quiet"], out _, out string err);
        Assert.Equal(2, code);
        Assert.Contains("checkpoint.bin is corrupt", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
