namespace MarlEdge.Shared.Policy;

/// <summary>
/// One parameter tensor of a network, by name, viewing the network's own array: writing into <see cref="Data"/> changes the network.
/// The name is also the ONNX initializer name, so a lone .onnx file maps back onto the same parameters.
/// </summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    public int FirstNonFinite()
    {
        for (int i = 0; i < Data.Length; i++) if (!float.IsFinite(Data[i])) return i;
        return -1;
    }
}
