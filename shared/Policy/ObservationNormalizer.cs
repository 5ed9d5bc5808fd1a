namespace MarlEdge.Shared.Policy;

/// <summary>
/// obs ← (obs − mean) / std, applied at the start of the network (in the ONNX graph too), so a device feeds raw sensor values.
/// </summary>
public sealed class ObservationNormalizer
{
    public float[] Mean { get; }
    public float[] Std { get; }

    public ObservationNormalizer(float[] mean, float[] std)
    {
        if (mean.Length != std.Length) throw new ArgumentException($"normalizer mean has {mean.Length} values, std {std.Length}");
        foreach (float s in std) if (!(s > 0)) throw new ArgumentException("normalizer std must be positive");
        Mean = mean;
        Std = std;
    }

    public void Apply(ReadOnlySpan<float> obs, Span<float> normalized)
    {
        for (int i = 0; i < Mean.Length; i++) normalized[i] = (obs[i] - Mean[i]) / Std[i];
    }

    public IEnumerable<NamedTensor> Parameters()
    {
        yield return new NamedTensor("obs_norm.mean", [1, Mean.Length], Mean);
        yield return new NamedTensor("obs_norm.std", [1, Std.Length], Std);
    }
}
