using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>Greedy test episodes and, on tabular games, the policy table obtained by running each agent's network on each one-hot state.</summary>
public static class DeepEvaluation
{
    /// <summary>Evaluation seeds never meet training seeds (training uses VecEnv.EpisodeSeed of the run seed).</summary>
    public const int EvalSeedBase = 1_000_003;

    /// <summary>Mean undiscounted return of greedy episodes (no exploration; Gaussian policies act with their mean).</summary>
    public static double GreedyReturn(DeepEnvDefinition def, IDeepLearner learner, int episodes, bool learnerDiscrete, int actionDim)
    {
        if (episodes <= 0) return double.NaN;
        using var vec = new VecEnv(def, episodes, EvalSeedBase, learnerDiscrete);
        var batch = new StepBatch(vec.Agents, episodes, vec.ObsDim, actionDim);
        vec.ResetAll(batch);
        learner.BeginEpisodes();
        var done = new bool[episodes];
        var total = new double[episodes];
        int limit = Math.Max(1, vec.First.EpisodeLimit);
        for (int t = 0; t < limit && done.Any(d => !d); t++)
        {
            learner.Act(batch.Obs, episodes, batch.Actions, batch.Continuous, long.MaxValue / 2, greedy: true);
            vec.Step(batch);
            for (int e = 0; e < episodes; e++)
            {
                if (done[e]) continue;
                total[e] += batch.Rewards[e];                                  // agent 0's reward (the shared reward)
                if (batch.Terminated[e] || batch.Truncated[e]) done[e] = true;
            }
            Array.Copy(batch.NextObs, batch.Obs, batch.Obs.Length);
        }
        return total.Average();
    }

    /// <summary>policy.json of a tabular game: agent i's action probabilities in state s are its network's output on one_hot(s).</summary>
    public static TabularPolicy PolicyOf(TabularGame game, IDeepLearner learner)
    {
        var policy = new TabularPolicy(game.NumStates, game.NumActions);
        int n = game.NumAgents, a = game.NumActions[0], chunk = 256;
        for (int start = 0; start < game.NumStates; start += chunk)
        {
            int b = Math.Min(chunk, game.NumStates - start);
            var obs = new float[n * b * game.NumStates];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < b; k++) obs[(i * b + k) * game.NumStates + start + k] = 1f;
            var probs = learner.Probabilities(obs, b);
            for (int i = 0; i < n; i++)
                for (int k = 0; k < b; k++)
                {
                    var row = policy.Row(i, start + k);
                    double sum = 0;
                    for (int j = 0; j < a; j++) sum += row[j] = Math.Max(0, probs[(i * b + k) * a + j]);
                    for (int j = 0; j < a; j++) row[j] = sum > 0 ? row[j] / sum : 1.0 / a;
                }
        }
        return policy;
    }
}
