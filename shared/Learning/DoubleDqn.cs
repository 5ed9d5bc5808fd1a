using MarlEdge.Shared.Policy;

namespace MarlEdge.Shared.Learning;

/// <summary>
/// Double-DQN TD updates on a <see cref="QNetwork"/>'s own weights: y = r + γ · Q_target(s', argmax_{a allowed} Q_online(s', a)),
/// Huber loss on Q_online(s, a) − y, Adam, and a target network synced every <see cref="TargetSyncUpdates"/> updates. The
/// network's observation normalizer (if any) is applied exactly as in its forward pass. A step allocates nothing.
/// </summary>
public sealed class DoubleDqn
{
    public QNetwork Online { get; }
    public Mlp Target { get; }
    public MlpTrainer Trainer { get; }
    public float Gamma { get; set; }
    public int TargetSyncUpdates { get; set; }
    public float HuberDelta { get; set; } = 1f;
    public long Updates { get; private set; }
    readonly int _batch, _obsDim, _actions;
    readonly float[] _x, _xNext, _qNextOnline, _qNextTarget, _y;
    readonly int[] _idx, _act;
    readonly Random _rng;

    public DoubleDqn(QNetwork online, int batch, float lr, float gamma, int targetSyncUpdates, int seed = 1)
    {
        Online = online;
        Target = MlpTrainer.Clone(online.Mlp);
        Trainer = new MlpTrainer(online.Mlp, batch, lr);
        Gamma = gamma;
        TargetSyncUpdates = targetSyncUpdates;
        _batch = batch;
        _obsDim = online.ObservationDim;
        _actions = online.ActionSize;
        _x = new float[batch * _obsDim];
        _xNext = new float[batch * _obsDim];
        _qNextOnline = new float[batch * _actions];
        _qNextTarget = new float[batch * _actions];
        _y = new float[batch];
        _idx = new int[batch];
        _act = new int[batch];
        _rng = new Random(seed);
    }

    /// <summary>One TD update on a random batch from the replay; returns the mean Huber loss (NaN if the replay is too small).</summary>
    public float Update(ReplayBuffer replay)
    {
        if (replay.Count < _batch) return float.NaN;
        int n = _batch, d = _obsDim, A = _actions;
        var norm = Online.Normalizer;
        for (int b = 0; b < n; b++)
        {
            int i = _rng.Next(replay.Count);
            _idx[b] = i;
            _act[b] = replay.Action[i];
            var o = replay.Obs.AsSpan(i * d, d);
            var on = replay.NextObs.AsSpan(i * d, d);
            if (norm is null) { o.CopyTo(_x.AsSpan(b * d, d)); on.CopyTo(_xNext.AsSpan(b * d, d)); }
            else { norm.Apply(o, _x.AsSpan(b * d, d)); norm.Apply(on, _xNext.AsSpan(b * d, d)); }
        }
        Trainer.Predict(Online.Mlp, _xNext, n, _qNextOnline);
        Trainer.Predict(Target, _xNext, n, _qNextTarget);
        for (int b = 0; b < n; b++)
        {
            int i = _idx[b];
            int best = MaskedGreedy.Action(_qNextOnline.AsSpan(b * A, A), replay.NextMask.AsSpan(i * A, A));
            _y[b] = replay.Reward[i] + Gamma * _qNextTarget[b * A + best];
        }
        var q = Trainer.Forward(_x, n);
        var g = Trainer.OutputGradient(n);
        g.Clear();
        float loss = 0;
        for (int b = 0; b < n; b++)
        {
            float diff = q[b * A + _act[b]] - _y[b];
            float ad = MathF.Abs(diff);
            loss += ad <= HuberDelta ? 0.5f * diff * diff : HuberDelta * (ad - 0.5f * HuberDelta);
            g[b * A + _act[b]] = (ad <= HuberDelta ? diff : HuberDelta * MathF.Sign(diff)) / n;
        }
        Trainer.Backward(n);
        Trainer.AdamStep();
        Updates++;
        if (Updates % TargetSyncUpdates == 0) MlpTrainer.CopyWeights(Online.Mlp, Target);
        return loss / n;
    }
}
