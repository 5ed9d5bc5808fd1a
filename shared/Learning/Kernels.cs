using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MarlEdge.Shared.Learning;

/// <summary>
/// The batched dense-layer kernels of <see cref="MlpTrainer"/>, register-blocked over <see cref="Vector{T}"/> (AVX2 on x86, NEON on
/// arm64), unaligned loads, no bounds checks in the inner loops. Shapes: X [batch, in], W [out, in] (torch layout), Y/G [batch, out].
/// </summary>
public static class Kernels
{
    static readonly int V = Vector<float>.Count;

    /// <summary>Y = X Wᵀ + b. Four samples share each weight-row load.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int batch, int inD, int outD)
    {
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float ry = ref MemoryMarshal.GetReference(y);
        int vecEnd = Vector.IsHardwareAccelerated ? inD - inD % V : 0;
        int b = 0;
        for (; b + 4 <= batch; b += 4)
        {
            nuint x0 = (nuint)(b * inD), x1 = x0 + (nuint)inD, x2 = x1 + (nuint)inD, x3 = x2 + (nuint)inD;
            for (int o = 0; o < outD; o++)
            {
                nuint wo = (nuint)(o * inD);
                Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
                int k = 0;
                for (; k < vecEnd; k += V)
                {
                    var wv = Vector.LoadUnsafe(ref rw, wo + (nuint)k);
                    a0 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x0 + (nuint)k), a0);
                    a1 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x1 + (nuint)k), a1);
                    a2 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x2 + (nuint)k), a2);
                    a3 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x3 + (nuint)k), a3);
                }
                if (k < inD && inD >= V)
                {
                    // The last partial chunk, loaded overlapping the previous one with the already-counted lanes masked off.
                    nuint off = (nuint)(inD - V);
                    var wv = Vector.BitwiseAnd(Vector.LoadUnsafe(ref rw, wo + off), TailMask(inD % V));
                    a0 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x0 + off), a0);
                    a1 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x1 + off), a1);
                    a2 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x2 + off), a2);
                    a3 = Vector.FusedMultiplyAdd(wv, Vector.LoadUnsafe(ref rx, x3 + off), a3);
                    k = inD;
                }
                float s0 = Vector.Sum(a0), s1 = Vector.Sum(a1), s2 = Vector.Sum(a2), s3 = Vector.Sum(a3);
                for (; k < inD; k++)
                {
                    float wk = Unsafe.Add(ref rw, wo + (nuint)k);
                    s0 += wk * Unsafe.Add(ref rx, x0 + (nuint)k);
                    s1 += wk * Unsafe.Add(ref rx, x1 + (nuint)k);
                    s2 += wk * Unsafe.Add(ref rx, x2 + (nuint)k);
                    s3 += wk * Unsafe.Add(ref rx, x3 + (nuint)k);
                }
                float bo = bias[o];
                Unsafe.Add(ref ry, b * outD + o) = s0 + bo;
                Unsafe.Add(ref ry, (b + 1) * outD + o) = s1 + bo;
                Unsafe.Add(ref ry, (b + 2) * outD + o) = s2 + bo;
                Unsafe.Add(ref ry, (b + 3) * outD + o) = s3 + bo;
            }
        }
        for (; b < batch; b++)
            for (int o = 0; o < outD; o++)
                y[b * outD + o] = Simd.Dot(w.Slice(o * inD, inD), x.Slice(b * inD, inD)) + bias[o];
    }

    static readonly Vector<float>[] TailMasks = Enumerable.Range(0, Vector<float>.Count).Select(rem =>
    {
        var lanes = new float[Vector<float>.Count];
        for (int i = Vector<float>.Count - rem; i < lanes.Length; i++) lanes[i] = BitConverter.Int32BitsToSingle(-1);
        return new Vector<float>(lanes);
    }).ToArray();

    /// <summary>All-ones in the last <paramref name="rem"/> lanes.</summary>
    static Vector<float> TailMask(int rem) => TailMasks[rem];

    /// <summary>gW = Gᵀ X (overwritten) and gb = column sums of G.</summary>
    public static void WeightGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> gw, Span<float> gb, int batch, int inD, int outD)
    {
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rgw = ref MemoryMarshal.GetReference(gw);
        bool vec = Vector.IsHardwareAccelerated && inD >= V;
        Span<float> col = batch <= 256 ? stackalloc float[batch] : new float[batch];
        for (int o = 0; o < outD; o++)
        {
            float sb = 0;
            for (int b = 0; b < batch; b++) sb += col[b] = Unsafe.Add(ref rg, b * outD + o);
            gb[o] = sb;
            nuint wo = (nuint)(o * inD);
            if (sb == 0 && AllZero(col)) { gw.Slice(o * inD, inD).Clear(); continue; } // common in the Q head: one action per sample
            if (!vec)
            {
                for (int k = 0; k < inD; k++)
                {
                    float acc = 0;
                    for (int b = 0; b < batch; b++) acc += col[b] * Unsafe.Add(ref rx, b * inD + k);
                    Unsafe.Add(ref rgw, wo + (nuint)k) = acc;
                }
                continue;
            }
            // Chunks of V over the input; the last chunk overlaps the previous one (each element is stored whole, so overlap is harmless).
            for (int k = 0; k < inD; k += V)
            {
                int kk = Math.Min(k, inD - V);
                Vector<float> acc = default;
                for (int b = 0; b < batch; b++)
                    acc = Vector.FusedMultiplyAdd(new Vector<float>(col[b]), Vector.LoadUnsafe(ref rx, (nuint)(b * inD + kk)), acc);
                acc.StoreUnsafe(ref rgw, wo + (nuint)kk);
            }
        }
    }

    static bool AllZero(ReadOnlySpan<float> a)
    {
        foreach (float v in a) if (v != 0) return false;
        return true;
    }

    /// <summary>gX = G W (overwritten): the gradient with respect to the layer's input.</summary>
    public static void InputGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> w, Span<float> gx, int batch, int inD, int outD)
    {
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rgx = ref MemoryMarshal.GetReference(gx);
        bool vec = Vector.IsHardwareAccelerated && inD >= V;
        for (int b = 0; b < batch; b++)
        {
            nuint xb = (nuint)(b * inD);
            if (!vec)
            {
                for (int k = 0; k < inD; k++)
                {
                    float acc = 0;
                    for (int o = 0; o < outD; o++) acc += Unsafe.Add(ref rg, b * outD + o) * Unsafe.Add(ref rw, o * inD + k);
                    Unsafe.Add(ref rgx, xb + (nuint)k) = acc;
                }
                continue;
            }
            for (int k = 0; k < inD; k += V)
            {
                int kk = Math.Min(k, inD - V);
                Vector<float> acc = default;
                for (int o = 0; o < outD; o++)
                    acc = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref rg, b * outD + o)), Vector.LoadUnsafe(ref rw, (nuint)(o * inD + kk)), acc);
                acc.StoreUnsafe(ref rgx, xb + (nuint)kk);
            }
        }
    }

    /// <summary>Adam on one tensor, vectorized: m, v moments; p −= lr·m/(√v+ε); g scaled by clip first.</summary>
    public static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float scale, float lr, float b1, float b2, float eps)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vp = MemoryMarshal.Cast<float, Vector<float>>(p);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
            var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            Vector<float> s = new(scale), B1 = new(b1), B2 = new(b2), C1 = new(1 - b1), C2 = new(1 - b2), LR = new(lr), EPS = new(eps);
            for (int k = 0; k < vp.Length; k++)
            {
                var gi = vg[k] * s;
                var mi = B1 * vm[k] + C1 * gi;
                var vi = B2 * vv[k] + C2 * gi * gi;
                vm[k] = mi;
                vv[k] = vi;
                vp[k] -= LR * mi / (Vector.SquareRoot(vi) + EPS);
            }
            i = vp.Length * V;
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] * scale;
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            p[i] -= lr * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }

    public static double SumOfSquares(ReadOnlySpan<float> a) => Simd.Dot(a, a);
}
