using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Evaluation;
using MarlEdge.Trainer.Tabular;
using Xunit;

namespace MarlEdge.Tests.Foundation;

/// <summary>Each learner on small games, scored exactly.</summary>
public class TabularLearnerTests
{
    static ExactScores Train(string spec, string algo, long steps, int seed = 0, LearnerOptions? options = null)
    {
        var g = BuiltInGames.FromSpec(spec)!;
        var run = TabularTrainer.Train(g, algo, options ?? LearnerOptions.Default, steps, seed, curvePoints: 1);
        return ExactEvaluator.Score(g, run.Policy);
    }

    [Theory]
    [InlineData("matrix:climbing")]
    [InlineData("matrix:11,-30,0;-30,7,6;0,0,5.5")]
    [InlineData("matrix:penalty")]
    [InlineData("lstage:L=3,seed=1")]
    [InlineData("random-sg:states=16,agents=2,actions=3,seed=2,deterministic")]
    public void I2qReachesTheGlobalOptimumInDeterministicGames(string spec)
    {
        var scores = Train(spec, "i2q", 30_000);
        Assert.True(scores.NormalizedScore >= 0.999, $"{spec}: {scores.NormalizedScore}");
    }

    [Fact]
    public void IqlMissesTheClimbingOptimumWhereI2qFindsIt()
    {
        // The relative-overgeneralization trap: independent Q-learners settle on a safe joint action, not (a, a) = 11.
        var iql = Enumerable.Range(0, 5).Select(s => Train("matrix:climbing", "iql", 5_000, s).PolicyValue).ToList();
        Assert.Contains(iql, v => v < 11);
        Assert.All(Enumerable.Range(0, 5), s => Assert.Equal(11.0, Train("matrix:climbing", "i2q", 5_000, s).PolicyValue, 9));
    }

    [Fact]
    public void Ma2qlReachesAnEpsilonNashEquilibrium()
    {
        var scores = Train("random-sg:states=8,agents=3,actions=3,seed=4", "ma2ql", 300_000);
        Assert.True(scores.Exploitability <= 0.01 * (scores.Optimal - scores.Uniform), $"exploitability {scores.Exploitability}");
        Assert.True(scores.NormalizedScore > 0.5);
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ippo")]
    [InlineData("dpo")]
    public void IndependentLearnersImproveFarOverUniform(string algo)
    {
        var scores = Train("random-sg:states=8,agents=2,actions=3,seed=1", algo, 300_000);
        Assert.True(scores.NormalizedScore > 0.6, $"{algo}: {scores.NormalizedScore}");
    }

    [Fact]
    public void PolicyGradientLearnersEndStochasticButNearlyGreedy()
    {
        var g = BuiltInGames.Matrix("1,0;0,0");
        var run = TabularTrainer.Train(g, "dpo", LearnerOptions.Default, 100_000, 3, 1);
        Assert.True(run.Policy.Row(0, 0)[0] > 0.9 && run.Policy.Row(0, 0)[0] < 1.0);
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ma2ql")]
    [InlineData("i2q")]
    [InlineData("ippo")]
    [InlineData("dpo")]
    public void SameSeedSamePolicyOtherSeedOtherRun(string algo)
    {
        var g = BuiltInGames.RandomStochastic(10, 2, 3, 0);
        string a = TabularTrainer.Train(g, algo, LearnerOptions.Default, 40_000, 11, 1).Policy.ToJson();
        string b = TabularTrainer.Train(g, algo, LearnerOptions.Default, 40_000, 11, 1).Policy.ToJson();
        Assert.Equal(a, b);
        var curveA = TabularTrainer.Train(g, algo, LearnerOptions.Default, 40_000, 11, 4).Curve.Select(p => p.MeanReturn);
        var curveB = TabularTrainer.Train(g, algo, LearnerOptions.Default, 40_000, 12, 4).Curve.Select(p => p.MeanReturn);
        Assert.NotEqual(curveA, curveB);
    }

    [Fact]
    public void Ma2qlTurnScheduleCoversTheBudgetAndAlternates()
    {
        var turns = Ma2ql.TurnSchedule(1_000_000, 3, 5, 1.5);
        Assert.Equal(15, turns.Count);
        Assert.Equal(0, turns[0].Start);
        Assert.Equal(1_000_000, turns[^1].End);
        for (int k = 1; k < turns.Count; k++)
        {
            Assert.Equal(turns[k - 1].End, turns[k].Start);
            Assert.Equal(k % 3, turns[k].Agent);
        }
        Assert.True(turns[^1].End - turns[^1].Start > turns[0].End - turns[0].Start); // later turns are longer
    }

    [Fact]
    public void LearnersNeverSeeAnotherAgentsAction()
    {
        // The loop hands each agent an Experience with only its own action: check by recording what agent 0 receives.
        var g = BuiltInGames.RandomStochastic(5, 2, 3, 9);
        var recorder = new RecordingAgent(new AgentTask(0, 2, 5, 3, 0.99, 100, 1));
        var other = new RecordingAgent(new AgentTask(1, 2, 5, 3, 0.99, 100, 2));
        var sampler = new TabularSampler(g);
        var rng = new Rng(5);
        int s = sampler.Reset(ref rng);
        for (long step = 0; step < 100; step++)
        {
            int a0 = recorder.Act(s, step), a1 = other.Act(s, step);
            int s2 = sampler.Step(s, g.JointIndex([a0, a1]), ref rng, out double r);
            recorder.Observe(new Experience(s, a0, r, s2, false, false, step));
            other.Observe(new Experience(s, a1, r, s2, false, false, step));
            s = s2;
        }
        Assert.Equal(recorder.Chosen, recorder.Received);
    }

    [Fact]
    public void AliasSamplerMatchesTheTransitionProbabilities()
    {
        var g = BuiltInGames.RandomStochastic(6, 1, 1, 3);
        var sampler = new TabularSampler(g);
        var rng = new Rng(17);
        var counts = new int[6];
        const int n = 600_000;
        for (int k = 0; k < n; k++) counts[sampler.Step(0, 0, ref rng, out _)]++;
        for (int t = g.TransitionStart[0]; t < g.TransitionStart[1]; t++)
        {
            double p = g.Probabilities[t], observed = counts[g.NextStates[t]] / (double)n;
            Assert.True(Math.Abs(observed - p) < 5 * Math.Sqrt(p * (1 - p) / n) + 1e-4, $"state {g.NextStates[t]}: {observed} vs {p}");
        }
    }

    sealed class RecordingAgent(AgentTask task) : TabularAgent(task)
    {
        public readonly List<int> Chosen = new(), Received = new();
        public override int Act(int state, long step) { int a = Rng.NextInt(Task.NumActions); Chosen.Add(a); return a; }
        public override void Observe(in Experience e) => Received.Add(e.Action);
        public override void WritePolicy(int state, Span<double> probs) => probs.Fill(1.0 / probs.Length);
    }
}
