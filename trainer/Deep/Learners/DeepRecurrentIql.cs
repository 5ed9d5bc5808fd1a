using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// IQL with a GRU (DRQN, Hausknecht and Stone 2015) for partial observability: `--set Gru=true` on deep IQL. Agent i's
/// Q_i(h_t, ·) reads a hidden state h_t = GRU(h_{t−1}, o_t) of its own observations only (reset at each episode start), and
/// learns from L-step sequences of its own (o, a_i, r, o', terminated) drawn from replay, with the state unrolled from zero at
/// the first step of each sequence ("random updates") and reset where an episode begins inside it:
///   h_t = GRU(h_{t−1}, o_t),  h'_t = GRU(h_t, o'_t)                        (the state after o'_t, online and target nets alike)
///   a*  = argmax_a Q(h'_t, a; θ),   y_t = r_t + γ (1 − terminated_t) Q(h̄'_t, a*; θ̄)   (double-Q, as DeepIql)
///   L_i = (1/L) Σ_t E[(Q(h_t, a_t; θ) − y_t)²]                              (back-propagated through the L steps)
/// The exported network is shared/Policy's GruQNetwork (obs → Linear → ReLU → GRUCell → Linear), the same function.
/// </summary>
public sealed class DeepRecurrentIql : IDeepLearner
{
    const ulong ActPurpose = 0xAC7, SamplePurpose = 0x5A3, InitPurpose = 0x1417;
    readonly DeepTask _task;
    readonly QOptions _q;
    readonly BatchedGruQ _net, _target;
    readonly BatchedAdam _optimizer;
    readonly DeepOptions _options;
    readonly SequenceReplay _replay;
    readonly Dictionary<string, double> _metrics = new();
    Tensor? _trainState, _greedyState;          // [N, E, H]: each agent's own hidden state per environment copy
    public long Updates { get; private set; }
    public IReadOnlyDictionary<string, double> Metrics => _metrics;

    public DeepRecurrentIql(DeepTask task, DeepOptions options)
    {
        if (!task.IsDiscrete) throw new ArgumentException("Q-learners need discrete actions");
        if (options.Q.SequenceLength < 1) throw new Cli.UsageException($"--set SequenceLength must be at least 1, got {options.Q.SequenceLength}");
        _task = task; _q = options.Q; _options = options;
        int h = options.Common.Hidden;
        _net = new BatchedGruQ(task.Agents, task.ObsDim, h, task.Discrete, task.ShareParams, task.OneHotObs, i => task.RngFor(i, InitPurpose));
        _target = new BatchedGruQ(task.Agents, task.ObsDim, h, task.Discrete, task.ShareParams, task.OneHotObs, i => task.RngFor(i, InitPurpose));
        _target.CopyFrom(_net);
        _optimizer = new BatchedAdam(_net.Parameters(), options.Common.LearningRate);
        long capacity = Math.Min(_q.BufferSize, Math.Max(1, task.TotalSteps));
        _replay = new SequenceReplay(task.Agents, task.Envs, task.ObsDim, (int)Math.Max(_q.BatchSize, capacity), _q.SequenceLength, task.OneHotObs);
    }

    double Epsilon(long step)
    {
        double span = Math.Max(1, _q.ExplorationFraction * _task.TotalSteps);
        return _q.EpsilonEnd + (_q.EpsilonStart - _q.EpsilonEnd) * Math.Max(0, 1 - step / span);
    }

    Tensor ObsTensor(float[] obs, int rows) =>
        _task.OneHotObs ? tensor(OneHotRows.Indices(obs, _task.Agents * rows, _task.ObsDim), [_task.Agents, rows, 1])
                        : tensor(obs, [_task.Agents, rows, _task.ObsDim]);

    /// <summary>h_t = GRU(h_{t−1}, o_t) for every agent and copy; the new state replaces the held one.</summary>
    Tensor Advance(ref Tensor? state, float[] obs, int rows)
    {
        if (state is null || state.shape[1] != rows) { state?.Dispose(); state = _net.ZeroState(rows).DetachFromDisposeScope(); }
        var h = _net.Step(_net.Encode(ObsTensor(obs, rows)), state);
        state.Dispose();
        state = h.detach().DetachFromDisposeScope();
        return _net.Q(h);
    }

    public void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = greedy ? Advance(ref _greedyState, obs, envs) : Advance(ref _trainState, obs, envs);
        var best = q.argmax(2).contiguous().data<long>().ToArray();                 // a_i = argmax_a Q_i(h_i, a)
        double eps = greedy ? 0 : Epsilon(step);
        for (int i = 0; i < _task.Agents; i++)
        {
            var rng = _task.RngFor(i, ActPurpose, step);
            for (int e = 0; e < envs; e++)
                actions[i * envs + e] = rng.NextDouble() < eps ? rng.NextInt(_task.Discrete) : (int)best[i * envs + e];
        }
        _metrics["epsilon"] = Epsilon(step);
    }

    /// <summary>Greedy episodes start: their hidden states start at zero.</summary>
    public void BeginEpisodes()
    {
        _greedyState?.Dispose();
        _greedyState = null;
    }

    public void Observe(StepBatch batch)
    {
        _replay.Add(batch);
        if (_trainState is not null)
        {
            // Copies whose episode ended start the next one from h = 0.
            var keep = new float[batch.Envs];
            for (int e = 0; e < batch.Envs; e++) keep[e] = batch.Terminated[e] || batch.Truncated[e] ? 0f : 1f;
            using var scope = NewDisposeScope();
            _trainState.mul_(tensor(keep, [1, batch.Envs, 1]));
        }
        if (batch.Step < _q.LearningStarts || _replay.Count < _q.SequenceLength) return;
        _optimizer.LearningRate = QLearnerBase.LearningRateAt(_options, batch.Step, _task.TotalSteps);
        _metrics["lr"] = _optimizer.LearningRate;
        for (int k = 0; k < _q.UpdatesPerStep; k++) Update();
    }

    void Update()
    {
        using var scope = NewDisposeScope();
        var rng = _task.RngFor(0, SamplePurpose, Updates);
        int length = _q.SequenceLength;
        var (obs, act, rew, next, term, first) = _replay.Sample(_q.BatchSize, length, ref rng);
        int n = _task.Agents, b = _q.BatchSize;
        // Encodings and input gates of all L steps in one batched call per network ([L, N, B, ·] → [N, L·B, ·] → [N, L, B, 3H]).
        Tensor Gates(BatchedGruQ net, Tensor x) =>
            net.InputGates(net.Encode(x.permute(1, 0, 2, 3).reshape(n, (long)length * b, x.shape[3]))).reshape(n, length, b, -1);
        var gi = Gates(_net, obs);
        Tensor giNext, giTarget, giTargetNext;
        using (no_grad()) { giNext = Gates(_net, next); giTarget = Gates(_target, obs); giTargetNext = Gates(_target, next); }
        var h = _net.ZeroState(b);
        var hTarget = _net.ZeroState(b);
        Tensor? loss = null;
        for (int t = 0; t < length; t++)
        {
            var keep = first[t].OneMinus();                                                    // an episode starts at t: h ← 0
            h = _net.StepFromGates(gi.select(1, t), h * keep);                                 // h_t = GRU(h_{t−1}, o_t; θ)
            Tensor y;
            using (no_grad())
            {
                hTarget = _target.StepFromGates(giTarget.select(1, t), hTarget * keep);        // h̄_t (target net)
                var aStar = _net.Q(_net.StepFromGates(giNext.select(1, t), h.detach())).argmax(2, keepdim: true);      // a* = argmax Q(h'_t, ·; θ)
                var qNext = _target.Q(_target.StepFromGates(giTargetNext.select(1, t), hTarget)).gather(2, aStar);   // Q(h̄'_t, a*; θ̄)
                y = rew[t].Plus(S(_task.Gamma) * term[t].OneMinus() * qNext);                   // y_t = r_t + γ (1 − term_t) Q(h̄'_t, a*)
            }
            var err = (_net.Q(h).gather(2, act[t]) - y).pow(S(2)).mean([1, 2]);                 // E[(Q(h_t, a_t) − y_t)²], [N]
            loss = loss is null ? err : loss.Plus(err);
        }
        var perAgent = loss! / S(length);
        _optimizer.ZeroGrad();
        perAgent.sum().backward();
        _optimizer.Step();
        Updates++;
        if (Updates % _q.TargetEvery == 0) _target.CopyFrom(_net);
        _metrics["q_loss"] = perAgent.mean().item<float>();
    }

    /// <summary>policy.json of a tabular game: the greedy action from the first step of an episode (h = 0) in each state.</summary>
    public float[] Probabilities(float[] obs, int batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = _net.Q(_net.Step(_net.Encode(ObsTensor(obs, batch)), _net.ZeroState(batch)));
        return nn.functional.one_hot(q.argmax(2), _task.Discrete).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    public PolicyNetwork Network(int agent) => _net.ToManaged(agent);

    public void Save(Checkpoint c)
    {
        // Checkpoints are taken when every copy has just ended an episode, so every hidden state is zero: nothing to save.
        c.PutAll("gru", _net.Parameters()); c.PutAll("gru_target", _target.Parameters()); c.PutAll("gru_adam", _optimizer.State);
        c.Put("gru_adam.steps", _optimizer.Steps); c.Put("updates", Updates);
        _replay.Save(c, "sequence_replay");
    }

    public void Load(Checkpoint c)
    {
        c.RestoreAll("gru", _net.Parameters()); c.RestoreAll("gru_target", _target.Parameters()); c.RestoreAll("gru_adam", _optimizer.State);
        _optimizer.Steps = c.Long("gru_adam.steps"); Updates = c.Long("updates");
        _replay.Load(c, "sequence_replay");
        _trainState?.Dispose(); _trainState = null;
    }

    public void Dispose()
    {
        _net.Dispose(); _target.Dispose(); _optimizer.Dispose(); _trainState?.Dispose(); _greedyState?.Dispose();
    }
}
