using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Evaluation;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Runs;

/// <summary>The summary of a tabular policy: exact scores plus a sampled mean return with a fixed evaluation seed.</summary>
public static class TabularSummaries
{
    public const int EvalEpisodes = 1000;

    public static RunSummary Of(TabularGame game, string env, string algo, int seed, long steps, TabularPolicy policy)
    {
        var scores = ExactEvaluator.Score(game, policy);
        return new RunSummary(env, algo, seed, steps, TabularTrainer.SampledReturn(game, policy, EvalEpisodes, seed), EvalEpisodes,
            scores.PolicyValue, scores.Optimal, scores.Uniform, scores.NormalizedScore, scores.OptimalityGap, scores.Exploitability);
    }
}
