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

    /// <summary>
    /// Y = X Wᵀ + b. With at least <see cref="Vector{T}.Count"/> outputs, Wᵀ is laid out in <paramref name="wt"/> ([in, out], scratch
    /// of in·out floats) and the product is vectorized over outputs: a block of 4 samples × 2 output vectors keeps 8 accumulators in
    /// registers, so no horizontal sums are needed. Narrower layers (a Q head) take one dot product per output.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<float> wt, int batch, int inD, int outD)
    {
        if (!Vector.IsHardwareAccelerated || outD < V) { ForwardByDots(x, w, bias, y, batch, inD, outD); return; }
        Transpose(w, wt, outD, inD);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rwt = ref MemoryMarshal.GetReference(wt);
        ref float ry = ref MemoryMarshal.GetReference(y);
        ref float rb = ref MemoryMarshal.GetReference(bias);
        int b = 0;
        for (; b + 4 <= batch; b += 4)
        {
            nuint x0 = (nuint)(b * inD), x1 = x0 + (nuint)inD, x2 = x1 + (nuint)inD, x3 = x2 + (nuint)inD;
            nuint y0 = (nuint)(b * outD), y1 = y0 + (nuint)outD, y2 = y1 + (nuint)outD, y3 = y2 + (nuint)outD;
            for (int o = 0; o < outD; o += 2 * V)
            {
                // Two output vectors; the last ones overlap earlier ones when outD is not a multiple of V (recomputed, same values).
                nuint o0 = (nuint)Math.Min(o, outD - V), o1 = (nuint)Math.Min(o + V, outD - V);
                var b0 = Vector.LoadUnsafe(ref rb, o0); var b1 = Vector.LoadUnsafe(ref rb, o1);
                Vector<float> a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
                for (int k = 0; k < inD; k++)
                {
                    nuint row = (nuint)(k * outD);
                    var w0 = Vector.LoadUnsafe(ref rwt, row + o0);
                    var w1 = Vector.LoadUnsafe(ref rwt, row + o1);
                    var v = new Vector<float>(Unsafe.Add(ref rx, x0 + (nuint)k)); a00 = Vector.FusedMultiplyAdd(v, w0, a00); a01 = Vector.FusedMultiplyAdd(v, w1, a01);
                    v = new Vector<float>(Unsafe.Add(ref rx, x1 + (nuint)k)); a10 = Vector.FusedMultiplyAdd(v, w0, a10); a11 = Vector.FusedMultiplyAdd(v, w1, a11);
                    v = new Vector<float>(Unsafe.Add(ref rx, x2 + (nuint)k)); a20 = Vector.FusedMultiplyAdd(v, w0, a20); a21 = Vector.FusedMultiplyAdd(v, w1, a21);
                    v = new Vector<float>(Unsafe.Add(ref rx, x3 + (nuint)k)); a30 = Vector.FusedMultiplyAdd(v, w0, a30); a31 = Vector.FusedMultiplyAdd(v, w1, a31);
                }
                a00.StoreUnsafe(ref ry, y0 + o0); a01.StoreUnsafe(ref ry, y0 + o1);
                a10.StoreUnsafe(ref ry, y1 + o0); a11.StoreUnsafe(ref ry, y1 + o1);
                a20.StoreUnsafe(ref ry, y2 + o0); a21.StoreUnsafe(ref ry, y2 + o1);
                a30.StoreUnsafe(ref ry, y3 + o0); a31.StoreUnsafe(ref ry, y3 + o1);
            }
        }
        for (; b < batch; b++)
        {
            nuint xb = (nuint)(b * inD), yb = (nuint)(b * outD);
            for (int o = 0; o < outD; o += V)
            {
                nuint o0 = (nuint)Math.Min(o, outD - V);
                var acc = Vector.LoadUnsafe(ref rb, o0);
                for (int k = 0; k < inD; k++)
                    acc = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref rx, xb + (nuint)k)), Vector.LoadUnsafe(ref rwt, (nuint)(k * outD) + o0), acc);
                acc.StoreUnsafe(ref ry, yb + o0);
            }
        }
    }

    /// <summary>Y = X Wᵀ + b as one SIMD dot product per output: for layers narrower than a vector.</summary>
    static void ForwardByDots(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int batch, int inD, int outD)
    {
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < outD; o++)
                y[b * outD + o] = Simd.Dot(w.Slice(o * inD, inD), x.Slice(b * inD, inD)) + bias[o];
    }

    /// <summary>t = mᵀ, where m is [rows, cols] row-major and t is [cols, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> m, Span<float> t, int rows, int cols)
    {
        ref float rm = ref MemoryMarshal.GetReference(m);
        ref float rt = ref MemoryMarshal.GetReference(t);
        for (int r = 0; r < rows; r++)
        {
            nuint src = (nuint)(r * cols);
            for (int c = 0; c < cols; c++) Unsafe.Add(ref rt, (nuint)(c * rows + r)) = Unsafe.Add(ref rm, src + (nuint)c);
        }
    }

    /// <summary>
    /// gW = Gᵀ X (overwritten) and gb = column sums of G. Vectorized over the input: a block of 4 outputs × 2 input vectors keeps 8
    /// independent accumulators over the batch (one accumulator per output would wait on each FMA's latency).
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> gw, Span<float> gb, int batch, int inD, int outD)
    {
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rgw = ref MemoryMarshal.GetReference(gw);
        gb.Clear();
        for (int b = 0; b < batch; b++) Simd.Axpy(1f, g.Slice(b * outD, outD), gb);
        if (!Vector.IsHardwareAccelerated || inD < V)
        {
            for (int o = 0; o < outD; o++)
                for (int k = 0; k < inD; k++)
                {
                    float acc = 0;
                    for (int b = 0; b < batch; b++) acc += Unsafe.Add(ref rg, b * outD + o) * Unsafe.Add(ref rx, b * inD + k);
                    Unsafe.Add(ref rgw, o * inD + k) = acc;
                }
            return;
        }
        int o4 = 0;
        for (; o4 + 4 <= outD; o4 += 4)
        {
            nuint w0 = (nuint)(o4 * inD), w1 = w0 + (nuint)inD, w2 = w1 + (nuint)inD, w3 = w2 + (nuint)inD;
            for (int k = 0; k < inD; k += 2 * V)
            {
                nuint k0 = (nuint)Math.Min(k, inD - V), k1 = (nuint)Math.Min(k + V, inD - V);
                Vector<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
                for (int b = 0; b < batch; b++)
                {
                    nuint xb = (nuint)(b * inD), gbo = (nuint)(b * outD + o4);
                    var x0 = Vector.LoadUnsafe(ref rx, xb + k0);
                    var x1 = Vector.LoadUnsafe(ref rx, xb + k1);
                    var v = new Vector<float>(Unsafe.Add(ref rg, gbo)); a00 = Vector.FusedMultiplyAdd(v, x0, a00); a01 = Vector.FusedMultiplyAdd(v, x1, a01);
                    v = new Vector<float>(Unsafe.Add(ref rg, gbo + 1)); a10 = Vector.FusedMultiplyAdd(v, x0, a10); a11 = Vector.FusedMultiplyAdd(v, x1, a11);
                    v = new Vector<float>(Unsafe.Add(ref rg, gbo + 2)); a20 = Vector.FusedMultiplyAdd(v, x0, a20); a21 = Vector.FusedMultiplyAdd(v, x1, a21);
                    v = new Vector<float>(Unsafe.Add(ref rg, gbo + 3)); a30 = Vector.FusedMultiplyAdd(v, x0, a30); a31 = Vector.FusedMultiplyAdd(v, x1, a31);
                }
                // Overlapping vectors (inD not a multiple of V) are stored whole twice with the same values.
                a00.StoreUnsafe(ref rgw, w0 + k0); a01.StoreUnsafe(ref rgw, w0 + k1);
                a10.StoreUnsafe(ref rgw, w1 + k0); a11.StoreUnsafe(ref rgw, w1 + k1);
                a20.StoreUnsafe(ref rgw, w2 + k0); a21.StoreUnsafe(ref rgw, w2 + k1);
                a30.StoreUnsafe(ref rgw, w3 + k0); a31.StoreUnsafe(ref rgw, w3 + k1);
            }
        }
        for (; o4 < outD; o4++)
        {
            nuint wo = (nuint)(o4 * inD);
            for (int k = 0; k < inD; k += V)
            {
                nuint k0 = (nuint)Math.Min(k, inD - V);
                Vector<float> acc = default;
                for (int b = 0; b < batch; b++)
                    acc = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref rg, b * outD + o4)), Vector.LoadUnsafe(ref rx, (nuint)(b * inD) + k0), acc);
                acc.StoreUnsafe(ref rgw, wo + k0);
            }
        }
    }

    /// <summary>
    /// gX = G W (overwritten): the gradient with respect to the layer's input. Vectorized over the input: a block of 4 samples × 2
    /// input vectors keeps 8 independent accumulators over the outputs.
    /// </summary>
    public static void InputGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> w, Span<float> gx, int batch, int inD, int outD)
    {
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rw = ref MemoryMarshal.GetReference(w);
        ref float rgx = ref MemoryMarshal.GetReference(gx);
        if (!Vector.IsHardwareAccelerated || inD < V)
        {
            for (int b = 0; b < batch; b++)
                for (int k = 0; k < inD; k++)
                {
                    float acc = 0;
                    for (int o = 0; o < outD; o++) acc += Unsafe.Add(ref rg, b * outD + o) * Unsafe.Add(ref rw, o * inD + k);
                    Unsafe.Add(ref rgx, b * inD + k) = acc;
                }
            return;
        }
        int b4 = 0;
        for (; b4 + 4 <= batch; b4 += 4)
        {
            nuint g0 = (nuint)(b4 * outD), g1 = g0 + (nuint)outD, g2 = g1 + (nuint)outD, g3 = g2 + (nuint)outD;
            nuint x0 = (nuint)(b4 * inD), x1 = x0 + (nuint)inD, x2 = x1 + (nuint)inD, x3 = x2 + (nuint)inD;
            for (int k = 0; k < inD; k += 2 * V)
            {
                nuint k0 = (nuint)Math.Min(k, inD - V), k1 = (nuint)Math.Min(k + V, inD - V);
                Vector<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
                for (int o = 0; o < outD; o++)
                {
                    nuint wo = (nuint)(o * inD);
                    var w0 = Vector.LoadUnsafe(ref rw, wo + k0);
                    var w1 = Vector.LoadUnsafe(ref rw, wo + k1);
                    var v = new Vector<float>(Unsafe.Add(ref rg, g0 + (nuint)o)); a00 = Vector.FusedMultiplyAdd(v, w0, a00); a01 = Vector.FusedMultiplyAdd(v, w1, a01);
                    v = new Vector<float>(Unsafe.Add(ref rg, g1 + (nuint)o)); a10 = Vector.FusedMultiplyAdd(v, w0, a10); a11 = Vector.FusedMultiplyAdd(v, w1, a11);
                    v = new Vector<float>(Unsafe.Add(ref rg, g2 + (nuint)o)); a20 = Vector.FusedMultiplyAdd(v, w0, a20); a21 = Vector.FusedMultiplyAdd(v, w1, a21);
                    v = new Vector<float>(Unsafe.Add(ref rg, g3 + (nuint)o)); a30 = Vector.FusedMultiplyAdd(v, w0, a30); a31 = Vector.FusedMultiplyAdd(v, w1, a31);
                }
                a00.StoreUnsafe(ref rgx, x0 + k0); a01.StoreUnsafe(ref rgx, x0 + k1);
                a10.StoreUnsafe(ref rgx, x1 + k0); a11.StoreUnsafe(ref rgx, x1 + k1);
                a20.StoreUnsafe(ref rgx, x2 + k0); a21.StoreUnsafe(ref rgx, x2 + k1);
                a30.StoreUnsafe(ref rgx, x3 + k0); a31.StoreUnsafe(ref rgx, x3 + k1);
            }
        }
        for (; b4 < batch; b4++)
        {
            nuint gbr = (nuint)(b4 * outD), xb = (nuint)(b4 * inD);
            for (int k = 0; k < inD; k += V)
            {
                nuint k0 = (nuint)Math.Min(k, inD - V);
                Vector<float> acc = default;
                for (int o = 0; o < outD; o++)
                    acc = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref rg, gbr + (nuint)o)), Vector.LoadUnsafe(ref rw, (nuint)(o * inD) + k0), acc);
                acc.StoreUnsafe(ref rgx, xb + k0);
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
