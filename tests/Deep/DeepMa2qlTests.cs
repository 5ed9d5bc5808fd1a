using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Sumo.Learning;
using Xunit;

namespace MarlEdge.Tests.Deep;

/// <summary>Deep MA2QL's behaviour policy during a turn: the learning agent explores; a frozen agent is greedy, or with
/// FrozenExplore ε-greedy at the run's ε as of the turn's first step.</summary>
public class DeepMa2qlTests
{
    const int Envs = 400, Actions = 4, ObsDim = 3;

    /// <summary>Share of agent 0's actions (frozen at step 150: turn 1 of length 100 belongs to agent 1) that are not its greedy action.</summary>
    static double FrozenNonGreedyShare(bool frozenExplore)
    {
        var task = new DeepTask(Agents: 2, FirstAgent: 0, ObsDim: ObsDim, Discrete: Actions, ActionDim: 0, Gamma: 0.9, Envs: Envs,
            TotalSteps: 1000, Seed: 3, ShareParams: false, EpisodeLimit: 10);
        var options = DeepOptions.Default.With("ma2ql", $"TurnLength=100,FrozenExplore={frozenExplore}");
        using var learner = new DeepMa2ql(task, options, allAgents: 2);
        var obs = new float[2 * Envs * ObsDim];
        for (int k = 0; k < obs.Length; k++) obs[k] = (k * 7919 % 13) / 13f;    // varied observations
        var actions = new int[2 * Envs];
        learner.Act(obs, Envs, actions, new float[2 * Envs], step: 150, greedy: false);
        var greedy = learner.Probabilities(obs, Envs);                          // one-hot of argmax, [2, Envs, Actions]
        int off = 0;
        for (int e = 0; e < Envs; e++) if (greedy[e * Actions + actions[e]] != 1f) off++;
        return off / (double)Envs;
    }

    [Fact]
    public void FrozenAgentIsGreedyByDefault() => Assert.Equal(0, FrozenNonGreedyShare(frozenExplore: false));

    [Fact]
    public void FrozenAgentExploresAtTheTurnStartEpsilonWithFrozenExplore()
    {
        // ε at step 100 (the turn's start) = 0.05 + 0.95 · (1 − 100/500) = 0.81; a random action misses the greedy one 3 times in 4.
        double share = FrozenNonGreedyShare(frozenExplore: true);
        Assert.InRange(share, 0.81 * 0.75 - 0.08, 0.81 * 0.75 + 0.08);
    }

    [Fact]
    public void SumoDefaultsLetFrozenAgentsExplore()
    {
        Assert.True(SumoTraining.DefaultOptions.Ma2ql.FrozenExplore);
        Assert.False(DeepOptions.Default.Ma2ql.FrozenExplore);                  // the games' benchmarks keep the greedy partners
    }
}
