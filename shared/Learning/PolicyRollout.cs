namespace MarlEdge.Shared.Learning;

/// <summary>
/// A bounded on-policy rollout for <see cref="OnDeviceDpo"/>, in flat preallocated arrays: per transition the observation, the
/// action mask it was decided under, the behaviour policy's logits (what the serving network output, so the importance ratio and
/// the KL term use the policy that really acted), the action, the reward, the next observation, and whether it directly follows
/// the previous transition (a gap cuts the GAE recursion). Adding allocates nothing.
/// </summary>
public sealed class PolicyRollout
{
    public int Capacity { get; }
    public int ObsDim { get; }
    public int Actions { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;
    internal readonly float[] Obs, NextObs, Mask, BehaviourLogits, Reward;
    internal readonly int[] Action;
    internal readonly bool[] FollowsPrevious;

    public PolicyRollout(int capacity, int obsDim, int actions)
    {
        if (capacity < 2) throw new ArgumentException($"a rollout needs at least 2 transitions, got {capacity}");
        Capacity = capacity;
        ObsDim = obsDim;
        Actions = actions;
        Obs = new float[capacity * obsDim];
        NextObs = new float[capacity * obsDim];
        Mask = new float[capacity * actions];
        BehaviourLogits = new float[capacity * actions];
        Reward = new float[capacity];
        Action = new int[capacity];
        FollowsPrevious = new bool[capacity];
    }

    /// <summary>Appends one transition; returns false (and keeps nothing) when full.</summary>
    public bool Add(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> behaviourLogits, int action, float reward,
        ReadOnlySpan<float> nextObs, bool followsPrevious)
    {
        if (Count == Capacity) return false;
        int i = Count;
        obs.CopyTo(Obs.AsSpan(i * ObsDim, ObsDim));
        nextObs.CopyTo(NextObs.AsSpan(i * ObsDim, ObsDim));
        mask.CopyTo(Mask.AsSpan(i * Actions, Actions));
        behaviourLogits.CopyTo(BehaviourLogits.AsSpan(i * Actions, Actions));
        Reward[i] = reward;
        Action[i] = action;
        FollowsPrevious[i] = followsPrevious && i > 0;
        Count++;
        return true;
    }

    public void Clear() => Count = 0;
}
