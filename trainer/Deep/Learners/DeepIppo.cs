using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Independent PPO (de Witt et al. 2020): every agent runs PPO (Schulman et al. 2017) on its own observations, with its own
/// actor and critic. The clipped surrogate, maximized per agent:
///   L^CLIP_i = E_t[ min(ρ_t Â_t, clip(ρ_t, 1 − ε, 1 + ε) Â_t) ],   ρ_t = π_i(a_t|o_t) / π_i,old(a_t|o_t)
/// </summary>
public sealed class DeepIppo(DeepTask task, DeepOptions options) : PolicyGradientBase(task, options)
{
    protected override Tensor PolicyLoss(Tensor ratio, Tensor advantages, Tensor kl)
    {
        double eps = Options.Ppo.Clip;
        var surrogate = minimum(ratio * advantages, ratio.clamp(S(1 - eps), S(1 + eps)) * advantages);   // min(ρÂ, clip(ρ)Â)
        return -surrogate.mean([1]);                                                               // minimize −L^CLIP_i
    }
}
