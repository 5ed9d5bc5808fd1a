using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using Xunit;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Deep;

public class ValueNormalizerTests
{
    [Fact]
    public void MergedBatchesGiveEachAgentTheMomentsOfAllItsReturns()
    {
        var norm = new ValueNormalizer(2);
        float[] a0 = [1, 2, 3, 4], a1 = [100, -50, 20, 10], b0 = [10, 11, 12, 13, 14, 15], b1 = [0, 0, 1, 1, 2, 2];
        norm.Update(tensor(a0.Concat(a1).ToArray(), [2, 4]));
        norm.Update(tensor(b0.Concat(b1).ToArray(), [2, 6]));
        (double mean, double var) Moments(float[] x) { double m = x.Average(v => (double)v); return (m, x.Average(v => (v - m) * (v - m))); }
        var (m0, v0) = Moments([.. a0, .. b0]);
        var (m1, v1) = Moments([.. a1, .. b1]);
        Assert.Equal(m0, norm.Mean(0), 3); Assert.Equal(v0, norm.Variance(0), 2);
        Assert.Equal(m1, norm.Mean(1), 3); Assert.Equal(v1, norm.Variance(1), 1);
    }

    [Fact]
    public void NormalizeStandardizesAndDenormalizeInvertsIt()
    {
        var norm = new ValueNormalizer(2);
        var returns = tensor(new float[] { 5, 7, 9, 11, -300, -100, -200, -400 }, [2, 4]);
        norm.Update(returns);
        var z = norm.Normalize(returns);
        var zs = z.data<float>().ToArray();
        for (int i = 0; i < 2; i++)
        {
            var row = zs.Skip(4 * i).Take(4).ToArray();
            Assert.Equal(0, row.Average(), 3);                                    // each agent's targets centred on its own mean
            Assert.Equal(1, row.Average(v => v * v), 3);                          // and of unit variance
        }
        var back = norm.Denormalize(z).data<float>().ToArray();
        Assert.Equal(returns.data<float>().ToArray(), back, (x, y) => Math.Abs(x - y) < 1e-3);
    }

    [Fact]
    public void CheckpointRestoresTheMoments()
    {
        var norm = new ValueNormalizer(3);
        norm.Update(tensor(Enumerable.Range(0, 12).Select(i => (float)(i * i)).ToArray(), [3, 4]));
        var c = new Checkpoint();
        norm.Save(c);
        var restored = new ValueNormalizer(3);
        restored.Load(c);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(norm.Mean(i), restored.Mean(i));
            Assert.Equal(norm.Variance(i), restored.Variance(i));
        }
        var x = tensor(new float[] { 1, 2, 3 }, [3, 1]);
        Assert.Equal(norm.Normalize(x).data<float>().ToArray(), restored.Normalize(x).data<float>().ToArray());
    }
}
