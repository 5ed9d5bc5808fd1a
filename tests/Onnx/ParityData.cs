using Xunit;
namespace MarlEdge.Tests.Onnx;

/// <summary>Random test inputs, row-major [batch, dim]: observations, action masks with at least one allowed action, one-hot states.</summary>
static class ParityData
{
    public const int Batch = 10_000;
    public const double Tolerance = 1e-5;

    public static float[] Uniform(Random rng, int rows, int cols, float low, float high)
    {
        var x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = low + (float)rng.NextDouble() * (high - low);
        return x;
    }

    public static float[] Masks(Random rng, int rows, int actions)
    {
        var m = new float[rows * actions];
        for (int r = 0; r < rows; r++)
        {
            for (int a = 0; a < actions; a++) m[r * actions + a] = rng.NextDouble() < 0.7 ? 1 : 0;
            m[r * actions + rng.Next(actions)] = 1;
        }
        return m;
    }

    public static float[] OneHot(Random rng, int rows, int states)
    {
        var x = new float[rows * states];
        for (int r = 0; r < rows; r++) x[r * states + rng.Next(states)] = 1;
        return x;
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            max = Math.Max(max, d);
        }
        return max;
    }

    public static int Mismatches(long[] a, long[] b)
    {
        Assert.Equal(a.Length, b.Length);
        int n = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) n++;
        return n;
    }
}
