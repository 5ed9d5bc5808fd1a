using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// ε-greedy acting at evaluation, as DQN is evaluated (Mnih et al. 2015, Methods: "ε-greedy policy with ε = 0.05"):
/// with probability ε an agent takes a uniformly random one of its own valid phases instead of its greedy one.
/// ε = 0 (the default) is the plain greedy evaluation and draws no random number. The generator is re-seeded from each
/// evaluation episode's seed, so the same run, seed and ε give the same episodes.
/// </summary>
public sealed class EvalExploration
{
    /// <summary>The probability of a random valid action at each decision of each agent.</summary>
    public double Epsilon { get; }

    Random _random = new(0);

    public EvalExploration(double epsilon)
    {
        if (!(epsilon >= 0 && epsilon <= 1)) throw new UsageException($"--eval-epsilon must be between 0 and 1, got {epsilon}");
        Epsilon = epsilon;
    }

    /// <summary>Re-seeds the generator for one evaluation episode (its SUMO seed).</summary>
    public void StartEpisode(int episodeSeed) => _random = new Random(unchecked(episodeSeed * 31 + 7919));

    /// <summary>The greedy action, or with probability ε a uniform one of the agent's validActions phases.</summary>
    public int Choose(int greedy, int validActions) =>
        Epsilon > 0 && _random.NextDouble() < Epsilon ? _random.Next(validActions) : greedy;
}
