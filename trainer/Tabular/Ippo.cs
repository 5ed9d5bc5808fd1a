namespace MarlEdge.Trainer.Tabular;

public sealed record IppoOptions(double Clip = 0.2);

/// <summary>
/// Independent PPO (de Witt et al. 2020): each agent maximizes the clipped surrogate on its own data,
///   L^CLIP(θ) = E_t[ min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t) ],   ρ_t = π_θ(a_t|s_t) / π_old(a_t|s_t).
/// </summary>
public sealed class Ippo(AgentTask task, PolicyGradientOptions options, IppoOptions ippo) : SoftmaxPolicyAgent(task, options)
{
    protected override void AccumulateGradient(ReadOnlySpan<int> states, ReadOnlySpan<int> actions, ReadOnlySpan<double> advantages, double[] gradient)
    {
        double scale = 1.0 / states.Length;
        for (int t = 0; t < states.Length; t++)
        {
            int s = states[t], a = actions[t];
            double adv = advantages[t];
            double rho = Pi(s)[a] / PiOld(s)[a];
            // The min() picks the clipped term, whose gradient is 0, once ρ has left [1−ε, 1+ε] in A's direction.
            if ((adv > 0 && rho > 1 + ippo.Clip) || (adv < 0 && rho < 1 - ippo.Clip)) continue;
            AddRatioGradient(s, a, rho, adv * scale, gradient);
        }
    }
}
