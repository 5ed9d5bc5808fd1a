using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>
/// How a learner's action becomes the environment's. Discrete games: the index itself. Continuous games and a Q-learner: index k
/// of Levels even levels, Low + k·(High − Low)/(Levels − 1). Continuous games and a Gaussian policy: the policy works in
/// normalized units u and the environment gets Low + (clip(u, −1, 1) + 1)·(High − Low)/2. Saved as networks/actions.json so a
/// device (and ./marl eval) can turn a network's output into the action.
/// </summary>
public sealed record ActionMapping(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("dim")] int Dim,
    [property: JsonPropertyName("low")] float Low,
    [property: JsonPropertyName("high")] float High)
{
    public const string Discrete = "discrete", Levels = "levels", Gaussian = "gaussian";

    public static ActionMapping For(ActionSpec spec, bool learnerIsDiscrete, int qLevels)
    {
        if (spec.IsDiscrete) return new(Discrete, spec.Count, 0, 0, 0);
        if (learnerIsDiscrete)
        {
            if (spec.Dim != 1) throw new Cli.UsageException($"Q-learners discretize one-dimensional continuous actions only; this env's actions have {spec.Dim} dimensions");
            return new(Levels, Math.Max(2, qLevels), 1, spec.Low, spec.High);
        }
        return new(Gaussian, 0, spec.Dim, spec.Low, spec.High);
    }

    public bool LearnerDiscrete => Kind != Gaussian;
    public int LearnerActions => Kind == Gaussian ? 0 : Count;

    public float LevelValue(int k) => Low + k * (High - Low) / (Count - 1);

    public float FromNormalized(float u) => Low + (Math.Clamp(u, -1f, 1f) + 1f) * 0.5f * (High - Low);

    /// <summary>Writes agent i's learner action (index or normalized vector) into the joint action.</summary>
    public void Apply(JointAction joint, int agent, int discrete, ReadOnlySpan<float> normalized)
    {
        switch (Kind)
        {
            case Discrete: joint.Discrete[agent] = discrete; break;
            case Levels: joint.Continuous[agent][0] = LevelValue(discrete); break;
            default:
                for (int k = 0; k < Dim; k++) joint.Continuous[agent][k] = FromNormalized(normalized[k]);
                break;
        }
    }
}
