using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Evaluation;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Bench;

/// <summary>One training run of the seed-claims table and its exact scores.</summary>
public sealed record SeedClaimJob(string Env, string Algo, int Seed, long Steps)
{
    public SeedClaimResult Run(LearnerOptions options)
    {
        var game = BuiltInGames.FromSpec(Env)!;
        var run = TabularTrainer.Train(game, Algo, options, Steps, Seed, curvePoints: 1);
        var scores = ExactEvaluator.Score(game, run.Policy);
        return new SeedClaimResult(this, scores.NormalizedScore, scores.Exploitability, scores.Optimal - scores.Uniform, run.Seconds);
    }
}

public sealed record SeedClaimResult(SeedClaimJob Job, double NormalizedScore, double Exploitability, double ValueRange, double Seconds)
{
    /// <summary>Exploitability as a share of V* − V^unif.</summary>
    public double RelativeExploitability => ValueRange > 1e-12 ? Exploitability / ValueRange : 0;
}
