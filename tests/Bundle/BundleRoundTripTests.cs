using MarlEdge.Runtime.Onnx;
using MarlEdge.Runtime.Validate;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Tests.Onnx;
using Xunit;

namespace MarlEdge.Tests.Bundle;

/// <summary>
/// Issue 4's round trip: read a bundle into managed networks, change their weights (as on-device learning does), write it back,
/// and ONNX Runtime loads the new models and agrees with the changed managed networks.
/// </summary>
public class BundleRoundTripTests
{
    [Fact]
    public void ReadChangeWriteBackAndOnnxRuntimeAgrees()
    {
        using var b = new TestBundle();
        var read = BundleReader.Read(b.Dir, b.Key);
        var q = (QNetwork)read.Agents[0].Policy.Network;
        var gru = (GruQNetwork)read.Agents[1].Policy.Network;

        var rng = new Random(5);
        var obs = ParityData.Uniform(rng, 1000, 4, -2, 2);
        var mask = ParityData.Masks(rng, 1000, 5);
        float[] before;
        using (var ort = new OrtPolicySession(read.Agents[0].ModelBytes)) before = ort.Run(1000, obs, mask).Floats["q_values"];

        // "Learning": nudge every parameter of both agents through the NamedTensor views.
        foreach (var p in q.Parameters().Concat(gru.Parameters()))
            for (int i = 0; i < p.Data.Length; i++) p.Data[i] += 0.25f * MathF.Sin(i + 1);

        string outDir = Path.Combine(b.Root, "relearned");
        BundleWriter.Write(outDir, read.Origin, read.Agents.Select(a => a.ToBundleAgent()).ToArray(), b.Key);
        var again = BundleValidator.Validate(outDir, b.Key);
        Assert.Equal(read.Manifest.RunId, again.Manifest.RunId);
        Assert.Equal(["x", "y", "vx", "vy"], again.Manifest.Agents[0].Observation.Features);

        using var session = new OrtPolicySession(again.Agents[0].ModelBytes);
        var o = session.Run(1000, obs, mask);
        var managed = new float[1000 * 5];
        var actions = new long[1000];
        for (int r = 0; r < 1000; r++) actions[r] = q.Act(obs.AsSpan(r * 4, 4), mask.AsSpan(r * 5, 5), managed.AsSpan(r * 5, 5));
        Assert.True(ParityData.MaxAbsDiff(managed, o.Floats["q_values"]) <= ParityData.Tolerance);
        Assert.Equal(0, ParityData.Mismatches(actions, o.Action!));
        Assert.True(ParityData.MaxAbsDiff(before, o.Floats["q_values"]) > 0.1, "the written-back model still computes the old values");

        // The recurrent agent too: one step from a zero state.
        using var gruSession = new OrtPolicySession(again.Agents[1].ModelBytes);
        var gObs = ParityData.Uniform(rng, 1, 3, -1, 1);
        var go = gruSession.Run(1, gObs, [1, 1], new float[8]);
        var gq = new float[2];
        var state = new float[8];
        long ga = gru.Act(gObs, [1, 1], new float[8], state, gq);
        Assert.True(ParityData.MaxAbsDiff(gq, go.Floats["q_values"]) <= ParityData.Tolerance);
        Assert.True(ParityData.MaxAbsDiff(state, go.Floats["state_out"]) <= ParityData.Tolerance);
        Assert.Equal(ga, go.Action![0]);
    }

    [Fact]
    public void OnnxReaderRecoversEveryWeightExactly()
    {
        var rng = new Random(9);
        var norm = new ObservationNormalizer([1, 2, 3], [0.5f, 1, 2]);
        PolicyNetwork[] nets =
        [
            new QNetwork(Mlp.Create([3, 8, 8, 4], Activation.ReLU, rng), norm),
            new CategoricalActor(Mlp.Create([3, 8, 4], Activation.Tanh, rng)),
            new GaussianActor(Mlp.Create([3, 8, 2], Activation.Tanh, rng), [-0.5f, 0.25f]),
            GruQNetwork.Create(3, 6, 5, 4, rng),
            new TabularPolicyNet(3, 4, ParityData.Uniform(rng, 3, 4, -1, 1), "q_values"),
        ];
        foreach (var net in nets)
        {
            var info = new PolicyModelInfo("agent-7", ["a", "b", "c"]);
            var loaded = PolicyOnnxReader.Read(PolicyOnnxWriter.ToBytes(net, info));
            Assert.Equal(net.Kind, loaded.Network.Kind);
            Assert.Equal("agent-7", loaded.Info.AgentId);
            Assert.Equal(["a", "b", "c"], loaded.Info.ObservationFeatures);
            Assert.Equal(PolicyContract.Version, loaded.Contract);
            var expected = net.Parameters().ToDictionary(p => p.Name);
            var actual = loaded.Network.Parameters().ToArray();
            Assert.Equal(expected.Count, actual.Length);
            foreach (var p in actual)
            {
                Assert.Equal(expected[p.Name].Shape, p.Shape);
                Assert.Equal(expected[p.Name].Data, p.Data);
            }
        }
    }

    [Fact]
    public void WriterRefusesNonFiniteWeights()
    {
        var net = new QNetwork(Mlp.Create([2, 3], Activation.ReLU, new Random(1)));
        net.Mlp.Layers[0].Bias[1] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => PolicyOnnxWriter.ToBytes(net, new PolicyModelInfo("0", ["a", "b"])));
        Assert.Contains("mlp.0.bias[1]", e.Message);
    }
}
