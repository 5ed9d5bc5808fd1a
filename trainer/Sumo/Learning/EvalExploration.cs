using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// How agents act at evaluation:
/// - greedy (the default), drawing no random number;
/// - ε-greedy, as DQN is evaluated (Mnih et al. 2015, Methods: "ε-greedy policy with ε = 0.05"): with probability ε an
///   agent takes a uniformly random one of its own valid phases instead of its greedy one;
/// - sampled (`--eval-sample`, actor networks only): a ~ π(·|o), the masked softmax of the actor's logits, which is how
///   PPO-style learners act while they train and how the edge runtime acts when it learns on the device.
/// The generators are re-seeded from each evaluation episode's seed, so the same run, seed and rule give the same episodes.
/// </summary>
public sealed class EvalExploration
{
    /// <summary>The probability of a random valid action at each decision of each agent.</summary>
    public double Epsilon { get; }

    /// <summary>Whether actions are drawn from the actor's policy instead of taken greedily.</summary>
    public bool Sampled { get; }

    /// <summary>The rule's name, as the summary records it: "greedy", "epsilon-greedy" or "sampled".</summary>
    public string Rule => Sampled ? "sampled" : Epsilon > 0 ? "epsilon-greedy" : "greedy";

    Random _random = new(0);
    Rng _policyRng;

    public EvalExploration(double epsilon, bool sampled = false)
    {
        if (!(epsilon >= 0 && epsilon <= 1)) throw new UsageException($"--eval-epsilon must be between 0 and 1, got {epsilon}");
        if (sampled && epsilon > 0) throw new UsageException("--eval-sample and --eval-epsilon exclude each other: a sampled policy does its own exploring");
        Epsilon = epsilon;
        Sampled = sampled;
    }

    /// <summary>Re-seeds the generators for one evaluation episode (its SUMO seed).</summary>
    public void StartEpisode(int episodeSeed)
    {
        _random = new Random(unchecked(episodeSeed * 31 + 7919));
        _policyRng = new Rng((ulong)episodeSeed, stream: 0x5A4D);
    }

    /// <summary>The greedy action, or with probability ε a uniform one of the agent's validActions phases.</summary>
    public int Choose(int greedy, int validActions) =>
        Epsilon > 0 && _random.NextDouble() < Epsilon ? _random.Next(validActions) : greedy;

    /// <summary>For an actor network: a draw from the masked softmax of its logits when sampling, else as <see cref="Choose(int, int)"/>.</summary>
    public int Choose(int greedy, ReadOnlySpan<float> logits, ReadOnlySpan<float> mask, int validActions) =>
        Sampled ? MaskedSoftmax.Sample(logits, mask, ref _policyRng) : Choose(greedy, validActions);
}
