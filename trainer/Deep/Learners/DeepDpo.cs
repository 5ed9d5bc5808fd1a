using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Decentralized Policy Optimization (Su and Lu 2023), the practical algorithm. Each agent maximizes
///   (1/N)·L^i − β1·sqrt(D̄_KL) − β2·D̄_KL,   L^i = E_t[ρ_t Â_t],   D̄_KL = E_t[KL(π_i,old(·|o_t) ‖ π_i(·|o_t))],
/// a lower bound whose simultaneous maximization by all agents improves the joint objective monotonically. After each
/// iteration agent i adapts its own betas: ×ω if D̄_KL &gt; d_target·δ, ÷ω if D̄_KL &lt; d_target/δ.
/// </summary>
public class DeepDpo : PolicyGradientBase
{
    readonly Tensor _beta1, _beta2;    // [N], each agent's own
    readonly int _allAgents;

    public DeepDpo(DeepTask task, DeepOptions options, int? allAgents = null) : base(task, options)
    {
        _allAgents = allAgents ?? task.Agents;
        _beta1 = tensor(Enumerable.Repeat((float)options.Dpo.Beta1, task.Agents).ToArray());
        _beta2 = tensor(Enumerable.Repeat((float)options.Dpo.Beta2, task.Agents).ToArray());
    }

    protected override Tensor PolicyLoss(Tensor ratio, Tensor advantages, Tensor kl)
    {
        var surrogate = (ratio * advantages).mean([1]) / S(_allAgents);                // (1/N)·L^i
        var meanKl = kl.mean([1]).clamp_min(S(0));                                     // D̄_KL (≥ 0; rounding can dip below)
        var bound = surrogate - _beta1 * meanKl.Plus(1e-6).sqrt() - _beta2 * meanKl;  // (1/N)L^i − β1 sqrt(D̄) − β2 D̄
        return -bound;
    }

    protected override void AfterIteration(Tensor meanKl)
    {
        var d = Options.Dpo;
        var up = (meanKl > S(d.TargetKl * d.Tolerance)).to_type(ScalarType.Float32);      // D̄ > d_target·δ → ×ω
        var down = (meanKl < S(d.TargetKl / d.Tolerance)).to_type(ScalarType.Float32);    // D̄ < d_target/δ → ÷ω
        var factor = (up * S(d.BetaFactor)).Plus(down / S(d.BetaFactor)).Plus(up.Plus(down).OneMinus());   // ω, 1/ω or 1
        _beta1.mul_(factor).clamp_(S(1e-4), S(1e4));                                          // kept finite
        _beta2.mul_(factor).clamp_(S(1e-4), S(1e4));
        MetricValues["beta1"] = _beta1.mean().item<float>();
    }

    public override void Save(Checkpoint c)
    {
        base.Save(c);
        c.Put("dpo.beta1", _beta1); c.Put("dpo.beta2", _beta2);
    }

    public override void Load(Checkpoint c)
    {
        base.Load(c);
        c.Restore("dpo.beta1", _beta1); c.Restore("dpo.beta2", _beta2);
    }

    public override void Dispose()
    {
        base.Dispose();
        _beta1.Dispose(); _beta2.Dispose();
    }
}
