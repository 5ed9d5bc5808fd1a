using TorchSharp;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>
/// Adam (Kingma and Ba 2015) over batched parameters [N, ...], with the gradient norm clipped per agent: agent i's step
/// depends only on agent i's gradient. Written out (rather than torch.optim.Adam) so its moments are plain tensors that
/// checkpoints save and restore exactly.
///   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  θ ← θ − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
/// </summary>
public sealed class BatchedAdam : IDisposable
{
    readonly Tensor[] _params, _m, _v;
    readonly double _beta1, _beta2, _eps, _maxGradNorm;
    public double LearningRate { get; set; }
    public long Steps { get; set; }

    public BatchedAdam(IEnumerable<Tensor> parameters, double lr, double maxGradNorm = 10, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToArray();
        _m = _params.Select(p => zeros_like(p)).ToArray();
        _v = _params.Select(p => zeros_like(p)).ToArray();
        LearningRate = lr; _maxGradNorm = maxGradNorm; _beta1 = beta1; _beta2 = beta2; _eps = eps;
    }

    public IEnumerable<Tensor> State => _m.Concat(_v);

    public void ZeroGrad()
    {
        foreach (var p in _params) p.grad?.zero_();
    }

    /// <summary>One Adam step; with agentMask [N] (1 learns, 0 frozen) frozen agents' parameters and moments stay untouched.</summary>
    public void Step(Tensor? agentMask = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Steps++;
        // Per-agent gradient norm over all of the agent's parameters: ||g_i|| = sqrt(Σ_params Σ_{non-agent dims} g²).
        Tensor? sq = null;
        foreach (var p in _params)
        {
            if (p.grad is null) continue;
            var s = p.grad.pow(S(2)).reshape(p.shape[0], -1).sum(1);
            sq = sq is null ? s : sq.Plus(s);
        }
        if (sq is null) return;
        var scale = (S(_maxGradNorm) / sq.sqrt().Plus(1e-6)).clamp_max(S(1.0));
        double c1 = 1 - Math.Pow(_beta1, Steps), c2 = 1 - Math.Pow(_beta2, Steps);
        // Values that change every step are explicit Scalars kept alive by `using` until the ops have run (see Scalars).
        using Scalar c1s = Owned(c1), c2s = Owned(c2), lr = Owned(LearningRate);
        for (int k = 0; k < _params.Length; k++)
        {
            var p = _params[k];
            if (p.grad is null) continue;
            var shape = new long[p.dim()];
            Array.Fill(shape, 1L);
            shape[0] = p.shape[0];
            var g = p.grad * scale.reshape(shape);
            if (agentMask is null)
            {
                // In place: the same operations in the same order as the masked path below (so the same floats), without
                // a dozen parameter-sized temporaries per step (lstage's one-hot first layers are millions of floats).
                _m[k].mul_(S(_beta1)).add_(g * S(1 - _beta1), S(1));                             // m ← β1 m + (1 − β1) g
                _v[k].mul_(S(_beta2)).add_(g.mul_(g).mul_(S(1 - _beta2)), S(1));                 // v ← β2 v + (1 − β2) g²
                var step = (_m[k] / c1s).div_((_v[k] / c2s).sqrt_().add_(S(_eps), S(1))).mul_(lr); // lr · m̂ / (sqrt(v̂) + ε)
                p.sub_(step);
                continue;
            }
            var m = (_m[k] * S(_beta1)).Plus(g * S(1 - _beta1));
            var v = (_v[k] * S(_beta2)).Plus(g * g * S(1 - _beta2));
            var update = (m / c1s) / (v / c2s).sqrt().Plus(_eps) * lr;
            var keep = agentMask.reshape(shape);
            m = (keep * m).Plus(keep.OneMinus() * _m[k]);
            v = (keep * v).Plus(keep.OneMinus() * _v[k]);
            update = keep * update;
            _m[k].copy_(m);
            _v[k].copy_(v);
            p.sub_(update);
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
