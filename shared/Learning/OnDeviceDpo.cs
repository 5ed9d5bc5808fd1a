using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Shared.Learning;

/// <summary>The settings of <see cref="OnDeviceDpo"/>; defaults follow the trainer's DeepDpo (DpoDeepOptions, PpoOptions).</summary>
public sealed record DpoSettings
{
    public float Gamma { get; init; } = 0.95f;
    /// <summary>λ of GAE (0: TD(0) advantages δ_t).</summary>
    public float GaeLambda { get; init; } = 0.95f;
    public int Epochs { get; init; } = 4;
    public int Minibatch { get; init; } = 32;
    /// <summary>Initial weight of sqrt(D̄_KL).</summary>
    public float Beta1 { get; init; } = 0.1f;
    /// <summary>Initial weight of D̄_KL.</summary>
    public float Beta2 { get; init; } = 0.1f;
    /// <summary>d_target.</summary>
    public float TargetKl { get; init; } = 0.01f;
    /// <summary>δ.</summary>
    public float Tolerance { get; init; } = 1.5f;
    /// <summary>ω.</summary>
    public float BetaFactor { get; init; } = 2f;
    /// <summary>N of the (1/N)·L term: the number of agents that learn at once.</summary>
    public int Agents { get; init; } = 1;
    public float ActorLr { get; init; } = 3e-4f;
    public float CriticLr { get; init; } = 1e-3f;
    public int CriticHidden { get; init; } = 64;
    /// <summary>Iterations that fit only the (fresh) critic before the actor moves: its first advantages are noise.</summary>
    public int CriticWarmupIterations { get; init; } = 2;
    public float MaxGradNorm { get; init; } = 0.5f;
}

/// <summary>
/// Decentralized Policy Optimization (Su and Lu 2023) on a device, for a <see cref="CategoricalActor"/> bundle, from the device's own
/// experience only. Per rollout (collected by the serving policy μ, whose logits each transition carries):
///   δ_t = r_t + γ V(o_{t+1}) − V(o_t);   Â_t = δ_t + γλ Â_{t+1} (cut where a transition does not follow the previous one);
///   R_t = Â_t + V(o_t)
/// then <see cref="DpoSettings.Epochs"/> passes of minibatch Adam steps maximizing the DPO lower bound
///   J = (1/N)·E_t[ρ_t Â_t] − β1·sqrt(D̄_KL) − β2·D̄_KL,   ρ_t = π_θ(a_t|o_t)/μ(a_t|o_t),   D̄_KL = E_t[KL(μ(·|o_t) ‖ π_θ(·|o_t))]
/// (Â normalized per minibatch, as the trainer does), and 0.5·(V(o_t) − R_t)² for the agent's own critic V, a managed MLP started
/// fresh on the device (the bundle carries only the actor) or resumed from the one saved with a learned version. After each iteration the betas adapt: ×ω when D̄_KL &gt; δ·d_target,
/// ÷ω when D̄_KL &lt; d_target/δ. The KL is to the policy that acted, so a learned candidate stays KL-close to the one serving.
/// Every buffer is preallocated: an iteration allocates nothing.
/// </summary>
public sealed class OnDeviceDpo
{
    public CategoricalActor Actor { get; }
    public Mlp Critic { get; }
    public MlpTrainer ActorTrainer { get; }
    public MlpTrainer CriticTrainer { get; }
    public DpoSettings Settings { get; }
    public float Beta1 { get; private set; }
    public float Beta2 { get; private set; }
    /// <summary>Minibatch steps of the actor (the policy's weights) taken; critic-only warm-up steps are not counted.</summary>
    public long Updates { get; private set; }
    public long CriticUpdates { get; private set; }
    public long Iterations { get; private set; }
    /// <summary>The critic was loaded from the one saved with the active actor (<see cref="ResumeCritic"/>): no warm-up needed.</summary>
    public bool CriticResumed { get; private set; }
    public float LastKl { get; private set; }
    public float LastPolicyLoss { get; private set; } = float.NaN;
    public float LastValueLoss { get; private set; } = float.NaN;
    const float KlEps = 1e-6f;     // sqrt(D̄ + ε): the trainer's ε, keeps the gradient finite at D̄ = 0
    readonly int _cap, _d, _actions, _mb;
    readonly float[] _x, _xNext, _v, _vNext, _adv, _ret, _logMu, _logPi, _mbX, _mbAdv, _rho, _chunk;
    readonly int[] _order, _mbIdx;
    Rng _rng;
    int _choices;   // samples of the last minibatch with at least two allowed actions (the others carry no policy gradient)

    public OnDeviceDpo(CategoricalActor actor, int rolloutCapacity, DpoSettings settings, int seed = 1)
    {
        Actor = actor;
        Settings = settings;
        _cap = rolloutCapacity;
        _d = actor.ObservationDim;
        _actions = actor.ActionSize;
        _mb = Math.Min(settings.Minibatch, rolloutCapacity);
        Critic = Mlp.Create([_d, settings.CriticHidden, settings.CriticHidden, 1], Activation.Tanh, new Random(seed));
        ActorTrainer = new MlpTrainer(actor.Mlp, _mb, settings.ActorLr) { MaxGradNorm = settings.MaxGradNorm };
        CriticTrainer = new MlpTrainer(Critic, _mb, settings.CriticLr) { MaxGradNorm = settings.MaxGradNorm };
        Beta1 = settings.Beta1;
        Beta2 = settings.Beta2;
        _x = new float[_cap * _d];
        _xNext = new float[_cap * _d];
        _v = new float[_cap];
        _vNext = new float[_cap];
        _adv = new float[_cap];
        _ret = new float[_cap];
        _logMu = new float[_cap * _actions];
        _logPi = new float[_mb * _actions];
        _mbX = new float[_mb * _d];
        _mbAdv = new float[_mb];
        _rho = new float[_mb];
        _chunk = new float[_mb * Math.Max(_actions, 1)];
        _order = new int[_cap];
        _mbIdx = new int[_mb];
        _rng = new Rng((ulong)seed, 0xD90);
    }

    /// <summary>One DPO iteration on a rollout (then the caller clears it). Returns false if it holds fewer than two transitions.</summary>
    public bool Update(PolicyRollout rollout)
    {
        int n = rollout.Count;
        if (n < 2) return false;
        Prepare(rollout);
        bool actorLearns = CriticResumed || Iterations >= Settings.CriticWarmupIterations;
        for (int i = 0; i < n; i++) _order[i] = i;
        for (int epoch = 0; epoch < Settings.Epochs; epoch++)
        {
            for (int k = n - 1; k > 0; k--) { int j = _rng.NextInt(k + 1); (_order[k], _order[j]) = (_order[j], _order[k]); }
            for (int start = 0; start + 1 < n; start += _mb)
            {
                int b = Math.Min(_mb, n - start);
                if (b < 2) break;
                var idx = _order.AsSpan(start, b);
                if (actorLearns)
                {
                    float loss = PolicyLoss(rollout, idx);
                    if (_choices > 0)
                    {
                        // Only a minibatch with a real choice moves the actor (a zero gradient would still move Adam's momentum).
                        LastPolicyLoss = loss;
                        ActorTrainer.AdamStep();
                        Updates++;
                    }
                }
                LastValueLoss = ValueStep(idx);
                CriticUpdates++;
            }
        }
        // D̄_KL(μ ‖ π_new) over the whole rollout, then the betas: ×ω above δ·d_target, ÷ω below d_target/δ.
        LastKl = MeanKl(rollout);
        var s = Settings;
        float factor = LastKl > s.TargetKl * s.Tolerance ? s.BetaFactor : LastKl < s.TargetKl / s.Tolerance ? 1 / s.BetaFactor : 1;
        Beta1 = Math.Clamp(Beta1 * factor, 1e-4f, 1e4f);
        Beta2 = Math.Clamp(Beta2 * factor, 1e-4f, 1e4f);
        Iterations++;
        return true;
    }

    /// <summary>
    /// Copies a saved critic's weights into <see cref="Critic"/> (same sizes and activation, or ArgumentException) and skips the
    /// warm-up: the critic already fits the actor it was saved with. Adam's moments start fresh. Not on a hot path.
    /// </summary>
    public void ResumeCritic(Mlp saved)
    {
        if (!saved.Layers.Select(l => (l.InputDim, l.OutputDim)).SequenceEqual(Critic.Layers.Select(l => (l.InputDim, l.OutputDim))) || saved.Activation != Critic.Activation)
            throw new ArgumentException($"the saved critic is [{string.Join(",", CriticSizes(saved))}] {saved.Activation.Name()}, this one [{string.Join(",", CriticSizes(Critic))}] {Critic.Activation.Name()}");
        for (int l = 0; l < Critic.Layers.Count; l++)
        {
            saved.Layers[l].Weight.CopyTo(Critic.Layers[l].Weight, 0);
            saved.Layers[l].Bias.CopyTo(Critic.Layers[l].Bias, 0);
        }
        CriticResumed = true;
    }

    static IEnumerable<int> CriticSizes(Mlp m) => m.Layers.Select(l => l.InputDim).Append(m.OutputDim);

    /// <summary>Normalized observations, V(o_t), V(o_{t+1}), log μ, and the GAE advantages and returns of a rollout.</summary>
    public void Prepare(PolicyRollout r)
    {
        int n = r.Count, d = _d, A = _actions;
        var norm = Actor.Normalizer;
        for (int t = 0; t < n; t++)
        {
            var o = r.Obs.AsSpan(t * d, d);
            var on = r.NextObs.AsSpan(t * d, d);
            if (norm is null) { o.CopyTo(_x.AsSpan(t * d, d)); on.CopyTo(_xNext.AsSpan(t * d, d)); }
            else { norm.Apply(o, _x.AsSpan(t * d, d)); norm.Apply(on, _xNext.AsSpan(t * d, d)); }
            MaskedSoftmax.LogProbs(r.BehaviourLogits.AsSpan(t * A, A), r.Mask.AsSpan(t * A, A), _logMu.AsSpan(t * A, A));
        }
        for (int t = 0; t < n; t += _mb)
        {
            int b = Math.Min(_mb, n - t);
            CriticTrainer.Predict(Critic, _x.AsSpan(t * d, b * d), b, _v.AsSpan(t, b));
            CriticTrainer.Predict(Critic, _xNext.AsSpan(t * d, b * d), b, _vNext.AsSpan(t, b));
        }
        float gamma = Settings.Gamma, lambda = Settings.GaeLambda;
        for (int t = n - 1; t >= 0; t--)
        {
            float delta = r.Reward[t] + gamma * _vNext[t] - _v[t];                               // δ_t = r_t + γ V(o_{t+1}) − V(o_t)
            bool chained = t + 1 < n && r.FollowsPrevious[t + 1];
            _adv[t] = delta + (chained ? gamma * lambda * _adv[t + 1] : 0);                      // Â_t = δ_t + γλ Â_{t+1}
            _ret[t] = _adv[t] + _v[t];                                                            // R_t = Â_t + V(o_t)
        }
    }

    /// <summary>
    /// The loss −J of the DPO bound on the minibatch of rollout indices idx (after <see cref="Prepare"/>), with its gradient
    /// backpropagated into the actor trainer (no step taken).
    /// </summary>
    public float PolicyLoss(PolicyRollout r, ReadOnlySpan<int> idx)
    {
        int B = idx.Length, d = _d, A = _actions;
        for (int b = 0; b < B; b++)
        {
            _x.AsSpan(idx[b] * d, d).CopyTo(_mbX.AsSpan(b * d, d));
            _mbAdv[b] = _adv[idx[b]];
        }
        // Â normalized over the minibatch (unbiased std, as torch's).
        float mean = 0;
        for (int b = 0; b < B; b++) mean += _mbAdv[b];
        mean /= B;
        float var = 0;
        for (int b = 0; b < B; b++) var += (_mbAdv[b] - mean) * (_mbAdv[b] - mean);
        float std = MathF.Sqrt(var / (B - 1));
        for (int b = 0; b < B; b++) _mbAdv[b] = (_mbAdv[b] - mean) / (std + 1e-8f);

        var logits = ActorTrainer.Forward(_mbX, B);
        float surrogate = 0, klSum = 0;
        _choices = 0;
        for (int b = 0; b < B; b++)
        {
            int t = idx[b], a = r.Action[t];
            var mask = r.Mask.AsSpan(t * A, A);
            int allowed = 0;
            for (int j = 0; j < A; j++) if (mask[j] > 0) allowed++;
            if (allowed >= 2) _choices++;
            var logPi = _logPi.AsSpan(b * A, A);
            var logMu = _logMu.AsSpan(t * A, A);
            MaskedSoftmax.LogProbs(logits.Slice(b * A, A), mask, logPi);
            float rho = MathF.Exp(Math.Clamp(logPi[a] - logMu[a], -20f, 20f));                 // ρ_t = π_θ(a|o)/μ(a|o)
            _rho[b] = rho;
            surrogate += rho * _mbAdv[b];
            for (int j = 0; j < A; j++)
                if (!float.IsNegativeInfinity(logMu[j])) klSum += MathF.Exp(logMu[j]) * (logMu[j] - logPi[j]);   // KL(μ ‖ π_θ)
        }
        int N = Math.Max(1, Settings.Agents);
        surrogate /= N * B;                                                                       // (1/N)·E[ρ Â]
        float rawKl = klSum / B, kl = MathF.Max(0, rawKl);                                        // D̄_KL (≥ 0; rounding can dip below)
        float sqrtKl = MathF.Sqrt(kl + KlEps);
        float bound = surrogate - Beta1 * sqrtKl - Beta2 * kl;                                    // J = (1/N)L − β1 sqrt(D̄) − β2 D̄
        // dJ/dD̄, and dJ/dz_bj = (1/(NB)) Â_b ρ_b (1[j=a_b] − π_bj) + dJ/dD̄ · (1/B)(π_bj − μ_bj); the loss is −J.
        float dJdKl = rawKl < 0 ? 0 : -Beta1 / (2 * sqrtKl) - Beta2;
        var g = ActorTrainer.OutputGradient(B);
        for (int b = 0; b < B; b++)
        {
            int t = idx[b], a = r.Action[t];
            var logPi = _logPi.AsSpan(b * A, A);
            var logMu = _logMu.AsSpan(t * A, A);
            float coef = _mbAdv[b] * _rho[b] / (N * B);
            for (int j = 0; j < A; j++)
            {
                if (float.IsNegativeInfinity(logPi[j])) { g[b * A + j] = 0; continue; }
                float pi = MathF.Exp(logPi[j]), mu = float.IsNegativeInfinity(logMu[j]) ? 0 : MathF.Exp(logMu[j]);
                float dJ = coef * ((j == a ? 1 : 0) - pi) + dJdKl * (pi - mu) / B;
                g[b * A + j] = -dJ;
            }
        }
        ActorTrainer.Backward(B);
        return -bound;
    }

    /// <summary>One Adam step of the critic on 0.5·(V(o_t) − R_t)² over the minibatch; returns that loss.</summary>
    float ValueStep(ReadOnlySpan<int> idx)
    {
        int B = idx.Length, d = _d;
        for (int b = 0; b < B; b++) _x.AsSpan(idx[b] * d, d).CopyTo(_mbX.AsSpan(b * d, d));
        var v = CriticTrainer.Forward(_mbX, B);
        var g = CriticTrainer.OutputGradient(B);
        float loss = 0;
        for (int b = 0; b < B; b++)
        {
            float diff = v[b] - _ret[idx[b]];
            loss += 0.5f * diff * diff;
            g[b] = diff / B;
        }
        CriticTrainer.Backward(B);
        CriticTrainer.AdamStep();
        return loss / B;
    }

    /// <summary>D̄_KL(μ ‖ π_θ) over the rollout with the current actor.</summary>
    float MeanKl(PolicyRollout r)
    {
        int n = r.Count, d = _d, A = _actions;
        double sum = 0;
        for (int t0 = 0; t0 < n; t0 += _mb)
        {
            int b = Math.Min(_mb, n - t0);
            ActorTrainer.Predict(Actor.Mlp, _x.AsSpan(t0 * d, b * d), b, _chunk.AsSpan(0, b * A));
            for (int k = 0; k < b; k++)
            {
                int t = t0 + k;
                var logPi = _logPi.AsSpan(0, A);
                var logMu = _logMu.AsSpan(t * A, A);
                MaskedSoftmax.LogProbs(_chunk.AsSpan(k * A, A), r.Mask.AsSpan(t * A, A), logPi);
                for (int j = 0; j < A; j++)
                    if (!float.IsNegativeInfinity(logMu[j])) sum += MathF.Exp(logMu[j]) * (logMu[j] - logPi[j]);
            }
        }
        return (float)Math.Max(0, sum / n);
    }
}
