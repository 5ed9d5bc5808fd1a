namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>
/// One-hot observations as the index of their single 1. x·W for x = one_hot(k) is row k of W, so a network whose input is
/// one-hot can evaluate its first layer as a row lookup (<see cref="BatchedLinear.Lookup"/>): the same parameters and the same
/// result as the matmul, without multiplying thousands of zeros (lstage L=4 observations are 7381 wide).
/// </summary>
public static class OneHotRows
{
    /// <summary>The index of the 1 in a one-hot row; a row that is not exactly one-hot is refused (the env declared one-hot observations).</summary>
    public static int IndexOf(ReadOnlySpan<float> row)
    {
        int k = row.IndexOfAnyExcept(0f);
        if (k < 0 || row[k] != 1f || row[(k + 1)..].IndexOfAnyExcept(0f) >= 0)
            throw new InvalidOperationException($"an observation declared one-hot is not one-hot (width {row.Length}, first non-zero at {k})");
        return k;
    }

    /// <summary>
    /// Stores observation row <paramref name="src"/> of <paramref name="obs"/> (each <paramref name="dim"/> wide) as entry
    /// <paramref name="dst"/> of a replay store: its index when the observations are one-hot (entries 1 wide), else the row itself.
    /// </summary>
    public static void Store(float[] obs, int src, int dim, bool oneHot, float[] store, int dst)
    {
        if (oneHot) store[dst] = IndexOf(obs.AsSpan(src * dim, dim));
        else Array.Copy(obs, src * dim, store, dst * dim, dim);
    }

    /// <summary>rows × dim one-hot floats → rows indices (as longs, for torch's index_select).</summary>
    public static long[] Indices(ReadOnlySpan<float> obs, int rows, int dim)
    {
        var idx = new long[rows];
        for (int r = 0; r < rows; r++) idx[r] = IndexOf(obs.Slice(r * dim, dim));
        return idx;
    }
}
