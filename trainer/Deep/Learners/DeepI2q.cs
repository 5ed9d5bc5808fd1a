using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// I2Q, ideal independent Q-learning (Jiang and Lu 2022), deep version. Each agent learns three modules from its own
/// (o, a_i, r, o') only:
///   Q^ss(o, o')  the value of moving from o to o':     y_ss = r + γ (1 − d) Q̄^ss(o', f(o', a'*)),  a'* = argmax_a Q(o', a)
///   f(o, a_i)    the ideal next observation:           max  λ̂ · Q^ss(o, f(o, a_i)) − ||f(o, a_i) − o'||²,  λ̂ = λ / mean|Q^ss|
///   Q(o, a_i)    Q-learning against the ideal move:    y_q = r + γ (1 − d) max_a Q̄(f(o, a_i), a)
/// Q̄ and Q̄^ss are target networks. In a deterministic game every agent sees the same (o, r, o') stream, so their Q^ss agree,
/// every f points at the same best reachable next state, and the agents' greedy actions meet there: independent learners
/// that coordinate without communicating. f stays near transitions that were actually seen (the −||f − o'||² term).
/// </summary>
public sealed class DeepI2q : QLearnerBase
{
    readonly BatchedMlp _qss, _qssTarget, _f;
    readonly BatchedAdam _modelOptimizer;

    public DeepI2q(DeepTask task, DeepOptions options) : base(task, options)
    {
        int h = options.Common.Hidden, d = task.ObsDim;
        _qss = new BatchedMlp(task.Agents, [2 * d, h, h, 1], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 1));
        _qssTarget = new BatchedMlp(task.Agents, [2 * d, h, h, 1], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 1));
        _qssTarget.CopyFrom(_qss);
        _f = new BatchedMlp(task.Agents, [d + task.Discrete, h, h, d], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 2));
        _modelOptimizer = new BatchedAdam(_qss.Parameters().Concat(_f.Parameters()), options.Common.LearningRate);
    }

    public override void Observe(StepBatch batch)
    {
        Replay.Add(batch);
        if (batch.Step < Options.Q.LearningStarts) return;
        for (int k = 0; k < Options.Q.UpdatesPerStep; k++) Update();
    }

    /// <summary>f(o, a): the ideal next observation after own action a, from (o, one_hot(a)).</summary>
    Tensor Ideal(Tensor obs, Tensor action, bool constantParams = false) =>
        _f.Forward(cat([obs, nn.functional.one_hot(action.squeeze(-1), Task.Discrete).to_type(ScalarType.Float32)], 2), constantParams);

    static Tensor Pair(Tensor o, Tensor next) => cat([o, next], 2);

    void Update()
    {
        using var scope = NewDisposeScope();
        var rng = Task.RngFor(0, SamplePurpose, Updates);
        var (obs, act, rew, next, done) = Replay.Sample(Options.Q.BatchSize, ref rng);
        Tensor yss, yq;
        using (no_grad())
        {
            var aStar = Q.Forward(next).argmax(2, keepdim: true);                               // a'* = argmax_a Q(o', a)
            var fNext = Ideal(next, aStar);                                                      // f(o', a'*)
            yss = rew.Plus(S(Task.Gamma) * done.OneMinus() * _qssTarget.Forward(Pair(next, fNext)));         // y_ss = r + γ Q̄ss(o', f(o', a'*))
            var ideal = Ideal(obs, act);                                                         // f(o, a_i)
            yq = rew.Plus(S(Task.Gamma) * done.OneMinus() * QTarget.Forward(ideal).max(2, keepdim: true).values); // y_q = r + γ max Q̄(f(o,a_i), ·)
        }
        var qssLoss = (_qss.Forward(Pair(obs, next)) - yss).pow(S(2)).mean([1, 2]);                 // E[(Qss(o, o') − y_ss)²]
        var qLoss = (Q.Forward(obs).gather(2, act) - yq).pow(S(2)).mean([1, 2]);                   // E[(Q(o, a_i) − y_q)²]

        var f = Ideal(obs, act);
        var qssOfF = _qss.Forward(Pair(obs, f), constantParams: true);                         // Qss(o, f(o, a_i)); only f moves
        var lambda = S(Options.I2q.Lambda) / qssOfF.detach().abs().mean([1, 2], keepdim: true).Plus(1e-6); // λ̂ = λ / mean|Qss|
        var fLoss = (-(lambda * qssOfF)).Plus((f - next).pow(S(2)).sum(2, keepdim: true)).mean([1, 2]);  // −λ̂ Qss(o,f) + ||f − o'||²

        QOptimizer.ZeroGrad();
        _modelOptimizer.ZeroGrad();
        qLoss.sum().Plus(qssLoss.sum()).Plus(fLoss.sum()).backward();
        QOptimizer.Step();
        _modelOptimizer.Step();
        Updates++;
        SyncTargets();
        MetricValues["q_loss"] = qLoss.mean().item<float>();
        MetricValues["qss_loss"] = qssLoss.mean().item<float>();
        MetricValues["f_error"] = (f - next).pow(S(2)).sum(2).mean().item<float>();
    }

    protected override void SyncAllTargets()
    {
        base.SyncAllTargets();
        _qssTarget.CopyFrom(_qss);
    }

    public override void Save(Checkpoint c)
    {
        base.Save(c);
        c.PutAll("qss", _qss.Parameters()); c.PutAll("qss_target", _qssTarget.Parameters()); c.PutAll("f", _f.Parameters());
        c.PutAll("model_adam", _modelOptimizer.State); c.Put("model_adam.steps", _modelOptimizer.Steps);
    }

    public override void Load(Checkpoint c)
    {
        base.Load(c);
        c.RestoreAll("qss", _qss.Parameters()); c.RestoreAll("qss_target", _qssTarget.Parameters()); c.RestoreAll("f", _f.Parameters());
        c.RestoreAll("model_adam", _modelOptimizer.State); _modelOptimizer.Steps = c.Long("model_adam.steps");
    }

    public override void Dispose()
    {
        base.Dispose();
        _qss.Dispose(); _qssTarget.Dispose(); _f.Dispose(); _modelOptimizer.Dispose();
    }
}
