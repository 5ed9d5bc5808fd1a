using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Inference;
using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Learning;

/// <summary>
/// <c>learning.schedule: alternate</c>: MA2QL's turns on a fleet without messages. Wall-clock time is cut into slots of
/// <c>slot_s</c>; slot n belongs to device n mod K. Device k learns only in its own slots and acts frozen otherwise.
/// </summary>
public sealed record AlternateSchedule(double SlotSeconds, int FleetSize, int FleetIndex)
{
    public long Slot(DateTimeOffset now) => (long)Math.Floor(now.ToUnixTimeMilliseconds() / 1000.0 / SlotSeconds);
    public bool IsMyTurn(DateTimeOffset now) => FleetSize <= 1 || Slot(now) % FleetSize == FleetIndex;
}

/// <summary>
/// On-device continual learning, off the control thread. The loop hands each period's transition to <see cref="Offer"/> (a
/// preallocated single-producer ring: no lock, no allocation; a full ring drops and counts). The learner thread hands transitions
/// to the bundle's algorithm (<see cref="IOnDeviceAlgorithm"/>: double-DQN TD updates over a bounded replay for a Q-network,
/// DPO over a bounded on-policy rollout for a categorical actor) on a managed copy of the active network (started from the
/// bundle's ONNX weights), and guards promotion: the active policy's mean reward over <c>eval_periods</c> is the baseline; a candidate (a snapshot
/// of the learned weights, in ONNX Runtime) then serves a trial window of the same length. It is promoted, persisted as a new
/// version, if its mean reward is at least the baseline − margin; otherwise it is rolled back. A promoted version whose next
/// baseline falls below its predecessor's is rolled back to its parent too. Every promotion and rollback is counted.
/// </summary>
public sealed class Learner : IExperienceSink, IDisposable
{
    const int RingSize = 1024;
    readonly DeviceConfig _config;
    readonly ControlLoop _loop;
    readonly PolicyStore _store;
    readonly RuntimeMetrics _metrics;
    readonly Func<DateTimeOffset> _clock;
    readonly LearningConfig _lc;
    readonly AlternateSchedule? _schedule;
    readonly int _obsDim, _actions;
    // SPSC ring
    readonly float[] _rObs, _rNext, _rMask, _rObsMask, _rValues, _rReward;
    readonly int[] _rAction, _rTag;
    readonly bool[] _rByPolicy, _rFollows;
    bool _droppedSinceLastOffer;
    long _writeIndex, _readIndex;
    public IOnDeviceAlgorithm Algorithm { get; }
    readonly IReadOnlyList<string> _features;
    readonly string _bundleSha;
    // promotion guard
    enum Phase { Baseline, Trial }
    Phase _phase = Phase.Baseline;
    int _activeTag, _candidateTag, _nextTag = 1;
    int _activeVersion;
    byte[] _activeBytes;
    float[][] _activeWeights;
    double _sum;
    int _n;
    double _baseline = double.NaN, _previousBaseline = double.NaN;
    int _parentVersion = -1;
    byte[]? _candidateBytes;
    byte[]? _candidateCriticBytes;
    long _updatesAtLastCandidate;
    Thread? _thread;
    volatile bool _stop;
    readonly AutoResetEvent _wake = new(false);
    public long Abandoned;
    public bool LearnedThisPump { get; private set; }

    public Learner(DeviceConfig config, ControlLoop loop, PolicyStore store, ActivePolicy active, RuntimeMetrics metrics, Func<DateTimeOffset> clock)
    {
        _config = config;
        _lc = config.Learning;
        _loop = loop;
        _store = store;
        _metrics = metrics;
        _clock = clock;
        _schedule = _lc.Schedule == "alternate" ? new AlternateSchedule(_lc.SlotS, _lc.FleetSize, _lc.FleetIndex) : null;
        // The learner's own copy of the active network, read from the bundle's (or the learned version's) ONNX weights.
        var online = PolicyOnnxReader.Read(active.ModelBytes).Network;
        _obsDim = online.ObservationDim;
        _actions = online.ActionSize;
        Algorithm = IOnDeviceAlgorithm.For(online, _lc);
        ResumeCritic(active.Version);
        _rObs = new float[RingSize * _obsDim];
        _rNext = new float[RingSize * _obsDim];
        _rMask = new float[RingSize * _actions];
        _rObsMask = new float[RingSize * _actions];
        _rValues = new float[RingSize * _actions];
        _rReward = new float[RingSize];
        _rAction = new int[RingSize];
        _rTag = new int[RingSize];
        _rByPolicy = new bool[RingSize];
        _rFollows = new bool[RingSize];
        _features = active.Features;
        _bundleSha = active.BundleSha256;
        _activeVersion = active.Version;
        _activeBytes = active.ModelBytes;
        _activeWeights = Snapshot(Algorithm.Weights);
        _activeTag = loop.PolicyTag;
    }

    public bool IsMyTurn => _schedule?.IsMyTurn(_clock()) ?? true;
    public double Baseline => _baseline;
    public int ActiveVersion => _activeVersion;
    public bool InTrial => _phase == Phase.Trial;

    /// <summary>Control thread: enqueue one transition; never blocks, never allocates.</summary>
    public void Offer(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> values, int action, bool byPolicy, float reward,
        ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask, int policyTag)
    {
        long w = _writeIndex;
        if (w - Volatile.Read(ref _readIndex) >= RingSize)
        {
            _metrics.DroppedTransitions++;
            _droppedSinceLastOffer = true;
            return;
        }
        int i = (int)(w % RingSize);
        obs.CopyTo(_rObs.AsSpan(i * _obsDim, _obsDim));
        nextObs.CopyTo(_rNext.AsSpan(i * _obsDim, _obsDim));
        nextMask.CopyTo(_rMask.AsSpan(i * _actions, _actions));
        mask.CopyTo(_rObsMask.AsSpan(i * _actions, _actions));
        values.CopyTo(_rValues.AsSpan(i * _actions, _actions));
        _rReward[i] = reward;
        _rAction[i] = action;
        _rTag[i] = policyTag;
        _rByPolicy[i] = byPolicy;
        _rFollows[i] = !_droppedSinceLastOffer;
        _droppedSinceLastOffer = false;
        Volatile.Write(ref _writeIndex, w + 1);
    }

    public void Start()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                _wake.WaitOne(TimeSpan.FromMilliseconds(Math.Max(1, _config.PeriodMs)));
                if (!_stop) Pump();
            }
        }) { IsBackground = true, Name = "marl-edge learner", Priority = ThreadPriority.BelowNormal };
        _thread.Start();
    }

    /// <summary>One learner iteration: drain the ring, feed the promotion guard, and learn if this is our turn.</summary>
    public void Pump()
    {
        bool myTurn = IsMyTurn;
        _metrics.Learning = myTurn && _lc.Enabled;
        int drained = 0;
        long r = _readIndex;
        while (r < Volatile.Read(ref _writeIndex))
        {
            int i = (int)(r % RingSize);
            Algorithm.Add(_rObs.AsSpan(i * _obsDim, _obsDim), _rObsMask.AsSpan(i * _actions, _actions), _rValues.AsSpan(i * _actions, _actions),
                _rAction[i], _rByPolicy[i], _rReward[i], _rNext.AsSpan(i * _obsDim, _obsDim), _rMask.AsSpan(i * _actions, _actions), _rFollows[i]);
            Observe(_rReward[i], _rTag[i], myTurn);
            r++;
            drained++;
            Volatile.Write(ref _readIndex, r);
        }
        _loop.DisposeRetired();
        LearnedThisPump = false;
        if (!myTurn)
        {
            Algorithm.Idle();
            if (_phase == Phase.Trial) AbandonTrial();
            return;
        }
        int made = Algorithm.Learn(drained, out float loss);
        if (made > 0)
        {
            LearnedThisPump = true;
            _metrics.LastLoss = loss;
            Interlocked.Add(ref _metrics.Updates, made);
        }
    }

    /// <summary>The promotion guard, fed one period's reward at a time with the tag of the policy that earned it.</summary>
    void Observe(float reward, int tag, bool myTurn)
    {
        int expected = _phase == Phase.Trial ? _candidateTag : _activeTag;
        if (tag != expected) return; // a period served by a policy that is no longer the one being measured
        _sum += reward;
        if (++_n < _lc.EvalPeriods) return;
        double mean = _sum / _n;
        _sum = 0;
        _n = 0;
        if (_phase == Phase.Baseline)
        {
            if (_parentVersion >= 0 && !double.IsNaN(_previousBaseline) && mean < _previousBaseline - _lc.PromotionMargin)
            {
                RollBackToParent(mean);
                return;
            }
            _parentVersion = -1;
            _baseline = mean;
            if (myTurn && Algorithm.Updates > _updatesAtLastCandidate) StartTrial();
        }
        else if (mean >= _baseline - _lc.PromotionMargin) Promote(mean);
        else RejectCandidate();
    }

    void StartTrial()
    {
        _updatesAtLastCandidate = Algorithm.Updates;
        _candidateBytes = PolicyOnnxWriter.ToBytes(Algorithm.Network, new PolicyModelInfo(_config.AgentId, _features));
        // DPO: the critic as it is now, fitted to this candidate's actor, is saved with it if it is promoted.
        _candidateCriticBytes = Algorithm is DpoAlgorithm dpo ? CriticOnnx.ToBytes(dpo.Dpo.Critic, _config.AgentId) : null;
        _candidateTag = _nextTag++ + 1000;
        _loop.OfferPolicy(new OrtPolicyRunner(_candidateBytes, $"candidate:{_candidateTag}"), _candidateTag);
        _phase = Phase.Trial;
    }

    void Promote(double trialMean)
    {
        var entry = _store.Save(_candidateBytes!, _activeVersion, _bundleSha, Algorithm.Updates, _baseline, trialMean, _candidateCriticBytes);
        _metrics.SavedVersions++;
        Interlocked.Increment(ref _metrics.Promotions);
        _parentVersion = _activeVersion;
        _previousBaseline = _baseline;
        _activeVersion = entry.Version;
        _activeBytes = _candidateBytes!;
        _activeWeights = Snapshot(Algorithm.Weights);
        _activeTag = _candidateTag;
        // The runner serving the candidate keeps serving; it is now the active version under its persisted label.
        _loop.OfferPolicy(new OrtPolicyRunner(_activeBytes, $"learned:v{entry.Version}"), _activeTag);
        _baseline = trialMean;
        _phase = Phase.Baseline;
    }

    void RejectCandidate()
    {
        Interlocked.Increment(ref _metrics.Rollbacks);
        RevertToActive();
    }

    void AbandonTrial()
    {
        Interlocked.Increment(ref Abandoned);
        RevertToActive();
    }

    void RevertToActive()
    {
        _loop.OfferPolicy(new OrtPolicyRunner(_activeBytes, _activeVersion == 0 ? "bundle" : $"learned:v{_activeVersion}"), _activeTag = _nextTag++ + 1000);
        Restore(Algorithm.Weights, _activeWeights);
        _phase = Phase.Baseline;
        _sum = 0;
        _n = 0;
    }

    /// <summary>A promoted version measured worse than its parent's baseline: reactivate the parent on disk and in the loop.</summary>
    void RollBackToParent(double mean)
    {
        Interlocked.Increment(ref _metrics.Rollbacks);
        int parent = _parentVersion;
        _store.Activate(parent);
        var restored = _store.Load(_config.TrustKey);
        _activeVersion = restored.Version;
        _activeBytes = restored.ModelBytes;
        var net = IOnDeviceAlgorithm.MlpOf(restored.Policy.Network);
        Restore(Algorithm.Weights, Snapshot(net));
        _activeWeights = Snapshot(net);
        ResumeCritic(restored.Version);
        _loop.OfferPolicy(new OrtPolicyRunner(_activeBytes, restored.Label), _activeTag = _nextTag++ + 1000);
        _baseline = _previousBaseline;
        _parentVersion = -1;
        _sum = 0;
        _n = 0;
    }

    /// <summary>
    /// DPO: loads the critic saved with learned version v into the live one (so the actor need not wait for a warm-up). A missing
    /// or broken critic file leaves the current critic (fresh at start-up) and one warning in the store's LoadWarnings.
    /// </summary>
    void ResumeCritic(int version)
    {
        if (Algorithm is not DpoAlgorithm dpo || version <= 0) return;
        if (_store.LoadCritic(version, CriticOnnx.Sizes(dpo.Dpo.Critic)) is { } saved) dpo.Dpo.ResumeCritic(saved);
    }

    static float[][] Snapshot(Mlp mlp) => mlp.Layers.SelectMany(l => new[] { (float[])l.Weight.Clone(), (float[])l.Bias.Clone() }).ToArray();

    static void Restore(Mlp mlp, float[][] w)
    {
        for (int l = 0; l < mlp.Layers.Count; l++)
        {
            w[2 * l].CopyTo(mlp.Layers[l].Weight, 0);
            w[2 * l + 1].CopyTo(mlp.Layers[l].Bias, 0);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _wake.Set();
        _thread?.Join();
        _wake.Dispose();
    }
}
