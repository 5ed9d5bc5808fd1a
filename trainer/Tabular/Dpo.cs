namespace MarlEdge.Trainer.Tabular;

/// <param name="Beta1">initial weight of the sqrt(KL) penalty</param>
/// <param name="Beta2">initial weight of the KL penalty</param>
/// <param name="TargetKl">d_target</param>
/// <param name="Tolerance">δ: the betas change when KL leaves [d_target/δ, d_target·δ]</param>
/// <param name="BetaFactor">ω: the factor the betas change by</param>
public sealed record DpoOptions(double Beta1 = 0.5, double Beta2 = 0.5, double TargetKl = 0.01, double Tolerance = 1.5, double BetaFactor = 2.0);

/// <summary>
/// Decentralized Policy Optimization (Su and Lu 2023). Each agent maximizes its decentralized surrogate
///   L^i(θ) = (1/N) E_t[ ρ_t A^i_t ] − β1 sqrt(D̄_KL) − β2 D̄_KL,   D̄_KL = E_t[ KL(π_old(·|s_t) || π_θ(·|s_t)) ],
/// whose maximization improves the joint objective monotonically when every agent does it. After each update the
/// betas adapt: both are multiplied by ω if D̄_KL > d_target·δ and divided by ω if D̄_KL < d_target/δ.
/// </summary>
public sealed class Dpo(AgentTask task, PolicyGradientOptions options, DpoOptions dpo) : SoftmaxPolicyAgent(task, options)
{
    double _beta1 = dpo.Beta1, _beta2 = dpo.Beta2;

    double MeanKl(ReadOnlySpan<int> states)
    {
        double kl = 0;
        foreach (int s in states) kl += Kl(s);
        return kl / states.Length;
    }

    protected override void AccumulateGradient(ReadOnlySpan<int> states, ReadOnlySpan<int> actions, ReadOnlySpan<double> advantages, double[] gradient)
    {
        double scale = 1.0 / states.Length, n = Task.NumAgents;
        for (int t = 0; t < states.Length; t++)                    // ∇ (1/N) E[ρ A]
        {
            int s = states[t], a = actions[t];
            AddRatioGradient(s, a, Pi(s)[a] / PiOld(s)[a], advantages[t] * scale / n, gradient);
        }
        double kl = MeanKl(states);
        double penalty = _beta2 + (kl > 1e-12 ? _beta1 / (2 * Math.Sqrt(kl)) : 0); // ∇(β1 sqrt(D̄) + β2 D̄) = (β1 / 2sqrt(D̄) + β2) ∇D̄
        foreach (int s in states) AddKlGradient(s, -penalty * scale, gradient);
    }

    public override void WriteState(BinaryWriter w) { base.WriteState(w); w.Write(_beta1); w.Write(_beta2); }
    public override void ReadState(BinaryReader r) { base.ReadState(r); _beta1 = r.ReadDouble(); _beta2 = r.ReadDouble(); }

    protected override void AfterUpdate(ReadOnlySpan<int> states)
    {
        double kl = MeanKl(states);
        if (kl > dpo.TargetKl * dpo.Tolerance) { _beta1 *= dpo.BetaFactor; _beta2 *= dpo.BetaFactor; }
        else if (kl < dpo.TargetKl / dpo.Tolerance) { _beta1 /= dpo.BetaFactor; _beta2 /= dpo.BetaFactor; }
    }
}
