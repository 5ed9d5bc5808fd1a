namespace MarlEdge.Shared.Learning;

/// <summary>
/// A bounded replay memory of (obs, action, reward, next obs, next action mask) in flat preallocated arrays: past its capacity the
/// oldest transitions are overwritten. Adding and sampling allocate nothing.
/// </summary>
public sealed class ReplayBuffer
{
    public int Capacity { get; }
    public int ObsDim { get; }
    public int Actions { get; }
    public int Count { get; private set; }
    public long Added { get; private set; }
    internal readonly float[] Obs, NextObs, NextMask, Reward;
    internal readonly int[] Action;
    int _head;

    public ReplayBuffer(int capacity, int obsDim, int actions)
    {
        Capacity = capacity;
        ObsDim = obsDim;
        Actions = actions;
        Obs = new float[capacity * obsDim];
        NextObs = new float[capacity * obsDim];
        NextMask = new float[capacity * actions];
        Reward = new float[capacity];
        Action = new int[capacity];
    }

    public void Add(ReadOnlySpan<float> obs, int action, float reward, ReadOnlySpan<float> nextObs, ReadOnlySpan<float> nextMask)
    {
        int i = _head;
        obs.CopyTo(Obs.AsSpan(i * ObsDim, ObsDim));
        nextObs.CopyTo(NextObs.AsSpan(i * ObsDim, ObsDim));
        nextMask.CopyTo(NextMask.AsSpan(i * Actions, Actions));
        Reward[i] = reward;
        Action[i] = action;
        _head = (_head + 1) % Capacity;
        if (Count < Capacity) Count++;
        Added++;
    }

    public void Clear()
    {
        Count = 0;
        _head = 0;
    }
}
