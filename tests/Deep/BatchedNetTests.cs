using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using Xunit;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Deep;

public class BatchedNetTests
{
    static BatchedMlp Net(int agents) => new(agents, [5, 16, 16, 4], Activation.ReLU, false, i => new Rng((ulong)i, 77));

    [Fact]
    public void BatchedForwardEqualsEachAgentsOwnNetwork()
    {
        using var net = Net(3);
        var rng = new Rng(5);
        var x = Enumerable.Range(0, 3 * 7 * 5).Select(_ => (float)rng.Uniform(-2, 2)).ToArray();
        using var scope = NewDisposeScope();
        var y = net.Forward(tensor(x, [3, 7, 5])).contiguous().data<float>().ToArray();
        var values = new float[4];
        double maxDiff = 0;
        for (int i = 0; i < 3; i++)
        {
            var managed = new QNetwork(net.ToManaged(i));
            for (int b = 0; b < 7; b++)
            {
                managed.Act(x.AsSpan((i * 7 + b) * 5, 5), [1, 1, 1, 1], values);
                for (int a = 0; a < 4; a++) maxDiff = Math.Max(maxDiff, Math.Abs(values[a] - y[(i * 7 + b) * 4 + a]));
            }
        }
        Assert.True(maxDiff < 1e-5, $"max diff {maxDiff}");
    }

    [Fact]
    public void AgentsDoNotShareParametersAndGradientsStayOwn()
    {
        using var net = Net(2);
        Assert.NotEqual(net.ToManaged(0).Layers[0].Weight, net.ToManaged(1).Layers[0].Weight);
        using var scope = NewDisposeScope();
        var x = ones(2, 3, 5);
        var y = net.Forward(x);
        y[0].sum().backward();                                        // a loss of agent 0 only
        var g = net.Layers[0].Weight.grad!;
        Assert.True(g[0].abs().sum().item<float>() > 0);
        Assert.Equal(0f, g[1].abs().sum().item<float>());
    }

    [Fact]
    public void MaskedAdamLeavesFrozenAgentsUntouched()
    {
        using var net = Net(2);
        var before = net.ToManaged(1).Layers[0].Weight.ToArray();
        var before0 = net.ToManaged(0).Layers[0].Weight.ToArray();
        using var adam = new BatchedAdam(net.Parameters(), 0.01);
        using var scope = NewDisposeScope();
        net.Forward(ones(2, 3, 5)).pow(2).sum().backward();
        adam.Step(tensor(new float[] { 1, 0 }));
        Assert.Equal(before, net.ToManaged(1).Layers[0].Weight);
        Assert.NotEqual(before0, net.ToManaged(0).Layers[0].Weight);
    }

    [Fact]
    public void InPlaceAdamStepsGiveTheSameFloatsAsTheMaskedStepWithEveryAgentLearning()
    {
        // Step(null) updates the moments in place; Step(mask) spells every operation out of place. With all agents learning
        // (keep = 1: 1·m + 0·m_old = m exactly) both are the same arithmetic, so weights and moments must agree bit for bit.
        using var a = Net(2);
        using var b = Net(2);
        using var adamA = new BatchedAdam(a.Parameters(), 0.01, maxGradNorm: 0.5);
        using var adamB = new BatchedAdam(b.Parameters(), 0.01, maxGradNorm: 0.5);
        var all = tensor(new float[] { 1, 1 });
        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            var x = full(2, 3, 5, 0.3f * (step + 1));
            adamA.ZeroGrad(); a.Forward(x).pow(2).sum().backward(); adamA.Step();
            adamB.ZeroGrad(); b.Forward(x).pow(2).sum().backward(); adamB.Step(all);
        }
        for (int i = 0; i < 2; i++) Assert.Equal(b.ToManaged(i).Layers[0].Weight, a.ToManaged(i).Layers[0].Weight);
        foreach (var (ma, mb) in adamA.State.Zip(adamB.State))
            Assert.Equal(mb.contiguous().data<float>().ToArray(), ma.contiguous().data<float>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RowLookupIsTheOneHotMatmulWithTheSameGradients(bool shared)
    {
        // Input: [one_hot(o) (6 wide), one_hot(a) (3 wide), dense x (4 wide)] of 2 agents × 5 rows; the lookup path reads rows o and
        // 6 + a and multiplies only x. Outputs and every parameter's gradient must equal the dense matmul's.
        const int n = 2, b = 5, d = 6, a = 3, w = 4, width = d + a + w;
        var rng = new Rng(11);
        var o = Enumerable.Range(0, n * b).Select(_ => (long)rng.NextInt(d)).ToArray();
        var act = Enumerable.Range(0, n * b).Select(_ => (long)rng.NextInt(a)).ToArray();
        var xs = Enumerable.Range(0, n * b * w).Select(_ => (float)rng.Uniform(-1, 1)).ToArray();
        var denseIn = new float[n * b * width];
        for (int r = 0; r < n * b; r++)
        {
            denseIn[r * width + o[r]] = 1;
            denseIn[r * width + d + act[r]] = 1;
            for (int k = 0; k < w; k++) denseIn[r * width + d + a + k] = xs[r * w + k];
        }
        using var dense = new BatchedMlp(n, [width, 8, 3], Activation.ReLU, shared, i => new Rng((ulong)i, 5));
        using var lookup = new BatchedMlp(n, [width, 8, 3], Activation.ReLU, shared, i => new Rng((ulong)i, 5));
        using var scope = NewDisposeScope();
        var yDense = dense.Forward(tensor(denseIn, [n, b, width]));
        var rows = cat([tensor(o, [n, b, 1]), tensor(act, [n, b, 1]).add(tensor(new long[] { d }))], 2);
        var yLookup = lookup.ForwardRows(rows, tensor(xs, [n, b, w]), d + a);
        Assert.True((yDense - yLookup).abs().max().item<float>() < 1e-6f);
        yDense.pow(2).sum().backward();
        yLookup.pow(2).sum().backward();
        foreach (var (p, q) in dense.Parameters().Zip(lookup.Parameters()))
            Assert.True((p.grad! - q.grad!).abs().max().item<float>() < 1e-5f, "gradients differ");
        // Agent 1's output does not read agent 0's rows.
        if (!shared) Assert.NotEqual(yLookup[0].sum().item<float>(), yLookup[1].sum().item<float>());
    }

    [Fact]
    public void OneHotRowsRefusesARowThatIsNotOneHot()
    {
        Assert.Equal(3, OneHotRows.IndexOf([0, 0, 0, 1, 0]));
        Assert.Throws<InvalidOperationException>(() => OneHotRows.IndexOf([0, 1, 0, 1, 0]));
        Assert.Throws<InvalidOperationException>(() => OneHotRows.IndexOf([0, 0.5f, 0]));
        Assert.Throws<InvalidOperationException>(() => OneHotRows.IndexOf([0, 0, 0]));
    }
}
