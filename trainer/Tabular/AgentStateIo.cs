using MarlEdge.Shared.Numerics;

namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// How tabular agents write their learning state into a checkpoint and read it back: fixed-size arrays are read into the
/// agent's own arrays (a size mismatch means the checkpoint belongs to another task), ragged rows are replaced.
/// </summary>
public static class AgentStateIo
{
    public static void Write(BinaryWriter w, ReadOnlySpan<double> values) { w.Write(values.Length); foreach (double v in values) w.Write(v); }
    public static void Write(BinaryWriter w, ReadOnlySpan<int> values) { w.Write(values.Length); foreach (int v in values) w.Write(v); }
    public static void Write(BinaryWriter w, ReadOnlySpan<bool> values) { w.Write(values.Length); foreach (bool v in values) w.Write(v); }

    public static void Write(BinaryWriter w, double[][] rows) { w.Write(rows.Length); foreach (var r in rows) Write(w, r); }
    public static void Write(BinaryWriter w, int[][] rows) { w.Write(rows.Length); foreach (var r in rows) Write(w, r); }

    public static void Write(BinaryWriter w, in Rng rng) { foreach (ulong s in rng.State()) w.Write(s); }

    public static void ReadInto(BinaryReader r, Span<double> values) { Expect(r, values.Length); for (int k = 0; k < values.Length; k++) values[k] = r.ReadDouble(); }
    public static void ReadInto(BinaryReader r, Span<int> values) { Expect(r, values.Length); for (int k = 0; k < values.Length; k++) values[k] = r.ReadInt32(); }
    public static void ReadInto(BinaryReader r, Span<bool> values) { Expect(r, values.Length); for (int k = 0; k < values.Length; k++) values[k] = r.ReadBoolean(); }

    public static void ReadInto(BinaryReader r, double[][] rows)
    {
        Expect(r, rows.Length);
        for (int k = 0; k < rows.Length; k++) { rows[k] = new double[r.ReadInt32()]; for (int j = 0; j < rows[k].Length; j++) rows[k][j] = r.ReadDouble(); }
    }

    public static void ReadInto(BinaryReader r, int[][] rows)
    {
        Expect(r, rows.Length);
        for (int k = 0; k < rows.Length; k++) { rows[k] = new int[r.ReadInt32()]; for (int j = 0; j < rows[k].Length; j++) rows[k][j] = r.ReadInt32(); }
    }

    public static Rng ReadRng(BinaryReader r) => Rng.FromState([r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()]);

    static void Expect(BinaryReader r, int length)
    {
        int stored = r.ReadInt32();
        if (stored != length) throw new InvalidDataException($"checkpoint holds {stored} values where the agent has {length}");
    }
}
