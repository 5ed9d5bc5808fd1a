using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// What IPPO, DPO and MDPO share (CleanRL's ppo.py / ppo_continuous_action.py per agent): an actor π_i(a|o_i) and a critic
/// V_i(o_i) on the agent's own observation only, on-policy rollouts of RolloutSteps per copy, GAE, and Epochs passes of
/// minibatch updates. Subclasses supply the policy objective.
///   δ_t = r_t + γ (1 − term_t) V(o_{t+1}) − V(o_t);   Â_t = δ_t + γλ (1 − done_t) Â_{t+1};   R_t = Â_t + V(o_t)
/// </summary>
public abstract class PolicyGradientBase : IDeepLearner
{
    protected const ulong ActPurpose = 0xAC7, ShufflePurpose = 0x5F1, InitPurpose = 0x1417;
    protected readonly DeepTask Task;
    protected readonly DeepOptions Options;
    protected readonly BatchedMlp Actor, Critic;
    protected readonly IPolicyHead Head;
    protected readonly Tensor? LogStd;
    protected readonly BatchedAdam Optimizer;
    readonly ValueNormalizer? _valueNorm;                 // PpoOptions.ValueNorm: the critic learns standardized returns
    protected readonly Dictionary<string, double> MetricValues = new();
    readonly int _actionWidth;                              // logits (discrete) or mean (continuous) per sample
    // The rollout, step-major: T entries of [N, E, ...] (agent-major inside each step).
    readonly List<float[]> _obs = new(), _next = new(), _rew = new(), _cont = new();
    readonly List<int[]> _act = new();
    readonly List<bool[]> _term = new(), _done = new();
    public long Updates { get; protected set; }
    protected long Iterations;
    public IReadOnlyDictionary<string, double> Metrics => MetricValues;

    protected PolicyGradientBase(DeepTask task, DeepOptions options)
    {
        Task = task; Options = options;
        int h = options.Common.Hidden;
        _actionWidth = task.IsDiscrete ? task.Discrete : task.ActionDim;
        Actor = new BatchedMlp(task.Agents, [task.ObsDim, h, h, _actionWidth], Activation.Tanh, task.ShareParams, i => task.RngFor(i, InitPurpose), 0.01f);
        Critic = new BatchedMlp(task.Agents, [task.ObsDim, h, h, 1], Activation.Tanh, task.ShareParams, i => task.RngFor(i, InitPurpose + 1));
        var parameters = Actor.Parameters().Concat(Critic.Parameters()).ToList();
        if (task.IsDiscrete) Head = new CategoricalHead();
        else
        {
            LogStd = tensor(Enumerable.Repeat((float)options.Ppo.InitLogStd, (task.ShareParams ? 1 : task.Agents) * task.ActionDim).ToArray(),
                [task.ShareParams ? 1 : task.Agents, 1, task.ActionDim]).requires_grad_(true);
            parameters.Add(LogStd);
            Head = new GaussianHead(LogStd);
        }
        Optimizer = new BatchedAdam(parameters, options.Common.LearningRate, maxGradNorm: 0.5, eps: 1e-5);
        if (options.Ppo.ValueNorm) _valueNorm = new ValueNormalizer(task.Agents);
    }

    /// <summary>V_i(o) [N, M] in the return's units (with ValueNorm, the critic's output mapped back: σ_i v + μ_i).</summary>
    protected Tensor Value(Tensor obs)
    {
        var v = Critic.Forward(obs).squeeze(2);
        return _valueNorm is null ? v : _valueNorm.Denormalize(v);
    }

    protected Tensor LogStdFor(Tensor like) => Task.ShareParams ? LogStd!.expand(Task.Agents, 1, Task.ActionDim) : LogStd!;

    protected Tensor ActorOut(Tensor obs) => Actor.Forward(obs);

    public void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = ActorOut(tensor(obs, [Task.Agents, envs, Task.ObsDim]));
        if (Task.IsDiscrete)
        {
            var probs = output.softmax(2).contiguous().data<float>().ToArray();
            for (int i = 0; i < Task.Agents; i++)
            {
                var rng = Task.RngFor(i, ActPurpose, step);
                for (int e = 0; e < envs; e++)
                {
                    var p = probs.AsSpan((i * envs + e) * Task.Discrete, Task.Discrete);
                    int best = 0;
                    for (int a = 1; a < p.Length; a++) if (p[a] > p[best]) best = a;
                    actions[i * envs + e] = greedy ? best : SampleCategorical(p, ref rng);
                }
            }
        }
        else
        {
            var mean = output.contiguous().data<float>().ToArray();
            var std = LogStdFor(output).exp().contiguous().data<float>().ToArray();
            int d = Task.ActionDim;
            for (int i = 0; i < Task.Agents; i++)
            {
                var rng = Task.RngFor(i, ActPurpose, step);
                for (int e = 0; e < envs; e++)
                    for (int k = 0; k < d; k++)
                    {
                        int at = (i * envs + e) * d + k;
                        continuous[at] = greedy ? mean[at] : mean[at] + std[i * d + k] * (float)rng.Normal();   // u ~ N(μ, σ²)
                    }
            }
        }
    }

    static int SampleCategorical(ReadOnlySpan<float> p, ref MarlEdge.Shared.Numerics.Rng rng)
    {
        double u = rng.NextDouble(), acc = 0;
        for (int a = 0; a < p.Length; a++)
        {
            acc += p[a];
            if (u < acc) return a;
        }
        return p.Length - 1;
    }

    public void Observe(StepBatch b)
    {
        _obs.Add((float[])b.Obs.Clone()); _next.Add((float[])b.NextObs.Clone()); _rew.Add((float[])b.Rewards.Clone());
        _act.Add((int[])b.Actions.Clone()); _cont.Add((float[])b.Continuous.Clone());
        _term.Add((bool[])b.Terminated.Clone()); _done.Add(b.Terminated.Zip(b.Truncated, (x, y) => x || y).ToArray());
        if (_obs.Count < Options.Ppo.RolloutSteps) return;
        Optimizer.LearningRate = LearningRateSchedule.At(Options.Common.LearningRate, Options.Ppo.AnnealLr, b.Step, Task.TotalSteps);
        MetricValues["lr"] = Optimizer.LearningRate;   // CleanRL: lrnow = (1 − (iteration − 1) / num_iterations) · lr
        using (var scope = NewDisposeScope()) Update();
        ClearRollout();
    }

    void ClearRollout()
    {
        _obs.Clear(); _next.Clear(); _rew.Clear(); _act.Clear(); _cont.Clear(); _term.Clear(); _done.Clear();
    }

    /// <summary>The rollout's samples per agent: obs [N, M, D], actions, advantages [N, M], returns [N, M], π_old's outputs.</summary>
    protected sealed record Samples(Tensor Obs, Tensor Actions, Tensor Advantages, Tensor Returns, Tensor OldOutput, Tensor? OldLogStd);

    /// <summary>Stacks the rollout and computes GAE for every agent and copy.</summary>
    protected Samples RealSamples(out Tensor nextObs, out Tensor rewards, out Tensor terminated)
    {
        int n = Task.Agents, e = Task.Envs, d = Task.ObsDim, t = _obs.Count, m = t * e;
        // Step-major [T, N, E, ...] → agent-major [N, T·E, ...].
        Tensor Stack(List<float[]> xs, int width) => stack(xs.Select(x => tensor(x, [n, e, width])).ToArray(), 1).reshape(n, m, width);
        var obs = Stack(_obs, d);
        nextObs = Stack(_next, d);
        rewards = Stack(_rew, 1).squeeze(2);
        terminated = stack(_term.Select(x => tensor(x.Select(v => v ? 1f : 0f).ToArray(), [1, e])).ToArray(), 1).reshape(1, m);
        var doneFlags = _done.Select(x => x.Select(v => v ? 1f : 0f).ToArray()).ToArray();
        Tensor actions = Task.IsDiscrete
            ? stack(_act.Select(x => tensor(x.Select(v => (long)v).ToArray(), [n, e])).ToArray(), 1).reshape(n, m)
            : Stack(_cont, Task.ActionDim);
        using var _ = no_grad();
        var values = Value(obs).contiguous().data<float>().ToArray();          // V(o_t)
        var nextValues = Value(nextObs).contiguous().data<float>().ToArray();  // V(o_{t+1})
        var rew = rewards.contiguous().data<float>().ToArray();
        var adv = new float[n * m];
        float gamma = (float)Task.Gamma, lambda = (float)Options.Ppo.GaeLambda;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < e; c++)
            {
                float next = 0;
                for (int s = t - 1; s >= 0; s--)
                {
                    int k = i * m + s * e + c;
                    float term = _term[s][c] ? 1f : 0f, done = doneFlags[s][c];
                    float delta = rew[k] + gamma * (1 - term) * nextValues[k] - values[k];          // δ_t
                    next = delta + gamma * lambda * (1 - done) * next;                              // Â_t = δ_t + γλ(1 − done) Â_{t+1}
                    adv[k] = next;
                }
            }
        var advantages = tensor(adv, [n, m]);
        var returns = advantages.Plus(tensor(values, [n, m]));                                          // R_t = Â_t + V(o_t)
        return new Samples(obs, actions, advantages, returns, ActorOut(obs).detach(), LogStd is null ? null : LogStdFor(obs).detach().clone());
    }

    /// <summary>The rollout's samples, to which MDPO adds model samples.</summary>
    protected virtual Samples CollectSamples() => RealSamples(out _, out _, out _);

    /// <summary>The policy loss per agent [N] on a minibatch (to be minimized), from the log-ratio and normalized advantages.</summary>
    protected abstract Tensor PolicyLoss(Tensor ratio, Tensor advantages, Tensor kl);

    /// <summary>Called once per iteration after the epochs with the mean KL per agent [N] over the whole rollout.</summary>
    protected virtual void AfterIteration(Tensor meanKl) { }

    void Update()
    {
        var s = CollectSamples();
        if (Head is GaussianHead g) g.OldLogStd = s.OldLogStd;
        Tensor oldLogp;
        using (no_grad()) oldLogp = Head.LogProb(s.OldOutput, s.Actions);                  // log π_old(a|o), before any step
        _valueNorm?.Update(s.Returns);                                                          // μ_i, σ_i² over the returns seen so far
        var targets = _valueNorm is null ? s.Returns : _valueNorm.Normalize(s.Returns);          // the critic's target: R or (R − μ_i)/σ_i
        int m = (int)s.Obs.shape[1], mb = Math.Max(1, m / Math.Max(1, Options.Ppo.Minibatches));
        var rng = Task.RngFor(0, ShufflePurpose, Iterations);
        var order = Enumerable.Range(0, m).ToArray();
        for (int epoch = 0; epoch < Options.Ppo.Epochs; epoch++)
        {
            for (int k = m - 1; k > 0; k--) { int j = rng.NextInt(k + 1); (order[k], order[j]) = (order[j], order[k]); }
            for (int start = 0; start < m; start += mb)
            {
                using var scope = NewDisposeScope();
                var idx = tensor(order.AsSpan(start, Math.Min(mb, m - start)).ToArray().Select(x => (long)x).ToArray());
                var obs = s.Obs.index_select(1, idx);
                var output = ActorOut(obs);
                var acts = s.Actions.index_select(1, idx);
                var logRatio = Head.LogProb(output, acts) - oldLogp.index_select(1, idx);
                var adv = s.Advantages.index_select(1, idx);
                adv = (adv - adv.mean([1], keepdim: true)) / adv.std(1, keepdim: true).Plus(1e-8);   // per-agent normalization
                var kl = Head.Kl(s.OldOutput.index_select(1, idx), output);                          // KL(π_old ‖ π) per sample
                var policyLoss = PolicyLoss(logRatio.exp(), adv, kl);
                var valueLoss = S(0.5) * (Critic.Forward(obs).squeeze(2) - targets.index_select(1, idx)).pow(S(2)).mean([1]);
                var entropy = Head.Entropy(output).mean([1]);
                var loss = policyLoss.Plus(S(Options.Ppo.ValueCoef) * valueLoss) - S(Options.Ppo.EntropyCoef) * entropy;   // [N]
                Optimizer.ZeroGrad();
                loss.sum().backward();
                Optimizer.Step();
                Updates++;
                MetricValues["policy_loss"] = policyLoss.mean().item<float>();
                MetricValues["value_loss"] = valueLoss.mean().item<float>();
            }
        }
        using (no_grad())
        {
            var meanKl = Head.Kl(s.OldOutput, ActorOut(s.Obs)).mean([1]);
            MetricValues["kl"] = meanKl.mean().item<float>();
            AfterIteration(meanKl);
        }
        Iterations++;
    }

    public float[] Probabilities(float[] obs, int batch)
    {
        if (!Task.IsDiscrete) throw new InvalidOperationException("a Gaussian policy has no action table");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return ActorOut(tensor(obs, [Task.Agents, batch, Task.ObsDim])).softmax(2).contiguous().data<float>().ToArray();
    }

    public PolicyNetwork Network(int agent)
    {
        var mlp = Actor.ToManaged(agent);
        if (Task.IsDiscrete) return new CategoricalActor(mlp);
        using var _ = NewDisposeScope();
        return new GaussianActor(mlp, LogStd!.detach()[Task.ShareParams ? 0 : agent].reshape(-1).contiguous().data<float>().ToArray());
    }

    public virtual void Save(Checkpoint c)
    {
        c.PutAll("actor", Actor.Parameters()); c.PutAll("critic", Critic.Parameters());
        if (LogStd is not null) c.Put("log_std", LogStd);
        c.PutAll("adam", Optimizer.State); c.Put("adam.steps", Optimizer.Steps); c.Put("updates", Updates); c.Put("iterations", Iterations);
        _valueNorm?.Save(c);
        c.Put("rollout.length", _obs.Count);
        for (int s = 0; s < _obs.Count; s++)
        {
            c.Put($"rollout.{s}.obs", _obs[s]); c.Put($"rollout.{s}.next", _next[s]); c.Put($"rollout.{s}.rew", _rew[s]);
            c.Put($"rollout.{s}.act", _act[s]); c.Put($"rollout.{s}.cont", _cont[s]); c.Put($"rollout.{s}.term", _term[s]); c.Put($"rollout.{s}.done", _done[s]);
        }
    }

    public virtual void Load(Checkpoint c)
    {
        c.RestoreAll("actor", Actor.Parameters()); c.RestoreAll("critic", Critic.Parameters());
        if (LogStd is not null) c.Restore("log_std", LogStd);
        c.RestoreAll("adam", Optimizer.State); Optimizer.Steps = c.Long("adam.steps"); Updates = c.Long("updates"); Iterations = c.Long("iterations");
        _valueNorm?.Load(c);
        ClearRollout();
        for (int s = 0; s < c.Long("rollout.length"); s++)
        {
            _obs.Add(c.Floats($"rollout.{s}.obs")); _next.Add(c.Floats($"rollout.{s}.next")); _rew.Add(c.Floats($"rollout.{s}.rew"));
            _act.Add(c.Ints($"rollout.{s}.act")); _cont.Add(c.Floats($"rollout.{s}.cont")); _term.Add(c.Bools($"rollout.{s}.term")); _done.Add(c.Bools($"rollout.{s}.done"));
        }
    }

    public virtual void Dispose()
    {
        Actor.Dispose(); Critic.Dispose(); LogStd?.Dispose(); Optimizer.Dispose();
    }
}
