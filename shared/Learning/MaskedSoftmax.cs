using MarlEdge.Shared.Numerics;

namespace MarlEdge.Shared.Learning;

/// <summary>
/// The categorical policy of a logits network under an action mask: π(a|o) ∝ exp(z_a) over allowed actions (mask &gt; 0), 0 for
/// masked ones, as a masked softmax. Allocation-free; used by the control loop (sampling) and by <see cref="OnDeviceDpo"/>.
/// </summary>
public static class MaskedSoftmax
{
    /// <summary>logp_a = z_a − log Σ_{allowed} exp(z_b) for allowed a, −∞ for masked a. No allowed action: every action counts as allowed.</summary>
    public static void LogProbs(ReadOnlySpan<float> logits, ReadOnlySpan<float> mask, Span<float> logp)
    {
        bool any = false;
        float max = float.NegativeInfinity;
        for (int a = 0; a < logits.Length; a++)
            if (mask[a] > 0) { any = true; if (logits[a] > max) max = logits[a]; }
        if (!any) for (int a = 0; a < logits.Length; a++) if (logits[a] > max) max = logits[a];
        double sum = 0;
        for (int a = 0; a < logits.Length; a++)
            if (!any || mask[a] > 0) sum += Math.Exp(logits[a] - max);
        float lse = max + (float)Math.Log(sum);
        for (int a = 0; a < logits.Length; a++)
            logp[a] = !any || mask[a] > 0 ? logits[a] - lse : float.NegativeInfinity;
    }

    /// <summary>Draws a ~ π(·|o) over the allowed actions.</summary>
    public static int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<float> mask, ref Rng rng)
    {
        bool any = false;
        float max = float.NegativeInfinity;
        for (int a = 0; a < logits.Length; a++)
            if (mask[a] > 0) { any = true; if (logits[a] > max) max = logits[a]; }
        if (!any) return 0;
        double sum = 0;
        for (int a = 0; a < logits.Length; a++) if (mask[a] > 0) sum += Math.Exp(logits[a] - max);
        double u = rng.NextDouble() * sum, acc = 0;
        int last = 0;
        for (int a = 0; a < logits.Length; a++)
        {
            if (mask[a] <= 0) continue;
            last = a;
            acc += Math.Exp(logits[a] - max);
            if (u < acc) return a;
        }
        return last;
    }
}
