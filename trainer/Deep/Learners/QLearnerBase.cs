using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// What the value-based learners (IQL, MA2QL, I2Q) share: per-agent Q-networks Q_i(o_i, ·) stacked [N, ...] with target
/// copies, replay of each agent's own transitions, and ε-greedy action selection on the agent's own observation.
/// </summary>
public abstract class QLearnerBase : IDeepLearner
{
    protected const ulong ActPurpose = 0xAC7, SamplePurpose = 0x5A3, InitPurpose = 0x1417;
    protected readonly DeepTask Task;
    protected readonly DeepOptions Options;
    protected readonly BatchedMlp Q, QTarget;
    protected readonly BatchedAdam QOptimizer;
    protected readonly ReplayBuffer Replay;
    protected readonly Dictionary<string, double> MetricValues = new();
    public long Updates { get; protected set; }
    public IReadOnlyDictionary<string, double> Metrics => MetricValues;

    protected QLearnerBase(DeepTask task, DeepOptions options)
    {
        if (!task.IsDiscrete) throw new ArgumentException("Q-learners need discrete actions");
        if (options.Q.Gru) throw new Cli.UsageException("--set Gru=true is an option of deep IQL only");
        Task = task; Options = options;
        int h = options.Common.Hidden;
        Q = new BatchedMlp(task.Agents, [task.ObsDim, h, h, task.Discrete], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose));
        QTarget = new BatchedMlp(task.Agents, [task.ObsDim, h, h, task.Discrete], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose));
        QTarget.CopyFrom(Q);
        QOptimizer = new BatchedAdam(Q.Parameters(), options.Common.LearningRate);
        // A run of TotalSteps transitions never fills more than TotalSteps slots: the same ring, without allocating the rest
        // (lstage L=4's one-hot observations are 7381 floats, and BufferSize of them per agent is gigabytes).
        long capacity = Math.Min(options.Q.BufferSize, Math.Max(1, task.TotalSteps));
        Replay = new ReplayBuffer(task.Agents, task.ObsDim, (int)Math.Max(options.Q.BatchSize, capacity), task.OneHotObs);
    }

    /// <summary>
    /// A network on observations as the replay gives them: one-hot ones are int64 indices [N, B, 1] and the first layer is a row
    /// lookup (the same function as the matmul on one_hot(index), ~ObsDim/1 times cheaper); dense ones go through Forward.
    /// </summary>
    protected Tensor OnObs(BatchedMlp net, Tensor obs, bool constantParams = false) =>
        Task.OneHotObs ? net.ForwardRows(obs, null, 0, constantParams) : net.Forward(obs, constantParams);

    /// <summary>Observation rows of a batch (agent-major, rows × ObsDim floats) as the input OnObs takes.</summary>
    protected Tensor ObsTensor(float[] obs, int rows) =>
        Task.OneHotObs ? tensor(Nets.OneHotRows.Indices(obs, Task.Agents * rows, Task.ObsDim), [Task.Agents, rows, 1])
                       : tensor(obs, [Task.Agents, rows, Task.ObsDim]);

    /// <summary>Linear ε schedule: EpsilonStart → EpsilonEnd over ExplorationFraction of the budget.</summary>
    protected double Epsilon(long step)
    {
        var q = Options.Q;
        double span = Math.Max(1, q.ExplorationFraction * Task.TotalSteps);
        return q.EpsilonEnd + (q.EpsilonStart - q.EpsilonEnd) * Math.Max(0, 1 - step / span);
    }

    /// <summary>Adam's step size at this step: LearningRate, or with AnnealLr LearningRate · max(0, 1 − step / TotalSteps).</summary>
    public static double LearningRateAt(DeepOptions options, long step, long totalSteps) =>
        LearningRateSchedule.At(options.Common.LearningRate, options.Q.AnnealLr, step, totalSteps);

    /// <summary>Sets the optimizers' step size for this step (I2Q also anneals its model optimizer).</summary>
    protected virtual void AnnealLearningRate(long step)
    {
        QOptimizer.LearningRate = LearningRateAt(Options, step, Task.TotalSteps);
        MetricValues["lr"] = QOptimizer.LearningRate;
    }

    /// <summary>Agent i's exploration rate at this step (MA2QL overrides: frozen agents do not explore).</summary>
    protected virtual double ExplorationOf(int agent, long step) => Epsilon(step);

    public void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = OnObs(Q, ObsTensor(obs, envs));
        var best = q.argmax(2).contiguous().data<long>().ToArray();                 // a_i = argmax_a Q_i(o_i, a)
        for (int i = 0; i < Task.Agents; i++)
        {
            var rng = Task.RngFor(i, ActPurpose, step);
            double eps = greedy ? 0 : ExplorationOf(i, step);
            for (int e = 0; e < envs; e++)
                actions[i * envs + e] = rng.NextDouble() < eps ? rng.NextInt(Task.Discrete) : (int)best[i * envs + e];
        }
        MetricValues["epsilon"] = Epsilon(step);
    }

    public abstract void Observe(StepBatch batch);

    /// <summary>Copies the online networks into the target networks every TargetEvery updates.</summary>
    protected void SyncTargets()
    {
        if (Updates % Options.Q.TargetEvery == 0) SyncAllTargets();
    }

    protected virtual void SyncAllTargets() => QTarget.CopyFrom(Q);

    public float[] Probabilities(float[] obs, int batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = OnObs(Q, ObsTensor(obs, batch));
        return nn.functional.one_hot(q.argmax(2), Task.Discrete).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    public PolicyNetwork Network(int agent) => new QNetwork(Q.ToManaged(agent));

    public virtual void Save(Checkpoint c)
    {
        c.PutAll("q", Q.Parameters()); c.PutAll("q_target", QTarget.Parameters()); c.PutAll("q_adam", QOptimizer.State);
        c.Put("q_adam.steps", QOptimizer.Steps); c.Put("updates", Updates);
        Replay.Save(c, "replay");
    }

    public virtual void Load(Checkpoint c)
    {
        c.RestoreAll("q", Q.Parameters()); c.RestoreAll("q_target", QTarget.Parameters()); c.RestoreAll("q_adam", QOptimizer.State);
        QOptimizer.Steps = c.Long("q_adam.steps"); Updates = c.Long("updates");
        Replay.Load(c, "replay");
    }

    public virtual void Dispose()
    {
        Q.Dispose(); QTarget.Dispose(); QOptimizer.Dispose();
    }
}
