using MarlEdge.Shared.Policy;
using Xunit;

namespace MarlEdge.Tests.Onnx;

/// <summary>The managed forward pass is the edge runtime's hot path: after construction it must not allocate at all.</summary>
public class ManagedForwardAllocationTests
{
    [Fact]
    public void ForwardPassesAllocateNothing()
    {
        var rng = new Random(3);
        var q = new QNetwork(Mlp.Create([6, 32, 32, 4], Activation.ReLU, rng), new ObservationNormalizer(new float[6], Enumerable.Repeat(2f, 6).ToArray()));
        var gauss = new GaussianActor(Mlp.Create([6, 16, 2], Activation.Tanh, rng), [0f, -1f]);
        var gru = GruQNetwork.Create(6, 8, 8, 4, rng);
        var table = new TabularPolicyNet(6, 4, new float[24], "q_values");
        var obs = ParityData.Uniform(rng, 1, 6, -1, 1);
        float[] mask = [1, 0, 1, 1], values = new float[4], mean = new float[2], logStd = new float[2], h = new float[8], h2 = new float[8];

        void Step()
        {
            q.Act(obs, mask, values);
            table.Act(obs, mask, values);
            gauss.Forward(obs, mean, logStd);
            gru.Act(obs, mask, h, h2, values);
        }
        Step(); // JIT and first-call work
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
