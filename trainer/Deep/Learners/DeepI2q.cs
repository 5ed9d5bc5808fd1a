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
/// One-hot (discrete) observation spaces, declared by the env: there the support of the agent's own transitions is known
/// exactly, the set N(o, a_i) of next observations it has seen after (o, a_i) (<see cref="SeenSuccessors"/>), so the
/// constraint that −||f − o'||² softens becomes hard, and f is the paper's ideal transition itself,
///   f(o, a_i) = argmax_{o' ∈ N(o, a_i)} Q^ss(o, o')
/// (the λ → ∞ end of the objective above, restricted to seen observations; the tabular I2Q's f, trainer/Tabular/I2q.cs).
/// It is evaluated on the online Q^ss, by row lookups, and the targets read Q̄ and Q̄^ss at that real observation. Where
/// (o', a'*) was never tried, y_ss bootstraps from max_a Q̄(o', a), the value Q^ss(o', f(o', a'*)) stands for. A candidate
/// ends the episode if the agent has seen a transition into it terminate. No f network is trained on such spaces.
/// Before this, f was a network with a dense 7381-wide output on lstage L=4 (targets read one_hot(argmax f)); it did not
/// learn the map from (o, a_i) to next states within the budget and the greedy policy scored below uniform.
/// </para>
/// </summary>
public sealed class DeepI2q : QLearnerBase
{
    readonly BatchedMlp _qss, _qssTarget;
    readonly BatchedMlp? _f;               // dense observation spaces only
    readonly SeenSuccessors? _seen;        // one-hot observation spaces only
    readonly BatchedAdam _modelOptimizer;

    public DeepI2q(DeepTask task, DeepOptions options) : base(task, options)
    {
        int h = options.Common.Hidden, d = task.ObsDim;
        _qss = new BatchedMlp(task.Agents, [2 * d, h, h, 1], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 1));
        _qssTarget = new BatchedMlp(task.Agents, [2 * d, h, h, 1], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 1));
        _qssTarget.CopyFrom(_qss);
        if (task.OneHotObs) _seen = new SeenSuccessors(task.Agents, d, task.Discrete);
        else _f = new BatchedMlp(task.Agents, [d + task.Discrete, h, h, d], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 2));
        _modelOptimizer = new BatchedAdam(_f is null ? _qss.Parameters() : _qss.Parameters().Concat(_f.Parameters()), options.Common.LearningRate);
    }

    public override void Observe(StepBatch batch)
    {
        Replay.Add(batch);
        if (_seen is not null) Remember(batch);
        if (batch.Step < Options.Q.LearningStarts) return;
        AnnealLearningRate(batch.Step);
        for (int k = 0; k < Options.Q.UpdatesPerStep; k++)
            if (_seen is not null) UpdateOneHot(); else UpdateDense();
    }

    protected override void AnnealLearningRate(long step)
    {
        base.AnnealLearningRate(step);
        _modelOptimizer.LearningRate = QOptimizer.LearningRate;
    }

    /// <summary>Adds each agent's own transitions of this step to its N(o, a_i).</summary>
    void Remember(StepBatch b)
    {
        int d = Task.ObsDim;
        for (int i = 0; i < Task.Agents; i++)
            for (int e = 0; e < b.Envs; e++)
            {
                int row = i * b.Envs + e;
                _seen!.Add(i, OneHotRows.IndexOf(b.Obs.AsSpan(row * d, d)), b.Actions[row], OneHotRows.IndexOf(b.NextObs.AsSpan(row * d, d)), b.Terminated[e]);
            }
    }

    /// <summary>Qss(o, o') on two observations (one-hot: rows o and d + o').</summary>
    Tensor QssOfObs(BatchedMlp net, Tensor o, Tensor next) => Task.OneHotObs
        ? net.ForwardRows(cat([o, next.PlusIndex(ObsOffset)], 2))
        : net.Forward(cat([o, next], 2));

    Tensor? _obsOffset;
    /// <summary>d as an int64 tensor: shifts an index into the second one-hot block of a concatenated input.</summary>
    Tensor ObsOffset => _obsOffset ??= tensor(new long[] { Task.ObsDim }).DetachFromDisposeScope();

    /// <summary>
    /// The candidates N(o, a) of each sampled row as [N, B, K] indices (K the largest set in the batch; shorter sets repeat
    /// their first entry, which changes no argmax), whether each set is non-empty [N, B, 1] (empty sets hold o itself), and
    /// whether each candidate is terminal [N, B, K].
    /// </summary>
    (Tensor Candidates, Tensor Known, Tensor Terminal) Candidates(long[] obs, long[] action, int batch)
    {
        int n = Task.Agents, k = 1;
        for (int r = 0; r < n * batch; r++) k = Math.Max(k, _seen!.Of(r / batch, (int)obs[r], (int)action[r]).Length);
        var cand = new long[n * batch * k];
        var terminal = new float[n * batch * k];
        var known = new float[n * batch];
        for (int r = 0; r < n * batch; r++)
        {
            int agent = r / batch;
            var set = _seen!.Of(agent, (int)obs[r], (int)action[r]);
            known[r] = set.Length > 0 ? 1 : 0;
            for (int j = 0; j < k; j++)
            {
                int s = set.Length > 0 ? set[j < set.Length ? j : 0] : (int)obs[r];
                cand[r * k + j] = s;
                terminal[r * k + j] = _seen.Terminal(agent, s) ? 1 : 0;
            }
        }
        return (tensor(cand, [n, batch, k]), tensor(known, [n, batch, 1]), tensor(terminal, [n, batch, k]));
    }

    /// <summary>f(o, a) = argmax_{o' ∈ N(o, a)} Q^ss(o, o') on the online Q^ss: the chosen index [N, B, 1] and its position in the candidates.</summary>
    (Tensor Ideal, Tensor Position) IdealAmong(Tensor o, Tensor candidates)
    {
        long n = candidates.shape[0], b = candidates.shape[1], k = candidates.shape[2];
        var rows = cat([o.expand(n, b, k).reshape(n, b * k, 1), candidates.reshape(n, b * k, 1).PlusIndex(ObsOffset)], 2);
        var position = _qss.ForwardRows(rows).reshape(n, b, k).argmax(2, keepdim: true);   // argmax_{o' ∈ N(o, a)} Q^ss(o, o')
        return (candidates.gather(2, position), position);
    }

    void UpdateOneHot()
    {
        using var scope = NewDisposeScope();
        var rng = Task.RngFor(0, SamplePurpose, Updates);
        int batch = Options.Q.BatchSize;
        var (obs, act, rew, next, done) = Replay.Sample(batch, ref rng);
        Tensor yss, yq, moved;
        using (no_grad())
        {
            var aStar = OnObs(Q, next).argmax(2, keepdim: true);                                // a'* = argmax_a Q(o', a)
            var (candNow, _, termNow) = Candidates(obs.data<long>().ToArray(), act.data<long>().ToArray(), batch);
            var (candNext, knownNext, _) = Candidates(next.data<long>().ToArray(), aStar.data<long>().ToArray(), batch);
            var (ideal, position) = IdealAmong(obs, candNow);                                    // f(o, a_i)
            var (idealNext, _) = IdealAmong(next, candNext);                                     // f(o', a'*)
            // Q̄ss(o', f(o', a'*)); where a'* was never tried in o', max_a Q̄(o', a) (what it estimates) instead.
            var qssNext = (knownNext * QssOfObs(_qssTarget, next, idealNext)).Plus(knownNext.OneMinus() * OnObs(QTarget, next).max(2, keepdim: true).values);
            yss = rew.Plus(S(Task.Gamma) * done.OneMinus() * qssNext);                           // y_ss = r + γ Q̄ss(o', f(o', a'*))
            var idealEnds = termNow.gather(2, position);                                         // f(o, a_i) is terminal
            yq = rew.Plus(S(Task.Gamma) * idealEnds.OneMinus() * OnObs(QTarget, ideal).max(2, keepdim: true).values); // y_q = r + γ max Q̄(f(o,a_i), ·)
            moved = ideal.ne(next).to_type(ScalarType.Float32).mean();                           // share of samples where f ≠ the o' seen
        }
        var qssLoss = (QssOfObs(_qss, obs, next) - yss).pow(S(2)).mean([1, 2]);                    // E[(Qss(o, o') − y_ss)²]
        var qLoss = (OnObs(Q, obs).gather(2, act) - yq).pow(S(2)).mean([1, 2]);                     // E[(Q(o, a_i) − y_q)²]
        Optimize(qLoss.sum().Plus(qssLoss.sum()));
        MetricValues["q_loss"] = qLoss.mean().item<float>();
        MetricValues["qss_loss"] = qssLoss.mean().item<float>();
        MetricValues["ideal_moved"] = moved.item<float>();
    }

    /// <summary>f(o, a): the ideal next observation after own action a, from (o, one_hot(a)) (dense observations).</summary>
    Tensor Ideal(Tensor obs, Tensor action, bool constantParams = false) =>
        _f!.Forward(cat([obs, nn.functional.one_hot(action.squeeze(-1), Task.Discrete).to_type(ScalarType.Float32)], 2), constantParams);

    void UpdateDense()
    {
        using var scope = NewDisposeScope();
        var rng = Task.RngFor(0, SamplePurpose, Updates);
        var (obs, act, rew, next, done) = Replay.Sample(Options.Q.BatchSize, ref rng);
        var f = Ideal(obs, act);                                                                 // f(o, a_i), read by the Q target and by f's loss
        Tensor yss, yq;
        using (no_grad())
        {
            var aStar = Q.Forward(next).argmax(2, keepdim: true);                               // a'* = argmax_a Q(o', a)
            var fNext = Ideal(next, aStar);                                                      // f(o', a'*)
            var qssNext = _qssTarget.Forward(cat([next, fNext], 2));                            // Q̄ss(o', f(o', a'*))
            var qIdeal = QTarget.Forward(f.detach());                                            // Q̄(f(o, a_i), ·)
            yss = rew.Plus(S(Task.Gamma) * done.OneMinus() * qssNext);                           // y_ss = r + γ Q̄ss(o', f(o', a'*))
            yq = rew.Plus(S(Task.Gamma) * done.OneMinus() * qIdeal.max(2, keepdim: true).values); // y_q = r + γ max Q̄(f(o,a_i), ·)
        }
        var qssLoss = (QssOfObs(_qss, obs, next) - yss).pow(S(2)).mean([1, 2]);                    // E[(Qss(o, o') − y_ss)²]
        var qLoss = (Q.Forward(obs).gather(2, act) - yq).pow(S(2)).mean([1, 2]);                    // E[(Q(o, a_i) − y_q)²]

        var qssOfF = _qss.Forward(cat([obs, f], 2), constantParams: true);                     // Qss(o, f(o, a_i)); only f moves
        var lambda = S(Options.I2q.Lambda) / qssOfF.detach().abs().mean([1, 2], keepdim: true).Plus(1e-6); // λ̂ = λ / mean|Qss|
        var distance = (f - next).pow(S(2)).sum(2, keepdim: true);                             // ||f(o, a_i) − o'||²
        var fLoss = (-(lambda * qssOfF)).Plus(distance).mean([1, 2]);                           // −λ̂ Qss(o,f) + ||f − o'||²

        Optimize(qLoss.sum().Plus(qssLoss.sum()).Plus(fLoss.sum()));
        MetricValues["q_loss"] = qLoss.mean().item<float>();
        MetricValues["qss_loss"] = qssLoss.mean().item<float>();
        MetricValues["f_error"] = distance.mean().item<float>();
    }

    /// <summary>One Adam step of Q and of the model (Q^ss, and f on dense spaces) on the summed loss, then the target sync.</summary>
    void Optimize(Tensor loss)
    {
        QOptimizer.ZeroGrad();
        _modelOptimizer.ZeroGrad();
        loss.backward();
        QOptimizer.Step();
        _modelOptimizer.Step();
        Updates++;
        SyncTargets();
    }

    protected override void SyncAllTargets()
    {
        base.SyncAllTargets();
        _qssTarget.CopyFrom(_qss);
    }

    public override void Save(Checkpoint c)
    {
        base.Save(c);
        c.PutAll("qss", _qss.Parameters()); c.PutAll("qss_target", _qssTarget.Parameters());
        if (_f is not null) c.PutAll("f", _f.Parameters());
        _seen?.Save(c, "seen");
        c.PutAll("model_adam", _modelOptimizer.State); c.Put("model_adam.steps", _modelOptimizer.Steps);
    }

    public override void Load(Checkpoint c)
    {
        base.Load(c);
        c.RestoreAll("qss", _qss.Parameters()); c.RestoreAll("qss_target", _qssTarget.Parameters());
        if (_f is not null) c.RestoreAll("f", _f.Parameters());
        _seen?.Load(c, "seen");
        c.RestoreAll("model_adam", _modelOptimizer.State); _modelOptimizer.Steps = c.Long("model_adam.steps");
    }

    public override void Dispose()
    {
        base.Dispose();
        _qss.Dispose(); _qssTarget.Dispose(); _f?.Dispose(); _modelOptimizer.Dispose(); _obsOffset?.Dispose();
    }
}
