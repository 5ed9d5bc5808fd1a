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
/// <para>
/// One-hot observation spaces (tabular games; declared by the env): the three losses are the same, but wherever a target
/// network reads f — Q̄^ss(o', f(o', a'*)) and max Q̄(f(o, a_i), ·) — it reads [f] = one_hot(argmax_x f_x), the valid observation
/// nearest to f, instead of the dense point f itself (a design change: only real states are valued, by row lookups). f's
/// own loss still uses the dense f. On lstage L=4 this did not make deep I2Q reach the optimum (see the deep-claims table):
/// f has to map each (o, a_i) to one of 7381 outputs through a small hidden layer, which it had not learned in the budget.
/// </para>
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

    /// <summary>f(o, a): the ideal next observation after own action a, from (o, one_hot(a)). On one-hot observations the input
    /// (one_hot(o), one_hot(a)) has two ones, at o and d + a, and f's first layer is a lookup of those two rows.</summary>
    Tensor Ideal(Tensor obs, Tensor action, bool constantParams = false) => Task.OneHotObs
        ? _f.ForwardRows(cat([obs, action.PlusIndex(ObsOffset)], 2), null, 0, constantParams)
        : _f.Forward(cat([obs, nn.functional.one_hot(action.squeeze(-1), Task.Discrete).to_type(ScalarType.Float32)], 2), constantParams);

    /// <summary>Qss(o, o') on two observations (one-hot: rows o and d + o').</summary>
    Tensor QssOfObs(BatchedMlp net, Tensor o, Tensor next) => Task.OneHotObs
        ? net.ForwardRows(cat([o, next.PlusIndex(ObsOffset)], 2))
        : net.Forward(cat([o, next], 2));

    /// <summary>Qss(o, x) where x = f(·) is a dense point of observation space (one-hot o: row o plus x·W[d..2d)).</summary>
    Tensor QssOfIdeal(BatchedMlp net, Tensor o, Tensor x, bool constantParams = false) => Task.OneHotObs
        ? net.ForwardRows(o, x, Task.ObsDim, constantParams)
        : net.Forward(cat([o, x], 2), constantParams);

    /// <summary>||x − o'||² per row; for one-hot o' = e_k it is ||x||² − 2 x_k + 1, without building e_k.</summary>
    Tensor SquaredDistance(Tensor x, Tensor next) => Task.OneHotObs
        ? x.pow(S(2)).sum(2, keepdim: true).Plus(S(-2) * x.gather(2, next)).Plus(1.0)
        : (x - next).pow(S(2)).sum(2, keepdim: true);

    Tensor? _obsOffset;
    /// <summary>d as an int64 tensor: shifts an index into the second one-hot block of a concatenated input.</summary>
    Tensor ObsOffset => _obsOffset ??= tensor(new long[] { Task.ObsDim }).DetachFromDisposeScope();

    void Update()
    {
        using var scope = NewDisposeScope();
        var rng = Task.RngFor(0, SamplePurpose, Updates);
        var (obs, act, rew, next, done) = Replay.Sample(Options.Q.BatchSize, ref rng);
        var f = Ideal(obs, act);                                                                 // f(o, a_i), read by the Q target and by f's loss
        Tensor yss, yq;
        using (no_grad())
        {
            var aStar = OnObs(Q, next).argmax(2, keepdim: true);                                // a'* = argmax_a Q(o', a)
            var fNext = Ideal(next, aStar);                                                      // f(o', a'*)
            var ideal = f.detach();                                                              // f(o, a_i)
            Tensor qssNext, qIdeal;
            if (Task.OneHotObs)
            {
                // One-hot observation spaces: the targets read f at the valid observation nearest to it, one_hot(argmax_x f_x)
                // (the nearest one-hot vector in ‖·‖), so Q̄ and Q̄ss are evaluated on a state that exists rather than on a
                // blend of states that a ReLU network extrapolates to, and by row lookups. f's own loss below is unchanged.
                qssNext = QssOfObs(_qssTarget, next, fNext.argmax(2, keepdim: true));           // Q̄ss(o', [f(o', a'*)])
                qIdeal = OnObs(QTarget, ideal.argmax(2, keepdim: true));                         // Q̄([f(o, a_i)], ·)
            }
            else
            {
                qssNext = QssOfIdeal(_qssTarget, next, fNext);                                   // Q̄ss(o', f(o', a'*))
                qIdeal = QTarget.Forward(ideal);                                                 // Q̄(f(o, a_i), ·)
            }
            yss = rew.Plus(S(Task.Gamma) * done.OneMinus() * qssNext);                           // y_ss = r + γ Q̄ss(o', f(o', a'*))
            yq = rew.Plus(S(Task.Gamma) * done.OneMinus() * qIdeal.max(2, keepdim: true).values); // y_q = r + γ max Q̄(f(o,a_i), ·)
        }
        var qssLoss = (QssOfObs(_qss, obs, next) - yss).pow(S(2)).mean([1, 2]);                    // E[(Qss(o, o') − y_ss)²]
        var qLoss = (OnObs(Q, obs).gather(2, act) - yq).pow(S(2)).mean([1, 2]);                     // E[(Q(o, a_i) − y_q)²]

        var qssOfF = QssOfIdeal(_qss, obs, f, constantParams: true);                           // Qss(o, f(o, a_i)); only f moves
        var lambda = S(Options.I2q.Lambda) / qssOfF.detach().abs().mean([1, 2], keepdim: true).Plus(1e-6); // λ̂ = λ / mean|Qss|
        var distance = SquaredDistance(f, next);                                               // ||f(o, a_i) − o'||²
        var fLoss = (-(lambda * qssOfF)).Plus(distance).mean([1, 2]);                           // −λ̂ Qss(o,f) + ||f − o'||²

        QOptimizer.ZeroGrad();
        _modelOptimizer.ZeroGrad();
        qLoss.sum().Plus(qssLoss.sum()).Plus(fLoss.sum()).backward();
        QOptimizer.Step();
        _modelOptimizer.Step();
        Updates++;
        SyncTargets();
        MetricValues["q_loss"] = qLoss.mean().item<float>();
        MetricValues["qss_loss"] = qssLoss.mean().item<float>();
        MetricValues["f_error"] = distance.mean().item<float>();
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
        _qss.Dispose(); _qssTarget.Dispose(); _f.Dispose(); _modelOptimizer.Dispose(); _obsOffset?.Dispose();
    }
}
