using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MarlEdge.Shared.Learning;

/// <summary>The two kernels a small MLP's training needs, vectorized with <see cref="Vector{T}"/> (AVX2 / NEON): dot and y += a·x.</summary>
public static class Simd
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..n]);
            var acc = Vector<float>.Zero;
            for (int k = 0; k < va.Length; k++) acc = Vector.FusedMultiplyAdd(va[k], vb[k], acc);
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y += alpha · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
            var va = new Vector<float>(alpha);
            for (int k = 0; k < vx.Length; k++) vy[k] = Vector.FusedMultiplyAdd(va, vx[k], vy[k]);
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
