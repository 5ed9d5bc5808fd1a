using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using Xunit;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Deep;

/// <summary>
/// A memory game no feed-forward policy can solve: at t = 0 each agent sees a cue c ∈ {0, 1} (one-hot over [cue 0, cue 1, blank]);
/// at t = 1 it sees only "blank" and is paid 1 for answering c. Memoryless policies earn 0.5 on average; a GRU can earn 1.
/// </summary>
sealed class CueRecallEnv : IParallelEnv
{
    static readonly AgentSpec[] Specs = Enumerable.Range(0, 2).Select(i => new AgentSpec($"agent-{i}", ObservationSpec.OneHot(3), ActionSpec.Discrete(2))).ToArray();
    Rng _rng = new(1);
    int _cue, _t;
    public string Spec => "cue-recall";
    public IReadOnlyList<AgentSpec> Agents => Specs;
    public double Gamma => 0.99;
    public int EpisodeLimit => 2;
    public StepInfo Info { get; } = new();

    public void Reset(int? seed, float[][] observations)
    {
        if (seed is { } s) _rng = new Rng((ulong)s, 0xC0E);
        _cue = _rng.NextInt(2);
        _t = 0;
        Write(observations, _cue);
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        for (int i = 0; i < 2; i++) rewards[i] = _t == 1 ? (action.Discrete[0] == _cue ? 0.5f : 0) + (action.Discrete[1] == _cue ? 0.5f : 0) : 0;
        _t++;
        Write(observations, 2);
        return new StepResult(_t == 2, false);
    }

    static void Write(float[][] observations, int hot)
    {
        foreach (var o in observations) { Array.Clear(o); o[hot] = 1; }
    }

    public void Dispose() { }
}

public class RecurrentIqlTests
{
    static readonly DeepEnvDefinition Cue = new("cue-recall", () => new CueRecallEnv(), null, 0);

    static DeepTrainer Train(string set, long steps = 2400)
    {
        var options = DeepOptions.Default.With("iql", "CurvePoints=1,EvalEpisodes=0,LearningStarts=200," + set);
        var trainer = new DeepTrainer(new DeepRunSpec(Cue, "iql", options, steps, 3, false));
        trainer.Run(new DeepTrainerHooks());
        return trainer;
    }

    [Fact]
    public void GruIqlRemembersTheCueThatAFeedForwardIqlCannot()
    {
        using var gru = Train("Gru=true,SequenceLength=2");
        using var mlp = Train("Gru=false");
        double withMemory = DeepEvaluation.GreedyReturn(Cue, gru.Learner, 200, true, 0);
        double without = DeepEvaluation.GreedyReturn(Cue, mlp.Learner, 200, true, 0);
        Assert.True(withMemory >= 0.95, $"GRU IQL greedy return {withMemory}");
        Assert.True(without <= 0.75, $"feed-forward IQL greedy return {without} (a memoryless policy earns 0.5 on average)");

        // The exported ONNX networks (GruQNetwork, read back as a device reads them) act as the trained learner does.
        string dir = Path.Combine(Path.GetTempPath(), "marl-gru-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var networks = Enumerable.Range(0, 2).Select(i =>
        {
            string path = Path.Combine(dir, $"agent-{i}.onnx");
            PolicyOnnxWriter.Write(path, gru.Learner.Network(i), new PolicyModelInfo($"agent-{i}", ObservationSpec.OneHot(3).FeatureNames));
            return PolicyOnnxReader.Read(path).Network;
        }).ToArray();
        Assert.All(networks, n => Assert.Equal(NetworkKind.GruQNetwork, n.Kind));
        using var deployed = new DeployedPolicy(networks);
        Assert.Equal(withMemory, DeepEvaluation.GreedyReturn(Cue, deployed, 200, true, 0), 9);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchedGruEqualsEachAgentsManagedGruOverASequence(bool oneHot)
    {
        const int n = 2, b = 4, d = 5, h = 6, a = 3, steps = 3;
        using var net = new BatchedGruQ(n, d, h, a, false, oneHot, i => new Rng((ulong)i, 9));
        var rng = new Rng(4);
        var managed = Enumerable.Range(0, n).Select(net.ToManaged).ToArray();
        var state = new float[n * b * h];
        using var scope = NewDisposeScope();
        var torchState = net.ZeroState(b);
        double maxDiff = 0;
        for (int t = 0; t < steps; t++)
        {
            var obs = new float[n * b * d];
            var idx = new long[n * b];
            for (int r = 0; r < n * b; r++)
            {
                if (oneHot) { idx[r] = rng.NextInt(d); obs[r * d + idx[r]] = 1; }
                else for (int k = 0; k < d; k++) obs[r * d + k] = (float)rng.Uniform(-1, 1);
            }
            var input = oneHot ? tensor(idx, [n, b, 1]) : tensor(obs, [n, b, d]);
            torchState = net.Step(net.Encode(input), torchState);
            var q = net.Q(torchState).contiguous().data<float>().ToArray();
            var values = new float[a];
            for (int i = 0; i < n; i++)
                for (int r = 0; r < b; r++)
                {
                    var next = new float[h];
                    managed[i].Act(obs.AsSpan((i * b + r) * d, d), [1, 1, 1], state.AsSpan((i * b + r) * h, h), next, values);
                    next.CopyTo(state, (i * b + r) * h);
                    for (int k = 0; k < a; k++) maxDiff = Math.Max(maxDiff, Math.Abs(values[k] - q[(i * b + r) * a + k]));
                }
        }
        Assert.True(maxDiff < 1e-5, $"max diff {maxDiff}");
    }
}
