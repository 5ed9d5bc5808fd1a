namespace MarlEdge.Shared.Games;

/// <summary>The joint action of one step: each agent fills its own slot (Discrete[i] or Continuous[i]).</summary>
public sealed class JointAction
{
    public readonly int[] Discrete;
    public readonly float[][] Continuous;

    public JointAction(IReadOnlyList<AgentSpec> agents)
    {
        Discrete = new int[agents.Count];
        Continuous = agents.Select(a => new float[a.Action.Dim]).ToArray();
    }
}

/// <summary>How a step ended. Terminated: the episode reached a terminal state. Truncated: it was cut (time limit).</summary>
public readonly record struct StepResult(bool Terminated, bool Truncated)
{
    public bool Done => Terminated || Truncated;
}

/// <summary>
/// Side information of the last step, reused between steps. <see cref="GlobalState"/> is for evaluation only:
/// no learner may read it (-1 where the environment has none).
/// </summary>
public sealed class StepInfo
{
    public int GlobalState = -1;
    public readonly Dictionary<string, double> Metrics = new();
}

/// <summary>
/// A parallel multi-agent environment. Every agent acts each step and receives its own observation and reward;
/// an agent sees only what is written into its own observation row.
/// </summary>
public interface IParallelEnv : IDisposable
{
    string Spec { get; }
    IReadOnlyList<AgentSpec> Agents { get; }
    double Gamma { get; }
    /// <summary>Episodes are truncated after this many steps.</summary>
    int EpisodeLimit { get; }
    StepInfo Info { get; }

    /// <summary>Starts an episode and writes each agent's observation into observations[i]. A null seed continues the current random stream.</summary>
    void Reset(int? seed, float[][] observations);

    /// <summary>Applies the joint action, writes each agent's next observation and reward.</summary>
    StepResult Step(JointAction action, float[][] observations, float[] rewards);
}
