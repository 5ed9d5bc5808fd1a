using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using MarlEdge.Trainer.Evaluation;
using Xunit;

namespace MarlEdge.Tests.Deep;

/// <summary>Deep I2Q on one-hot observation spaces: f chooses among the next observations each agent has seen after (o, a_i).</summary>
public class DeepI2qTests
{
    [Fact]
    public void SeenSuccessorsKeepEachAgentsDistinctNextObservationsAndTerminals()
    {
        var seen = new SeenSuccessors(agents: 2, states: 5, actions: 3);
        seen.Add(0, 1, 2, 3, terminated: false);
        seen.Add(0, 1, 2, 4, terminated: true);
        seen.Add(0, 1, 2, 3, terminated: false);                  // seen before: not added twice
        seen.Add(1, 1, 0, 2, terminated: false);
        Assert.Equal([3, 4], seen.Of(0, 1, 2).ToArray());
        Assert.True(seen.Of(0, 1, 0).IsEmpty);                    // agent 0 never took action 0 in 1
        Assert.Equal([2], seen.Of(1, 1, 0).ToArray());            // agent 1's memory is its own
        Assert.True(seen.Of(1, 1, 2).IsEmpty);
        Assert.True(seen.Terminal(0, 4));
        Assert.False(seen.Terminal(1, 4));
        Assert.False(seen.Terminal(0, 3));

        var c = new Checkpoint();
        seen.Save(c, "seen");
        var back = new SeenSuccessors(2, 5, 3);
        back.Load(c, "seen");
        Assert.Equal([3, 4], back.Of(0, 1, 2).ToArray());
        Assert.Equal([2], back.Of(1, 1, 0).ToArray());
        Assert.True(back.Terminal(0, 4));
        Assert.False(back.Terminal(0, 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void DeepI2qReachesTheOptimumOfLStageL3(int seed)
    {
        // lstage L=3 (820 states, rewards on the first three levels): the joint optimum needs both agents to pick the same path without seeing each other.
        var game = DeepEnvs.Resolve($"lstage:L=3,seed={seed}");
        var options = DeepOptions.Default.With("i2q", "Threads=1,CurvePoints=1,EvalEpisodes=0");
        using var trainer = new DeepTrainer(new DeepRunSpec(game, "i2q", options, 8000, seed, false));
        trainer.Run(new DeepTrainerHooks());
        var scores = ExactEvaluator.Score(game.Game!, DeepEvaluation.PolicyOf(game.Game!, trainer.Learner));
        Assert.True(scores.NormalizedScore >= 0.99, $"seed {seed}: normalized score {scores.NormalizedScore}");
    }
}
