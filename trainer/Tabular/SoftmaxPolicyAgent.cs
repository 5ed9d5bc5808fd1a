namespace MarlEdge.Trainer.Tabular;

/// <summary>Settings shared by the tabular policy-gradient learners (IPPO and DPO).</summary>
public sealed record PolicyGradientOptions(
    int BatchSteps = 2000, int Epochs = 8, double PolicyLearningRate = 0.05, double CriticMix = 0.5,
    double GaeLambda = 0.95, bool NormalizeAdvantages = true);

/// <summary>
/// A tabular softmax policy π_θ(a_i | s) ∝ exp θ[s, a_i] with a tabular critic V(s), both the agent's own. Every
/// BatchSteps steps (the same wall-clock boundaries for all agents) the agent estimates advantages from its own batch
/// with GAE and takes Epochs Adam steps on the surrogate that the subclass defines.
/// </summary>
public abstract class SoftmaxPolicyAgent : TabularAgent
{
    protected readonly PolicyGradientOptions Options;
    protected readonly double[] Logits;
    readonly double[] _value;
    readonly double[] _probs;                // π_θ(·|s), refreshed by RefreshPolicy
    readonly double[] _oldProbs;             // π_old(·|s) at the start of the update
    readonly double[] _gradient;
    readonly double[] _adamM, _adamV;
    long _adamStep;

    // This batch, the agent's own experience only.
    readonly int[] _s, _a, _s2;
    readonly double[] _r, _advantage, _return;
    readonly bool[] _terminated, _done;
    int _count;
    readonly double[] _criticSum;
    readonly int[] _criticCount;

    protected SoftmaxPolicyAgent(AgentTask task, PolicyGradientOptions options) : base(task)
    {
        Options = options;
        int sa = task.NumStates * task.NumActions;
        Logits = new double[sa];
        _value = new double[task.NumStates];
        _probs = new double[sa];
        _oldProbs = new double[sa];
        _gradient = new double[sa];
        _adamM = new double[sa];
        _adamV = new double[sa];
        int b = options.BatchSteps;
        _s = new int[b]; _a = new int[b]; _s2 = new int[b];
        _r = new double[b]; _advantage = new double[b]; _return = new double[b];
        _terminated = new bool[b]; _done = new bool[b];
        _criticSum = new double[task.NumStates];
        _criticCount = new int[task.NumStates];
        RefreshPolicy();
    }

    protected int NumActions => Task.NumActions;
    protected ReadOnlySpan<double> Pi(int s) => _probs.AsSpan(s * NumActions, NumActions);
    protected ReadOnlySpan<double> PiOld(int s) => _oldProbs.AsSpan(s * NumActions, NumActions);

    public override int Act(int state, long step) => Rng.Categorical(Pi(state));

    public override void WritePolicy(int state, Span<double> probs) => Pi(state).CopyTo(probs);

    public override void WriteState(BinaryWriter w)
    {
        base.WriteState(w);
        foreach (var a in new[] { Logits, _value, _probs, _oldProbs, _gradient, _adamM, _adamV, _r, _advantage, _return, _criticSum }) AgentStateIo.Write(w, a);
        foreach (var a in new[] { _s, _a, _s2, _criticCount }) AgentStateIo.Write(w, a);
        AgentStateIo.Write(w, _terminated); AgentStateIo.Write(w, _done);
        w.Write(_adamStep); w.Write(_count);
    }

    public override void ReadState(BinaryReader r)
    {
        base.ReadState(r);
        foreach (var a in new[] { Logits, _value, _probs, _oldProbs, _gradient, _adamM, _adamV, _r, _advantage, _return, _criticSum }) AgentStateIo.ReadInto(r, a);
        foreach (var a in new[] { _s, _a, _s2, _criticCount }) AgentStateIo.ReadInto(r, a);
        AgentStateIo.ReadInto(r, _terminated); AgentStateIo.ReadInto(r, _done);
        _adamStep = r.ReadInt64(); _count = r.ReadInt32();
    }

    public override void Observe(in Experience e)
    {
        _s[_count] = e.State; _a[_count] = e.Action; _r[_count] = e.Reward; _s2[_count] = e.NextState;
        _terminated[_count] = e.Terminated; _done[_count] = e.EpisodeEnd;
        if (++_count == Options.BatchSteps)
        {
            Update();
            _count = 0;
        }
    }

    void Update()
    {
        EstimateAdvantages();
        FitCritic();
        Array.Copy(_probs, _oldProbs, _probs.Length);
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            Array.Clear(_gradient);
            AccumulateGradient(_s.AsSpan(0, _count), _a.AsSpan(0, _count), _advantage.AsSpan(0, _count), _gradient);
            AdamAscent();
            RefreshPolicy();
        }
        AfterUpdate(_s.AsSpan(0, _count));
    }

    /// <summary>
    /// GAE (Schulman et al. 2016): δ_t = r_t + γ V(s_{t+1}) − V(s_t), A_t = δ_t + γλ A_{t+1} within an episode.
    /// A truncated episode and the batch's last step bootstrap from V(s_{t+1}).
    /// </summary>
    void EstimateAdvantages()
    {
        double gamma = Task.Gamma, lambda = Options.GaeLambda, next = 0;
        for (int t = _count - 1; t >= 0; t--)
        {
            double bootstrap = _terminated[t] ? 0 : _value[_s2[t]];
            double delta = _r[t] + gamma * bootstrap - _value[_s[t]];
            next = delta + (_done[t] ? 0 : gamma * lambda * next);
            _advantage[t] = next;
            _return[t] = next + _value[_s[t]];
        }
        if (!Options.NormalizeAdvantages) return;
        double mean = 0, sq = 0;
        for (int t = 0; t < _count; t++) mean += _advantage[t];
        mean /= _count;
        for (int t = 0; t < _count; t++) sq += (_advantage[t] - mean) * (_advantage[t] - mean);
        double std = Math.Sqrt(sq / _count) + 1e-8;
        for (int t = 0; t < _count; t++) _advantage[t] = (_advantage[t] - mean) / std;
    }

    /// <summary>V(s) ← (1 − c) V(s) + c · mean of the λ-returns from s in this batch.</summary>
    void FitCritic()
    {
        Array.Clear(_criticSum);
        Array.Clear(_criticCount);
        for (int t = 0; t < _count; t++) { _criticSum[_s[t]] += _return[t]; _criticCount[_s[t]]++; }
        for (int s = 0; s < _value.Length; s++)
            if (_criticCount[s] > 0) _value[s] += Options.CriticMix * (_criticSum[s] / _criticCount[s] - _value[s]);
    }

    /// <summary>Adds ∂(objective)/∂θ, averaged over the batch, into gradient.</summary>
    protected abstract void AccumulateGradient(ReadOnlySpan<int> states, ReadOnlySpan<int> actions, ReadOnlySpan<double> advantages, double[] gradient);

    /// <summary>Hook after the epochs of one batch (DPO adapts its penalties here).</summary>
    protected virtual void AfterUpdate(ReadOnlySpan<int> states) { }

    /// <summary>Adds x · ∂ρ/∂θ[s, ·] for ρ = π_θ(a|s) / π_old(a|s): ∂ρ/∂θ[s,b] = ρ (1[b = a] − π_θ(b|s)).</summary>
    protected void AddRatioGradient(int s, int a, double rho, double x, double[] gradient)
    {
        var pi = Pi(s);
        int row = s * NumActions;
        for (int b = 0; b < NumActions; b++) gradient[row + b] += x * rho * ((b == a ? 1 : 0) - pi[b]);
    }

    /// <summary>KL(π_old(·|s) || π_θ(·|s)).</summary>
    protected double Kl(int s)
    {
        var pi = Pi(s);
        var old = PiOld(s);
        double kl = 0;
        for (int b = 0; b < NumActions; b++) if (old[b] > 0) kl += old[b] * Math.Log(old[b] / Math.Max(pi[b], 1e-300));
        return kl;
    }

    /// <summary>Adds x · ∂KL(π_old || π_θ)(s)/∂θ[s, ·] = x (π_θ(b|s) − π_old(b|s)).</summary>
    protected void AddKlGradient(int s, double x, double[] gradient)
    {
        var pi = Pi(s);
        var old = PiOld(s);
        int row = s * NumActions;
        for (int b = 0; b < NumActions; b++) gradient[row + b] += x * (pi[b] - old[b]);
    }

    void AdamAscent()
    {
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        _adamStep++;
        double c1 = 1 - Math.Pow(beta1, _adamStep), c2 = 1 - Math.Pow(beta2, _adamStep);
        for (int k = 0; k < Logits.Length; k++)
        {
            double g = _gradient[k];
            if (g == 0) continue;
            _adamM[k] = beta1 * _adamM[k] + (1 - beta1) * g;
            _adamV[k] = beta2 * _adamV[k] + (1 - beta2) * g * g;
            Logits[k] += Options.PolicyLearningRate * (_adamM[k] / c1) / (Math.Sqrt(_adamV[k] / c2) + eps);
        }
    }

    void RefreshPolicy()
    {
        for (int s = 0; s < Task.NumStates; s++)
        {
            int row = s * NumActions;
            double max = double.NegativeInfinity, sum = 0;
            for (int b = 0; b < NumActions; b++) max = Math.Max(max, Logits[row + b]);
            for (int b = 0; b < NumActions; b++) sum += _probs[row + b] = Math.Exp(Logits[row + b] - max);
            for (int b = 0; b < NumActions; b++) _probs[row + b] /= sum;
        }
    }
}
