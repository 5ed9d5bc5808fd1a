using Xunit;
using MarlEdge.Runtime.Onnx;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using TorchSharp;
using Xunit.Abstractions;
using static MarlEdge.Tests.Onnx.ParityData;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Onnx;

/// <summary>
/// Issue 4's parity acceptance: for every network type, ONNX Runtime's outputs agree with TorchSharp's forward pass and with the
/// managed forward pass in shared/ to 1e-5 max abs difference over 10,000 random observations, and the masked greedy action agrees
/// on every one of them.
/// </summary>
public class OnnxParityTests(ITestOutputHelper output)
{
    static PolicyModelInfo Info(int dim) => new("0", Enumerable.Range(0, dim).Select(i => $"f{i}").ToArray());

    [Fact]
    public void MlpQNetworkMatchesTorchSharpAndManaged()
    {
        var rng = new Random(1);
        var net = new QNetwork(Mlp.Create([12, 64, 64, 5], Activation.ReLU, rng));
        var seq = TorchReference.Sequential(net.Mlp);
        CheckDiscrete("q_network", net, Uniform(rng, Batch, 12, -3, 3), Masks(rng, Batch, 5), obs => seq.forward(obs));
    }

    [Fact]
    public void NormalizedQNetworkMatchesTorchSharpAndManaged()
    {
        var rng = new Random(2);
        var norm = new ObservationNormalizer(Uniform(rng, 1, 6, -5, 5), Uniform(rng, 1, 6, 0.5f, 4));
        var net = new QNetwork(Mlp.Create([6, 32, 4], Activation.ReLU, rng), norm);
        var seq = TorchReference.Sequential(net.Mlp);
        CheckDiscrete("q_network+normalizer", net, Uniform(rng, Batch, 6, -10, 10), Masks(rng, Batch, 4),
            obs => seq.forward(TorchReference.Normalize(obs, norm)));
    }

    [Fact]
    public void CategoricalActorMatchesTorchSharpAndManaged()
    {
        var rng = new Random(3);
        var net = new CategoricalActor(Mlp.Create([10, 64, 64, 6], Activation.Tanh, rng));
        var seq = TorchReference.Sequential(net.Mlp);
        CheckDiscrete("categorical_actor", net, Uniform(rng, Batch, 10, -3, 3), Masks(rng, Batch, 6), obs => seq.forward(obs));
    }

    [Fact]
    public void TabularPolicyFromPolicyJsonMatchesTorchSharpAndManaged()
    {
        var rng = new Random(4);
        var policy = new TabularPolicy(40, [3, 5]);
        for (int s = 0; s < 40; s++)
        {
            var row = policy.Row(1, s);
            double sum = 0;
            for (int a = 0; a < 5; a++) sum += row[a] = rng.NextDouble() < 0.3 ? 0 : rng.NextDouble();
            if (sum == 0) { row[0] = 1; sum = 1; }
            for (int a = 0; a < 5; a++) row[a] /= sum;
        }
        var net = TabularPolicyNet.FromPolicy(policy, agent: 1);
        var table = TorchReference.Matrix(net.Table, 40, 5);
        CheckDiscrete("tabular(policy.json)", net, OneHot(rng, Batch, 40), Masks(rng, Batch, 5), obs => obs.matmul(table));
    }

    [Fact]
    public void TabularQTableMatchesTorchSharpAndManaged()
    {
        var rng = new Random(5);
        var net = new TabularPolicyNet(30, 4, Uniform(rng, 30, 4, -2, 2), "q_values");
        var table = TorchReference.Matrix(net.Table, 30, 4);
        CheckDiscrete("tabular(q)", net, OneHot(rng, Batch, 30), Masks(rng, Batch, 4), obs => obs.matmul(table));
    }

    [Fact]
    public void GaussianActorMatchesTorchSharpAndManaged()
    {
        var rng = new Random(6);
        var net = new GaussianActor(Mlp.Create([8, 64, 64, 3], Activation.Tanh, rng), Uniform(rng, 1, 3, -1, 0.5f));
        int d = 8, a = 3;
        var obs = Uniform(rng, Batch, d, -3, 3);
        using var ort = new OrtPolicySession(PolicyOnnxWriter.ToBytes(net, Info(d)));
        var o = ort.Run(Batch, obs);
        Assert.Null(o.Action);

        using var scope = NewDisposeScope();
        var seq = TorchReference.Sequential(net.Mean);
        var torchMean = TorchReference.ToArray(seq.forward(TorchReference.Matrix(obs, Batch, d)));
        var torchLogStd = TorchReference.ToArray(tensor(net.LogStd, [1, a]).expand(Batch, a));

        var mean = new float[Batch * a];
        var logStd = new float[Batch * a];
        for (int r = 0; r < Batch; r++) net.Forward(obs.AsSpan(r * d, d), mean.AsSpan(r * a, a), logStd.AsSpan(r * a, a));

        double torchDiff = Math.Max(MaxAbsDiff(torchMean, o.Floats["mean"]), MaxAbsDiff(torchLogStd, o.Floats["log_std"]));
        double managedDiff = Math.Max(MaxAbsDiff(mean, o.Floats["mean"]), MaxAbsDiff(logStd, o.Floats["log_std"]));
        output.WriteLine($"gaussian_actor: ORT vs TorchSharp max|Δ| = {torchDiff:E2}; ORT vs managed max|Δ| = {managedDiff:E2} ({Batch} obs)");
        Assert.True(torchDiff <= Tolerance, $"ORT vs TorchSharp {torchDiff}");
        Assert.True(managedDiff <= Tolerance, $"ORT vs managed {managedDiff}");
        Assert.True(MaxAbsDiff(mean, new float[mean.Length]) > 0.1, "the means are not trivially zero");
    }

    [Fact]
    public void GruQNetworkMatchesTorchSharpAndManaged()
    {
        var rng = new Random(7);
        int d = 10, h = 32, a = 4;
        var net = GruQNetwork.Create(d, 32, h, a, rng);
        var obs = Uniform(rng, Batch, d, -3, 3);
        var state = Uniform(rng, Batch, h, -1, 1);
        var mask = Masks(rng, Batch, a);
        using var ort = new OrtPolicySession(PolicyOnnxWriter.ToBytes(net, Info(d)));
        var o = ort.Run(Batch, obs, mask, state);

        using var scope = NewDisposeScope();
        var (tq, ts) = TorchReference.GruStep(net, TorchReference.Matrix(obs, Batch, d), TorchReference.Matrix(state, Batch, h));
        var torchAction = TorchReference.ToLongArray(TorchReference.MaskedGreedy(tq, TorchReference.Matrix(mask, Batch, a)));

        var q = new float[Batch * a];
        var stateOut = new float[Batch * h];
        var action = new long[Batch];
        for (int r = 0; r < Batch; r++)
            action[r] = net.Act(obs.AsSpan(r * d, d), mask.AsSpan(r * a, a), state.AsSpan(r * h, h), stateOut.AsSpan(r * h, h), q.AsSpan(r * a, a));

        double torchDiff = Math.Max(MaxAbsDiff(TorchReference.ToArray(tq), o.Floats["q_values"]), MaxAbsDiff(TorchReference.ToArray(ts), o.Floats["state_out"]));
        double managedDiff = Math.Max(MaxAbsDiff(q, o.Floats["q_values"]), MaxAbsDiff(stateOut, o.Floats["state_out"]));
        int torchMismatch = Mismatches(torchAction, o.Action!), managedMismatch = Mismatches(action, o.Action!);
        output.WriteLine($"gru_q_network: ORT vs TorchSharp max|Δ| = {torchDiff:E2}, action mismatches {torchMismatch}; ORT vs managed max|Δ| = {managedDiff:E2}, mismatches {managedMismatch} ({Batch} obs)");
        Assert.True(torchDiff <= Tolerance, $"ORT vs TorchSharp {torchDiff}");
        Assert.True(managedDiff <= Tolerance, $"ORT vs managed {managedDiff}");
        Assert.Equal(0, torchMismatch);
        Assert.Equal(0, managedMismatch);
        AssertActionsAreInformative(o.Floats["q_values"], o.Action!, mask, a);
    }

    void CheckDiscrete(string label, DiscretePolicyNetwork net, float[] obs, float[] mask, Func<Tensor, Tensor> torchValues)
    {
        int d = net.ObservationDim, a = net.ActionSize;
        using var ort = new OrtPolicySession(PolicyOnnxWriter.ToBytes(net, Info(d)));
        var o = ort.Run(Batch, obs, mask);
        var ortValues = o.Floats[net.OutputName];
        var ortAction = o.Action!;

        using var scope = NewDisposeScope();
        var tv = torchValues(TorchReference.Matrix(obs, Batch, d));
        var torchAction = TorchReference.ToLongArray(TorchReference.MaskedGreedy(tv, TorchReference.Matrix(mask, Batch, a)));

        var values = new float[Batch * a];
        var action = new long[Batch];
        for (int r = 0; r < Batch; r++) action[r] = net.Act(obs.AsSpan(r * d, d), mask.AsSpan(r * a, a), values.AsSpan(r * a, a));

        double torchDiff = MaxAbsDiff(TorchReference.ToArray(tv), ortValues);
        double managedDiff = MaxAbsDiff(values, ortValues);
        int torchMismatch = Mismatches(torchAction, ortAction), managedMismatch = Mismatches(action, ortAction);
        output.WriteLine($"{label}: ORT vs TorchSharp max|Δ| = {torchDiff:E2}, action mismatches {torchMismatch}; ORT vs managed max|Δ| = {managedDiff:E2}, mismatches {managedMismatch} ({Batch} obs)");
        Assert.True(torchDiff <= Tolerance, $"ORT vs TorchSharp {torchDiff}");
        Assert.True(managedDiff <= Tolerance, $"ORT vs managed {managedDiff}");
        Assert.Equal(0, torchMismatch);
        Assert.Equal(0, managedMismatch);
        AssertActionsAreInformative(ortValues, ortAction, mask, a);
    }

    /// <summary>Guards the test itself: the actions vary, and the mask changes some of them (so it is really applied).</summary>
    static void AssertActionsAreInformative(float[] values, long[] action, float[] mask, int a)
    {
        Assert.True(action.Distinct().Count() > 1, "every observation gave the same action");
        int maskChanged = 0;
        for (int r = 0; r < action.Length; r++)
        {
            Assert.True(mask[r * a + (int)action[r]] > 0, $"row {r}: action {action[r]} is masked out");
            int unmasked = 0;
            for (int k = 1; k < a; k++) if (values[r * a + k] > values[r * a + unmasked]) unmasked = k;
            if (unmasked != action[r]) maskChanged++;
        }
        Assert.True(maskChanged > 0, "the mask never changed an action");
    }
}
