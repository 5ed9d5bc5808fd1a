using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Deep.Learners;

namespace MarlEdge.Trainer.Deep.Training;

public static class LearnerFactory
{
    /// <summary>Whether the algorithm acts with discrete actions on a continuous game (the Q-learners discretize into even levels).</summary>
    public static bool UsesDiscreteActions(string algo) => algo is "iql" or "ma2ql" or "i2q";

    public static IDeepLearner Create(string algo, DeepTask task, DeepOptions options, int allAgents) => algo switch
    {
        "iql" => options.Q.Gru ? new DeepRecurrentIql(task, options) : new DeepIql(task, options),
        "ma2ql" => new DeepMa2ql(task, options, allAgents),
        "i2q" => new DeepI2q(task, options),
        "ippo" => new DeepIppo(task, options),
        "dpo" => new DeepDpo(task, options, allAgents),
        "mdpo" => new DeepMdpo(task, options, allAgents),
        _ => throw new UsageException($"unknown algorithm '{algo}' (deep: {string.Join(", ", DeepOptions.Algorithms)})"),
    };
}
