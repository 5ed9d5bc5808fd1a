namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// An agent's memory of its own transitions: for each row (a state, or a state and own action) the successors it has
/// seen, how often, and the reward sum per successor. Rows grow by doubling; nothing is allocated once a row has room.
/// </summary>
public sealed class SuccessorTable
{
    readonly int[][] _next;
    readonly int[][] _count;
    readonly double[][] _rewardSum;
    readonly int[] _length;
    readonly int[] _visits;

    public SuccessorTable(int rows)
    {
        _next = new int[rows][];
        _count = new int[rows][];
        _rewardSum = new double[rows][];
        _length = new int[rows];
        _visits = new int[rows];
        Array.Fill(_next, Array.Empty<int>());
        Array.Fill(_count, Array.Empty<int>());
        Array.Fill(_rewardSum, Array.Empty<double>());
    }

    public int Rows => _length.Length;
    public int Visits(int row) => _visits[row];
    public int Length(int row) => _length[row];
    public ReadOnlySpan<int> Successors(int row) => _next[row].AsSpan(0, _length[row]);
    public ReadOnlySpan<int> Counts(int row) => _count[row].AsSpan(0, _length[row]);
    public double MeanReward(int row, int entry) => _rewardSum[row][entry] / _count[row][entry];

    /// <summary>Records one transition; returns the entry index of the successor within the row.</summary>
    public int Add(int row, int next, double reward)
    {
        _visits[row]++;
        int n = _length[row];
        var list = _next[row];
        for (int k = 0; k < n; k++)
        {
            if (list[k] != next) continue;
            _count[row][k]++;
            _rewardSum[row][k] += reward;
            return k;
        }
        if (n == list.Length)
        {
            int size = Math.Max(2, n * 2);
            Array.Resize(ref _next[row], size);
            Array.Resize(ref _count[row], size);
            Array.Resize(ref _rewardSum[row], size);
        }
        _next[row][n] = next;
        _count[row][n] = 1;
        _rewardSum[row][n] = reward;
        _length[row] = n + 1;
        return n;
    }

    /// <summary>The entry index of a successor within a row, or -1.</summary>
    public int Find(int row, int next) => Array.IndexOf(_next[row], next, 0, _length[row]);

    public void Clear()
    {
        Array.Clear(_length);
        Array.Clear(_visits);
    }
}
