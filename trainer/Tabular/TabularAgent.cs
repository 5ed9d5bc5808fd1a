using MarlEdge.Shared.Numerics;

namespace MarlEdge.Trainer.Tabular;

/// <summary>What every tabular agent knows about its task: its own index, the number of states it can observe, its own action count, the discount and the training budget.</summary>
public sealed record AgentTask(int Index, int NumAgents, int NumStates, int NumActions, double Gamma, long TotalSteps, ulong Seed);

/// <summary>
/// A decentralized tabular learner. It sees only its own experience; the only thing it shares with the others is the
/// wall clock (the global step count), which MA2QL's turn schedule and the batch boundaries of IPPO/DPO use.
/// </summary>
public abstract class TabularAgent(AgentTask task)
{
    protected readonly AgentTask Task = task;
    protected Rng Rng = new(task.Seed, (ulong)task.Index + 1);

    /// <summary>The behaviour action during training.</summary>
    public abstract int Act(int state, long step);

    public abstract void Observe(in Experience e);

    /// <summary>The learned policy's action probabilities in a state (greedy learners write a one-hot row).</summary>
    public abstract void WritePolicy(int state, Span<double> probs);

    /// <summary>
    /// How much the agent prefers each action in a state, for callers that pick among a subset (a sampled environment's
    /// greedy table takes the best action tried in training). Q-learners write Q(s, ·); the default is the policy.
    /// </summary>
    public virtual void WritePreferences(int state, Span<double> values) => WritePolicy(state, values);

    /// <summary>Called once when training ends, for learners that finish work lazily.</summary>
    public virtual void Finish() { }

    /// <summary>Writes everything the agent has learned and its random state, so a resumed run continues exactly.</summary>
    public virtual void WriteState(BinaryWriter w) => AgentStateIo.Write(w, Rng);

    /// <summary>Reads back what <see cref="WriteState"/> wrote, into an agent made for the same task.</summary>
    public virtual void ReadState(BinaryReader r) => Rng = AgentStateIo.ReadRng(r);

    /// <summary>Index of the largest value; ties go to the lowest index, so every agent breaks them the same way.</summary>
    protected static int Argmax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int a = 1; a < values.Length; a++) if (values[a] > values[best]) best = a;
        return best;
    }

    /// <summary>Index of the largest value with ties broken at random (behaviour only).</summary>
    protected int ArgmaxRandomTie(ReadOnlySpan<double> values)
    {
        int best = 0, ties = 1;
        for (int a = 1; a < values.Length; a++)
        {
            if (values[a] > values[best]) { best = a; ties = 1; }
            else if (values[a] == values[best] && Rng.NextInt(++ties) == 0) best = a;
        }
        return best;
    }

    protected static void OneHot(int action, Span<double> probs)
    {
        probs.Clear();
        probs[action] = 1;
    }

    /// <summary>Linear decay from start to end over the given fraction of the budget.</summary>
    protected double LinearSchedule(long step, double start, double end, double fraction)
    {
        double progress = Math.Min(1.0, step / Math.Max(1.0, fraction * Task.TotalSteps));
        return start + (end - start) * progress;
    }
}
