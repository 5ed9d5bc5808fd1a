using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Evaluation;

/// <summary>The exact, sampling-free scores of a joint policy on a tabular game.</summary>
public sealed record ExactScores(double Optimal, double Uniform, double PolicyValue, double[] BestResponse)
{
    /// <summary>(V^π − V^unif) / (V* − V^unif); 1 where the game cannot tell policies apart.</summary>
    public double NormalizedScore => Optimal - Uniform > 1e-12 ? (PolicyValue - Uniform) / (Optimal - Uniform) : 1.0;
    /// <summary>V* − V^π.</summary>
    public double OptimalityGap => Optimal - PolicyValue;
    /// <summary>Σ_i (agent i's best-response value with the others fixed − V^π).</summary>
    public double Exploitability => BestResponse.Sum(b => b - PolicyValue);
}

/// <summary>Exact values from the game's model: only the evaluator reads it, never a learner.</summary>
public static class ExactEvaluator
{
    static double FromStart(TabularGame g, double[] v)
    {
        double total = 0;
        for (int s = 0; s < g.NumStates; s++) total += g.StartDistribution[s] * v[s];
        return total;
    }

    /// <summary>V*: what a centralized controller choosing joint actions could reach.</summary>
    public static double Optimal(TabularGame g) => FromStart(g, FiniteMdp.JointOf(g).SolveOptimal());

    /// <summary>V^π of a (possibly stochastic) joint policy.</summary>
    public static double Value(TabularGame g, TabularPolicy policy)
    {
        policy.CheckFits(g);
        return FromStart(g, FiniteMdp.Marginal(g, policy, -1).SolveOptimal());
    }

    public static double Uniform(TabularGame g) => Value(g, TabularPolicy.Uniform(g));

    /// <summary>Agent i's best value when all the others keep following the policy.</summary>
    public static double BestResponse(TabularGame g, TabularPolicy policy, int agent) =>
        FromStart(g, FiniteMdp.Marginal(g, policy, agent).SolveOptimal());

    public static ExactScores Score(TabularGame g, TabularPolicy policy)
    {
        double v = Value(g, policy);
        var br = Enumerable.Range(0, g.NumAgents).Select(i => BestResponse(g, policy, i)).ToArray();
        return new ExactScores(Optimal(g), Uniform(g), v, br);
    }
}
