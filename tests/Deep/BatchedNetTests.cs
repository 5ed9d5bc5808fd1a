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
}
