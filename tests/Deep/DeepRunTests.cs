using System.Text.Json;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using MarlEdge.Trainer.Runs;
using Xunit;

namespace MarlEdge.Tests.Deep;

public class DeepRunTests
{
    static string Temp() => Path.Combine(Path.GetTempPath(), "marl-deep-" + Guid.NewGuid().ToString("N"));

    static RunSummary Train(string env, string algo, long steps, int seed, string dir, string set = "CurvePoints=2")
    {
        var options = DeepOptions.Default.With(algo, set);
        return DeepRun.Start(new RunFolder(dir), new DeepRunSpec(DeepEnvs.Resolve(env), algo, options, steps, seed, false), quiet: true);
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ma2ql")]
    [InlineData("i2q")]
    [InlineData("ippo")]
    [InlineData("dpo")]
    [InlineData("mdpo")]
    public void EachLearnerBeatsUniformOnClimbing(string algo)
    {
        string dir = Temp();
        var s = Train("matrix:climbing", algo, 3000, 1, dir);
        Assert.True(s.NormalizedScore > 0.3, $"{algo}: normalized score {s.NormalizedScore}");   // uniform = 0
        Assert.True(File.Exists(Path.Combine(dir, "policy.json")));
        Assert.True(File.Exists(Path.Combine(dir, "curve.png")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "tb")));
    }

    [Theory]
    [InlineData("ippo")]
    [InlineData("dpo")]
    [InlineData("mdpo")]
    public void ValueNormalizationLearnsClimbingAndChangesTheRun(string algo)
    {
        string plain = Temp(), normed = Temp();
        Train("matrix:climbing", algo, 3000, 1, plain);
        var s = Train("matrix:climbing", algo, 3000, 1, normed, "CurvePoints=2,ValueNorm=true");
        Assert.True(s.NormalizedScore > 0.3, $"{algo} with ValueNorm: normalized score {s.NormalizedScore}");
        Assert.Contains("\"value_norm\": true", File.ReadAllText(Path.Combine(normed, "config.json")));
        // The critic's targets differ, so training differs (a no-op option would give the same returns; seconds excepted).
        static string[] Returns(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Select(l => l[..l.LastIndexOf(',')]).ToArray();
        Assert.NotEqual(Returns(plain), Returns(normed));
    }

    [Fact]
    public void SameSeedGivesIdenticalPolicyJson()
    {
        string a = Temp(), b = Temp();
        Train("random-sg:states=6,agents=2,actions=3,seed=2", "dpo", 2000, 4, a);
        Train("random-sg:states=6,agents=2,actions=3,seed=2", "dpo", 2000, 4, b);
        Assert.Equal(File.ReadAllText(Path.Combine(a, "policy.json")), File.ReadAllText(Path.Combine(b, "policy.json")));
    }

    [Theory]
    [InlineData("iql", "")]
    [InlineData("iql", ",Gru=true,SequenceLength=3,BatchSize=16")]     // resuming the recurrent learner (short sequences keep it fast)
    [InlineData("i2q", "")]                                               // with each agent's seen successors (one-hot f)
    [InlineData("i2q", ",AnnealLr=true")]                                 // the annealed step follows the resumed step count
    [InlineData("ippo", "")]
    [InlineData("ippo", ",AnnealLr=true")]                                // PPO's annealed step too (CleanRL's --anneal-lr)
    [InlineData("ippo", ",ValueNorm=true")]                               // the critic's running return moments are resumed
    [InlineData("mdpo", "")]
    [InlineData("mdpo", ",ValueNorm=true")]                               // model returns go through the same moments
    public void ResumedRunEndsWhereTheUninterruptedRunEnds(string algo, string extra)
    {
        string env = "random-sg:states=6,agents=2,actions=3,seed=1", full = Temp(), cut = Temp(), set = "CurvePoints=3,CheckpointEvery=1000" + extra;
        Train(env, algo, 3000, 5, full, set);
        // The interrupted run: the same run, stopped after its first checkpoint (here: its checkpoint file is all that is left
        // of a run killed at step ~1000), then resumed.
        var spec = new DeepRunSpec(DeepEnvs.Resolve(env), algo, DeepOptions.Default.With(algo, set), 3000, 5, false);
        Checkpoint? first = null;
        using (var t = new DeepTrainer(spec)) t.Run(new DeepTrainerHooks(WriteCheckpoint: c => first ??= c));
        Assert.NotNull(first);
        Directory.CreateDirectory(cut);
        foreach (var f in new[] { "config.json", DeepRun.DeepFile }) File.Copy(Path.Combine(full, f), Path.Combine(cut, f));
        first!.Write(Path.Combine(cut, DeepRun.CheckpointFile));
        Assert.True(first.Long("trainer.step") < 3000);
        Assert.Equal(0, Trainer.Program.Main(["train", "--resume", cut, "--quiet"]));
        Assert.Equal(File.ReadAllText(Path.Combine(full, "policy.json")), File.ReadAllText(Path.Combine(cut, "policy.json")));
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ma2ql")]
    [InlineData("i2q")]
    public void AnnealLrTakesAdamsStepLinearlyToZero(string algo)
    {
        var options = DeepOptions.Default.With(algo, "CurvePoints=2,LearningRate=0.002,AnnealLr=true");
        Assert.Equal(0.002, QLearnerBase.LearningRateAt(options, 0, 2000), 12);
        Assert.Equal(0.001, QLearnerBase.LearningRateAt(options, 1000, 2000), 12);
        Assert.Equal(0.0, QLearnerBase.LearningRateAt(options, 2000, 2000), 12);
        Assert.Equal(0.002, QLearnerBase.LearningRateAt(DeepOptions.Default.With(algo, "LearningRate=0.002"), 1000, 2000), 12);
        var spec = new DeepRunSpec(DeepEnvs.Resolve("lstage:L=2,seed=3"), algo, options, 2000, 3, false);
        using var t = new DeepTrainer(spec);
        t.Run(new DeepTrainerHooks());
        // The last update ran at one of the final synchronous steps (8 copies): lr ≤ 0.002 · 16 / 2000 = 1.6e-5, and > 0.
        double last = t.Learner.Metrics["lr"];
        Assert.InRange(last, 1e-9, 4e-5);
    }

    [Theory]
    [InlineData("ippo")]
    [InlineData("dpo")]
    [InlineData("mdpo")]
    public void PolicyGradientAnnealLrTakesAdamsStepLinearlyToZero(string algo)
    {
        var options = DeepOptions.Default.With(algo, "CurvePoints=2,LearningRate=0.002,AnnealLr=true");
        var spec = new DeepRunSpec(DeepEnvs.Resolve("lstage:L=2,seed=3"), algo, options, 2000, 3, false);
        using var t = new DeepTrainer(spec);
        t.Run(new DeepTrainerHooks());
        // The last update ran after the last full rollout (8 copies × 32 steps = 256 env steps): step ≥ 2000 − 256, so
        // lr ≤ 0.002 · 256 / 2000 = 2.6e-4; and it is positive (step < 2000) and below the base step.
        double last = t.Learner.Metrics["lr"];
        Assert.InRange(last, 1e-9, 2.6e-4);
        // Without AnnealLr the step stays at LearningRate.
        var fixedSpec = spec with { Options = DeepOptions.Default.With(algo, "CurvePoints=2,LearningRate=0.002") };
        using var f = new DeepTrainer(fixedSpec);
        f.Run(new DeepTrainerHooks());
        Assert.Equal(0.002, f.Learner.Metrics["lr"], 12);
    }

    [Fact]
    public void DeepRunNetworksExportAndMatchTheTrainedPolicy()
    {
        string dir = Temp(), bundle = Temp();
        Train("lstage:L=2,seed=3", "iql", 1500, 2, dir);
        Assert.Equal(0, Trainer.Program.Main(["export", "--run", dir, "--out", bundle]));
        Assert.True(File.Exists(Path.Combine(bundle, "agent-0.onnx")));
        // The exported network's greedy action in every one-hot state is the action policy.json records (from the torch forward).
        var policy = MarlEdge.Shared.Games.TabularPolicy.Read(Path.Combine(dir, "policy.json"));
        for (int i = 0; i < 2; i++)
        {
            var loaded = PolicyOnnxReader.Read(Path.Combine(dir, "networks", $"agent-{i}.onnx"));
            var net = (DiscretePolicyNetwork)loaded.Network;
            var values = new float[3];
            for (int s = 0; s < policy.NumStates; s++)
            {
                var obs = new float[policy.NumStates];
                obs[s] = 1;
                int a = net.Act(obs, [1, 1, 1], values);
                Assert.Equal(1.0, policy.Row(i, s)[a]);
            }
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "networks", DeepRun.ActionsFile)));
        Assert.Equal("discrete", doc.RootElement[0].GetProperty("mapping").GetProperty("kind").GetString());
    }

    [Fact]
    public void ContinuousRunsRecordTheirActionBounds()
    {
        string dir = Temp();
        var s = Train("diff-dpo", "dpo", 640, 0, dir);
        Assert.True(double.IsFinite(s.MeanReturn));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "networks", DeepRun.ActionsFile)));
        var m = doc.RootElement[1].GetProperty("mapping");
        Assert.Equal("gaussian", m.GetProperty("kind").GetString());
        Assert.Equal(-10, m.GetProperty("low").GetSingle());
        Assert.Equal(10, m.GetProperty("high").GetSingle());
        Assert.Equal(NetworkKind.GaussianActor, PolicyOnnxReader.Read(Path.Combine(dir, "networks", "agent-1.onnx")).Network.Kind);
    }

    [Theory]
    [InlineData("diff-dpo", "dpo")]
    [InlineData("diff-i2q:n=3", "iql")]
    [InlineData("random-sg:states=6,agents=2,actions=3,seed=1", "ippo")]
    public void EvalOfADeepRunPrintsItsSummary(string env, string algo)
    {
        string dir = Temp();
        Train(env, algo, 640, 0, dir);
        var output = new StringWriter();
        var stdout = Console.Out;
        Console.SetOut(output);
        try { Assert.Equal(0, Trainer.Program.Main(["eval", "--run", dir, "--json"])); }
        finally { Console.SetOut(stdout); }
        // The same object as summary.json (summary.json is indented; compare the parsed values).
        using var printed = JsonDocument.Parse(output.ToString());
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(Normalize(saved.RootElement), Normalize(printed.RootElement));
    }

    static string Normalize(JsonElement e) => JsonSerializer.Serialize(e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString()));
}
