using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>
/// A run's full state by name: float, int and scalar arrays (network weights, Adam moments, replay buffers, counters). Saved
/// as one binary file, atomically; loading copies values back into tensors and arrays of the same shape.
/// </summary>
public sealed class Checkpoint
{
    const string Magic = "marledge-deep-checkpoint/1";
    readonly Dictionary<string, float[]> _floats = new();
    readonly Dictionary<string, int[]> _ints = new();
    readonly Dictionary<string, double[]> _doubles = new();

    public void Put(string name, float[] values) => _floats[name] = (float[])values.Clone();
    public void Put(string name, int[] values) => _ints[name] = (int[])values.Clone();
    public void Put(string name, double value) => _doubles[name] = [value];
    public void Put(string name, double[] values) => _doubles[name] = (double[])values.Clone();
    public void Put(string name, bool[] values) => _ints[name] = values.Select(b => b ? 1 : 0).ToArray();

    public void Put(string name, Tensor tensor)
    {
        using var _ = NewDisposeScope();
        _floats[name] = tensor.detach().contiguous().reshape(-1).data<float>().ToArray();
    }

    public void PutAll(string prefix, IEnumerable<Tensor> tensors)
    {
        int k = 0;
        foreach (var t in tensors) Put($"{prefix}.{k++}", t);
    }

    public float[] Floats(string name) => _floats.TryGetValue(name, out var v) ? v : throw Missing(name);
    public int[] Ints(string name) => _ints.TryGetValue(name, out var v) ? v : throw Missing(name);
    public double Double(string name) => _doubles.TryGetValue(name, out var v) ? v[0] : throw Missing(name);
    public double[] Doubles(string name) => _doubles.TryGetValue(name, out var v) ? v : throw Missing(name);
    public long Long(string name) => (long)Double(name);
    public bool[] Bools(string name) => Ints(name).Select(i => i != 0).ToArray();

    public void Restore(string name, float[] into)
    {
        var v = Floats(name);
        if (v.Length != into.Length) throw Shape(name, v.Length, into.Length);
        v.CopyTo(into, 0);
    }

    public void Restore(string name, int[] into)
    {
        var v = Ints(name);
        if (v.Length != into.Length) throw Shape(name, v.Length, into.Length);
        v.CopyTo(into, 0);
    }

    public void Restore(string name, Tensor into)
    {
        var v = Floats(name);
        if (v.Length != into.numel()) throw Shape(name, v.Length, into.numel());
        using var _ = no_grad();
        using var src = tensor(v, into.shape);
        into.copy_(src);
    }

    public void RestoreAll(string prefix, IEnumerable<Tensor> tensors)
    {
        int k = 0;
        foreach (var t in tensors) Restore($"{prefix}.{k++}", t);
    }

    static UsageException Missing(string name) => new($"the checkpoint has no '{name}' (written by another learner or version?)");
    static UsageException Shape(string name, long got, long want) => new($"checkpoint entry '{name}' has {got} values, the run needs {want}");

    public void Write(string path)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(_floats.Count);
            foreach (var (k, v) in _floats.OrderBy(p => p.Key, StringComparer.Ordinal)) { w.Write(k); w.Write(v.Length); foreach (float x in v) w.Write(x); }
            w.Write(_ints.Count);
            foreach (var (k, v) in _ints.OrderBy(p => p.Key, StringComparer.Ordinal)) { w.Write(k); w.Write(v.Length); foreach (int x in v) w.Write(x); }
            w.Write(_doubles.Count);
            foreach (var (k, v) in _doubles.OrderBy(p => p.Key, StringComparer.Ordinal)) { w.Write(k); w.Write(v.Length); foreach (double x in v) w.Write(x); }
        }
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }

    public static Checkpoint Read(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"no checkpoint at '{path}'");
        var c = new Checkpoint();
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (r.ReadString() != Magic) throw new UsageException($"'{path}' is not a MarlEdge deep checkpoint");
            for (int n = r.ReadInt32(); n > 0; n--) { string k = r.ReadString(); var v = new float[r.ReadInt32()]; for (int i = 0; i < v.Length; i++) v[i] = r.ReadSingle(); c._floats[k] = v; }
            for (int n = r.ReadInt32(); n > 0; n--) { string k = r.ReadString(); var v = new int[r.ReadInt32()]; for (int i = 0; i < v.Length; i++) v[i] = r.ReadInt32(); c._ints[k] = v; }
            for (int n = r.ReadInt32(); n > 0; n--) { string k = r.ReadString(); var v = new double[r.ReadInt32()]; for (int i = 0; i < v.Length; i++) v[i] = r.ReadDouble(); c._doubles[k] = v; }
        }
        catch (EndOfStreamException)
        {
            throw new UsageException($"checkpoint '{path}' is truncated");
        }
        return c;
    }
}
