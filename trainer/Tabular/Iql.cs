namespace MarlEdge.Trainer.Tabular;

public sealed record IqlOptions(double LearningRate = 0.1, double EpsilonStart = 1.0, double EpsilonEnd = 0.05, double EpsilonDecayFraction = 0.5);

/// <summary>
/// Independent Q-learning (Tan 1993): each agent runs Watkins' Q-learning on its own (o, a_i, r, o'), treating the
/// others as part of the environment. No convergence guarantee: the others' learning makes its world non-stationary.
/// </summary>
public sealed class Iql(AgentTask task, IqlOptions options) : TabularAgent(task)
{
    readonly double[] _q = new double[task.NumStates * task.NumActions];

    Span<double> Q(int s) => _q.AsSpan(s * Task.NumActions, Task.NumActions);

    public override int Act(int state, long step)
    {
        double epsilon = LinearSchedule(step, options.EpsilonStart, options.EpsilonEnd, options.EpsilonDecayFraction);
        return Rng.NextDouble() < epsilon ? Rng.NextInt(Task.NumActions) : ArgmaxRandomTie(Q(state));
    }

    public override void Observe(in Experience e)
    {
        // y = r + γ max_a' Q(o', a')   (no bootstrap past a terminal state; a truncation still bootstraps)
        double target = e.Reward;
        if (!e.Terminated)
        {
            var next = Q(e.NextState);
            double max = next[0];
            for (int a = 1; a < next.Length; a++) if (next[a] > max) max = next[a];
            target += Task.Gamma * max;
        }
        // Q(o, a_i) ← Q(o, a_i) + α (y − Q(o, a_i))
        ref double q = ref _q[e.State * Task.NumActions + e.Action];
        q += options.LearningRate * (target - q);
    }

    public override void WritePolicy(int state, Span<double> probs) => OneHot(Argmax(Q(state)), probs);

    public override void WritePreferences(int state, Span<double> values) => Q(state).CopyTo(values);

    public override void WriteState(BinaryWriter w) { base.WriteState(w); AgentStateIo.Write(w, _q); }
    public override void ReadState(BinaryReader r) { base.ReadState(r); AgentStateIo.ReadInto(r, _q); }

    /// <summary>The raw update, exposed for the throughput benchmark.</summary>
    public void Update(int s, int a, double r, int s2, bool terminated) =>
        Observe(new Experience(s, a, r, s2, terminated, false, 0));
}
