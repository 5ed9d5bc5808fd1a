using MarlEdge.Shared.Learning;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>The blocked SIMD kernels against plain loops in double precision, on shapes that hit every remainder path: batches that are
/// not multiples of the 4-sample block, and layer widths below, at and between multiples of the vector width.</summary>
public class KernelTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 8, 8 }, { 3, 30, 64 }, { 5, 17, 9 }, { 32, 64, 4 }, { 7, 13, 23 }, { 33, 64, 64 }, { 4, 5, 7 }, { 6, 40, 1 },
    };

    static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    static void Close(double expected, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Theory, MemberData(nameof(Shapes))]
    public void Forward_and_both_gradients_match_plain_loops(int batch, int inD, int outD)
    {
        var rng = new Random(batch * 1000 + inD * 10 + outD);
        float[] x = Random(rng, batch * inD), w = Random(rng, outD * inD), bias = Random(rng, outD), g = Random(rng, batch * outD);
        var y = new float[batch * outD];
        Kernels.Forward(x, w, bias, y, new float[inD * outD], batch, inD, outD);
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outD; o++)
            {
                double s = bias[o];
                for (int k = 0; k < inD; k++) s += (double)x[b * inD + k] * w[o * inD + k];
                Close(s, y[b * outD + o], $"y[{b},{o}]");
            }

        var gw = new float[outD * inD];
        var gb = new float[outD];
        Array.Fill(gw, float.NaN); // overwritten, not accumulated
        Kernels.WeightGradient(g, x, gw, gb, batch, inD, outD);
        for (int o = 0; o < outD; o++)
        {
            double sb = 0;
            for (int b = 0; b < batch; b++) sb += g[b * outD + o];
            Close(sb, gb[o], $"gb[{o}]");
            for (int k = 0; k < inD; k++)
            {
                double s = 0;
                for (int b = 0; b < batch; b++) s += (double)g[b * outD + o] * x[b * inD + k];
                Close(s, gw[o * inD + k], $"gW[{o},{k}]");
            }
        }

        var gx = new float[batch * inD];
        Array.Fill(gx, float.NaN);
        Kernels.InputGradient(g, w, gx, batch, inD, outD);
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < inD; k++)
            {
                double s = 0;
                for (int o = 0; o < outD; o++) s += (double)g[b * outD + o] * w[o * inD + k];
                Close(s, gx[b * inD + k], $"gX[{b},{k}]");
            }
    }
}
