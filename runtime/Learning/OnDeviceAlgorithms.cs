using MarlEdge.Runtime.Config;
using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Learning;

/// <summary>
/// What the learner thread runs on its managed copy of the active network: double DQN for a Q-network bundle, DPO for an
/// actor-critic (categorical actor) bundle. Both add and learn without allocating; their memory is bounded by the config.
/// </summary>
public interface IOnDeviceAlgorithm
{
    /// <summary>The network being learned (exported as a candidate), whose <see cref="Weights"/> the promotion guard snapshots.</summary>
    DiscretePolicyNetwork Network { get; }
    Mlp Weights { get; }
    /// <summary>Weight updates made so far.</summary>
    long Updates { get; }
    /// <summary>Whether the control loop must sample actions from the policy (on-policy data) rather than act greedily.</summary>
    bool NeedsSampledActions { get; }
    /// <summary>One transition from the ring; followsPrevious is false after a gap (a dropped transition).</summary>
    void Add(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> values, int action, bool byPolicy, float reward,
        ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask, bool followsPrevious);
    /// <summary>Learns from what was added (only called in this device's turn); returns the updates made and the last loss.</summary>
    int Learn(int drained, out float loss);
    /// <summary>Called when it is not this device's turn.</summary>
    void Idle();

    static IOnDeviceAlgorithm For(PolicyNetwork network, LearningConfig lc) => network switch
    {
        QNetwork q => new DoubleDqnAlgorithm(q, lc),
        CategoricalActor c => new DpoAlgorithm(c, lc),
        _ => throw new NotSupportedException($"no on-device learner for a {network.Kind.Name()} bundle (q_network: double DQN; categorical_actor: DPO)"),
    };

    static Mlp MlpOf(PolicyNetwork network) => network switch
    {
        QNetwork q => q.Mlp,
        CategoricalActor c => c.Mlp,
        _ => throw new NotSupportedException(network.Kind.Name()),
    };
}

/// <summary>Double-DQN TD updates over a bounded replay (every transition, whoever acted: DQN is off-policy).</summary>
public sealed class DoubleDqnAlgorithm(QNetwork online, LearningConfig lc) : IOnDeviceAlgorithm
{
    public DoubleDqn Dqn { get; } = new(online, lc.BatchSize, lc.Lr, lc.Gamma, lc.TargetSyncUpdates);
    public ReplayBuffer Replay { get; } = new(lc.ReplayCapacity, online.ObservationDim, online.ActionSize);
    public DiscretePolicyNetwork Network => Dqn.Online;
    public Mlp Weights => Dqn.Online.Mlp;
    public long Updates => Dqn.Updates;
    public bool NeedsSampledActions => false;

    public void Add(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> values, int action, bool byPolicy, float reward,
        ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask, bool followsPrevious) =>
        Replay.Add(obs, action, reward, nextObs, nextMask);

    public int Learn(int drained, out float loss)
    {
        loss = float.NaN;
        int made = 0;
        for (int u = 0; u < drained * lc.UpdatesPerPeriod; u++)
        {
            float l = Dqn.Update(Replay);
            if (float.IsNaN(l)) break;
            loss = l;
            made++;
        }
        return made;
    }

    public void Idle() { }
}

/// <summary>
/// DPO iterations over an on-policy rollout of <c>learning.dpo.rollout_steps</c> transitions decided by the policy (fallback
/// periods break the chain and are left out). A full rollout is learned from in this device's turn, or discarded when it is not.
/// </summary>
public sealed class DpoAlgorithm : IOnDeviceAlgorithm
{
    public OnDeviceDpo Dpo { get; }
    public PolicyRollout Rollout { get; }
    public long DiscardedRollouts { get; private set; }
    bool _gap = true;

    public DpoAlgorithm(CategoricalActor actor, LearningConfig lc)
    {
        var d = lc.Dpo;
        Dpo = new OnDeviceDpo(actor, d.RolloutSteps, new DpoSettings
        {
            Gamma = lc.Gamma, GaeLambda = d.GaeLambda, Epochs = d.Epochs, Minibatch = lc.BatchSize, Beta1 = d.Beta1, Beta2 = d.Beta2,
            TargetKl = d.TargetKl, Tolerance = d.Tolerance, BetaFactor = d.BetaFactor, Agents = d.Agents ?? lc.FleetSize,
            ActorLr = lc.Lr, CriticLr = d.CriticLr, CriticHidden = d.CriticHidden, CriticWarmupIterations = d.CriticWarmup,
        });
        Rollout = new PolicyRollout(d.RolloutSteps, actor.ObservationDim, actor.ActionSize);
    }

    public DiscretePolicyNetwork Network => Dpo.Actor;
    public Mlp Weights => Dpo.Actor.Mlp;
    public long Updates => Dpo.Updates;
    public bool NeedsSampledActions => true;

    public void Add(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> values, int action, bool byPolicy, float reward,
        ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask, bool followsPrevious)
    {
        if (!byPolicy) { _gap = true; return; }  // the fallback acted: no behaviour probability, and the chain breaks
        if (Rollout.IsFull) { Rollout.Clear(); DiscardedRollouts++; }
        Rollout.Add(obs, mask, values, action, reward, nextObs, followsPrevious && !_gap);
        _gap = false;
    }

    public int Learn(int drained, out float loss)
    {
        loss = float.NaN;
        if (!Rollout.IsFull) return 0;
        long before = Dpo.Updates;
        Dpo.Update(Rollout);
        Rollout.Clear();
        _gap = true;
        loss = float.IsNaN(Dpo.LastPolicyLoss) ? Dpo.LastValueLoss : Dpo.LastPolicyLoss;
        return (int)(Dpo.Updates - before);
    }

    public void Idle()
    {
        if (!Rollout.IsFull) return;
        Rollout.Clear();   // collected in another device's slot: stale by the time this device learns again
        DiscardedRollouts++;
        _gap = true;
    }
}
