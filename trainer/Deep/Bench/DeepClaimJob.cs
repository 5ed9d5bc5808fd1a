using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using MarlEdge.Trainer.Evaluation;

namespace MarlEdge.Trainer.Deep.Bench;

/// <summary>One training run of the deep claims table, and what it measured.</summary>
public sealed record DeepClaimJob(string Section, string Env, string Algo, int Seed, long Steps, string? Set)
{
    public DeepClaimResult Run()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var def = DeepEnvs.Resolve(Env);
        var options = DeepOptions.Default.With(Algo, Set);
        options = options with { Common = options.Common with { Threads = 1, CurvePoints = 1, EvalEpisodes = 0 } };
        using var trainer = new DeepTrainer(new DeepRunSpec(def, Algo, options, Steps, Seed, false));
        trainer.Run(new DeepTrainerHooks());
        if (def.Game is { } game)
        {
            var policy = DeepEvaluation.PolicyOf(game, trainer.Learner);
            var scores = ExactEvaluator.Score(game, policy);
            return new DeepClaimResult(this, double.NaN, scores.NormalizedScore, scores.Exploitability, scores.Optimal - scores.Uniform, trainer.Learner.Updates, clock.Elapsed.TotalSeconds);
        }
        double ret = DeepEvaluation.GreedyReturn(def, trainer.Learner, 100, trainer.Mapping.LearnerDiscrete, trainer.Mapping.Dim);
        return new DeepClaimResult(this, ret, double.NaN, double.NaN, double.NaN, trainer.Learner.Updates, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>Greedy test return (continuous games) or exact normalized score and exploitability (tabular games).</summary>
public sealed record DeepClaimResult(DeepClaimJob Job, double GreedyReturn, double NormalizedScore, double Exploitability, double Range, long Updates, double Seconds);
