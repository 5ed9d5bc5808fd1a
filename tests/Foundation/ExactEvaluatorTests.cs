using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Evaluation;
using Xunit;

namespace MarlEdge.Tests.Foundation;

/// <summary>The exact solver against games computed by hand.</summary>
public class ExactEvaluatorTests
{
    [Fact]
    public void ClimbingGameByHand()
    {
        var g = BuiltInGames.Matrix("climbing");
        Assert.Equal(11.0, ExactEvaluator.Optimal(g), 12);
        Assert.Equal(-31.0 / 9.0, ExactEvaluator.Uniform(g), 12); // the mean of the nine payoffs
    }

    [Fact]
    public void PenaltyExploitabilityByHand()
    {
        // Both uniform: V = mean payoff = (−100 + 10 + 2 + 10 − 100) / 9. Agent 0's best response to a uniform partner is
        // its middle row, worth 2/3; by symmetry agent 1's is the same.
        var g = BuiltInGames.Matrix("penalty");
        var scores = ExactEvaluator.Score(g, TabularPolicy.Uniform(g));
        double v = -178.0 / 9.0;
        Assert.Equal(v, scores.PolicyValue, 12);
        Assert.Equal(2.0 / 3.0, scores.BestResponse[0], 12);
        Assert.Equal(2 * (2.0 / 3.0 - v), scores.Exploitability, 10);
        Assert.Equal(10.0, scores.Optimal, 12);
        Assert.Equal(0.0, scores.NormalizedScore, 12);
    }

    [Fact]
    public void NashPolicyHasZeroExploitabilityAndSuboptimalOneIsExploitable()
    {
        var g = BuiltInGames.Matrix("climbing");
        var optimal = Deterministic(g, 0, 0);          // (a,a) = 11 is a Nash equilibrium
        Assert.Equal(0.0, ExactEvaluator.Score(g, optimal).Exploitability, 12);
        var off = Deterministic(g, 0, 1);              // (a,b) = −30: agent 0 gains 37 by switching to b, agent 1 gains 41 by switching to a
        Assert.Equal((7 + 30) + (11 + 30), ExactEvaluator.Score(g, off).Exploitability, 10);
    }

    [Fact]
    public void DiscountedSelfLoopMatchesGeometricSeries()
    {
        // One state, one agent, two actions paying 1 and 2 forever: V* = 2 / (1 − γ); uniform = 1.5 / (1 − γ).
        var g = new TabularGame("loop", [2], 1, [1.0], 0.9, 10, [false], [1.0, 2.0], [0, 1, 2], [0, 0], [1.0, 1.0]);
        Assert.Equal(20.0, ExactEvaluator.Optimal(g), 9);
        Assert.Equal(15.0, ExactEvaluator.Uniform(g), 9);
    }

    [Fact]
    public void StochasticTwoStateChainByHand()
    {
        // State 0 pays 1 and goes to state 1 w.p. 0.5 (else stays); state 1 pays 0 and is absorbing at value 0 via a terminal.
        // V(0) = 1 + γ (0.5 V(0) + 0.5 · 0) with γ = 0.8 → V(0) = 1 / (1 − 0.4) = 5/3.
        var g = new TabularGame("chain", [1], 2, [1.0, 0.0], 0.8, 50, [false, true], [1.0, 0.0], [0, 2, 3], [0, 1, 1], [0.5, 0.5, 1.0]);
        Assert.Equal(5.0 / 3.0, ExactEvaluator.Optimal(g), 12);
    }

    [Fact]
    public void LStageOptimumEqualsBruteForceOverAllPaths()
    {
        var g = BuiltInGames.LStage(3, 4);
        double best = double.NegativeInfinity, sum = 0;
        int paths = 0;
        for (int j0 = 0; j0 < 9; j0++)
        for (int j1 = 0; j1 < 9; j1++)
        for (int j2 = 0; j2 < 9; j2++)
        {
            int s1 = 9 * 0 + j0 + 1, s2 = 9 * s1 + j1 + 1;
            double total = g.Reward(0, j0) + g.Reward(s1, j1) + g.Reward(s2, j2);
            best = Math.Max(best, total);
            sum += total;
            paths++;
        }
        Assert.Equal(best, ExactEvaluator.Optimal(g), 12);
        Assert.Equal(sum / paths, ExactEvaluator.Uniform(g), 12);
    }

    [Fact]
    public void LargeCyclicGameUsesValueIterationAndAgreesWithPolicyEvaluation()
    {
        // 1,600 states (above the dense-solver limit): V* from value iteration must equal the value of its greedy policy.
        var g = BuiltInGames.RandomStochastic(1600, 1, 2, 3);
        double optimal = ExactEvaluator.Optimal(g);
        var greedy = GreedyPolicy(g);
        Assert.Equal(optimal, ExactEvaluator.Value(g, greedy), 6);
        Assert.True(optimal > ExactEvaluator.Uniform(g));
    }

    [Theory]
    [InlineData("climbing.json", 11.0, -3.4444)]
    [InlineData("penalty-k-100.json", 10.0, -19.7778)]
    [InlineData("lstage-L3-seed0.json", 2.18412, 0.86539)]
    [InlineData("random-det-S24-N2-A4-seed0.json", 464.7387, -22.1256)]
    [InlineData("random-sto-S30-N3-A5-seed0.json", 493.9000, 5.7206)]
    public void SharedGamesMatchFormatTable(string file, double optimal, double uniform)
    {
        var g = GameFile.Read(Path.Combine(TestPaths.SharedGames, file));
        Assert.Equal(optimal, ExactEvaluator.Optimal(g), 4);   // FORMAT.md prints 4-5 decimals
        Assert.Equal(uniform, ExactEvaluator.Uniform(g), 4);
    }

    static TabularPolicy Deterministic(TabularGame g, params int[] actions)
    {
        var p = new TabularPolicy(g.NumStates, g.NumActions);
        for (int i = 0; i < g.NumAgents; i++)
            for (int s = 0; s < g.NumStates; s++) p.Row(i, s)[actions[i]] = 1;
        return p;
    }

    /// <summary>The single agent's greedy policy from V*, derived independently of the solver's internals.</summary>
    static TabularPolicy GreedyPolicy(TabularGame g)
    {
        var mdp = FiniteMdp.JointOf(g);
        var v = mdp.SolveOptimal();
        var p = new TabularPolicy(g.NumStates, g.NumActions);
        for (int s = 0; s < g.NumStates; s++)
        {
            int best = 0;
            double bestQ = double.NegativeInfinity;
            for (int a = 0; a < g.NumJoint; a++)
            {
                int sj = s * g.NumJoint + a;
                double q = g.Rewards[sj];
                for (int t = g.TransitionStart[sj]; t < g.TransitionStart[sj + 1]; t++) q += g.Gamma * g.Probabilities[t] * v[g.NextStates[t]];
                if (q > bestQ) { bestQ = q; best = a; }
            }
            p.Row(0, s)[best] = 1;
        }
        return p;
    }
}
