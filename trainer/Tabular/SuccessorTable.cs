namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// An agent's memory of its own transitions: for each row (a state, or a state and own action) the successors it has
/// seen, how often, and the reward sum per successor. Rows grow by doubling; nothing is allocated once a row has room.
/// With <c>keyByReward</c>, a successor is the outcome (s', r): two moves to the same s' with different rewards are
/// different entries (I2Q uses this so that a game whose reward depends on the joint action is still deterministic in
/// its outcomes).
/// </summary>
public sealed class SuccessorTable(int rows, bool keyByReward = false)
{
    readonly int[][] _next = Filled<int>(rows);
    readonly double[][] _outcomeReward = Filled<double>(rows); // the reward that keys the entry (keyByReward only)
    readonly int[][] _count = Filled<int>(rows);
    readonly int[][] _link = Filled<int>(rows);                // a caller's index per entry (I2Q: the entry in another table)
    readonly double[][] _rewardSum = Filled<double>(rows);
    readonly int[] _length = new int[rows];
    readonly int[] _visits = new int[rows];

    static T[][] Filled<T>(int n)
    {
        var a = new T[n][];
        Array.Fill(a, Array.Empty<T>());
        return a;
    }

    public int Rows => _length.Length;
    public int Visits(int row) => _visits[row];
    public int Length(int row) => _length[row];
    public ReadOnlySpan<int> Successors(int row) => _next[row].AsSpan(0, _length[row]);
    public ReadOnlySpan<int> Counts(int row) => _count[row].AsSpan(0, _length[row]);
    public double MeanReward(int row, int entry) => _rewardSum[row][entry] / _count[row][entry];

    /// <summary>The entry of a successor (and, with keyByReward, of that exact reward) within a row, or -1.</summary>
    public int Find(int row, int next, double reward)
    {
        var list = _next[row];
        for (int k = 0; k < _length[row]; k++)
            if (list[k] == next && (!keyByReward || _outcomeReward[row][k] == reward)) return k;
        return -1;
    }

    /// <summary>Records one transition; returns the entry index of the successor within the row.</summary>
    public int Add(int row, int next, double reward)
    {
        _visits[row]++;
        int k = Find(row, next, reward);
        if (k >= 0)
        {
            _count[row][k]++;
            _rewardSum[row][k] += reward;
            return k;
        }
        int n = _length[row];
        if (n == _next[row].Length)
        {
            int size = Math.Max(2, n * 2);
            Array.Resize(ref _next[row], size);
            Array.Resize(ref _outcomeReward[row], size);
            Array.Resize(ref _count[row], size);
            Array.Resize(ref _link[row], size);
            Array.Resize(ref _rewardSum[row], size);
        }
        _next[row][n] = next;
        _outcomeReward[row][n] = reward;
        _count[row][n] = 1;
        _rewardSum[row][n] = reward;
        _length[row] = n + 1;
        return n;
    }

    public int Link(int row, int entry) => _link[row][entry];
    public void SetLink(int row, int entry, int link) => _link[row][entry] = link;

    public void WriteState(BinaryWriter w)
    {
        AgentStateIo.Write(w, _next); AgentStateIo.Write(w, _outcomeReward); AgentStateIo.Write(w, _count);
        AgentStateIo.Write(w, _link); AgentStateIo.Write(w, _rewardSum); AgentStateIo.Write(w, _length); AgentStateIo.Write(w, _visits);
    }

    public void ReadState(BinaryReader r)
    {
        AgentStateIo.ReadInto(r, _next); AgentStateIo.ReadInto(r, _outcomeReward); AgentStateIo.ReadInto(r, _count);
        AgentStateIo.ReadInto(r, _link); AgentStateIo.ReadInto(r, _rewardSum); AgentStateIo.ReadInto(r, _length); AgentStateIo.ReadInto(r, _visits);
    }

    public void Clear()
    {
        Array.Clear(_length);
        Array.Clear(_visits);
    }
}
