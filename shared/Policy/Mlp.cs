namespace MarlEdge.Shared.Policy;

/// <summary>
/// A stack of dense layers with <see cref="Activation"/> between them (none after the last), like
/// nn.Sequential(Linear, ReLU, Linear, ReLU, Linear). Forward is allocation-free: it ping-pongs between two scratch buffers
/// owned by the instance, so one instance must not run on two threads at once.
/// </summary>
public sealed class Mlp
{
    public IReadOnlyList<DenseLayer> Layers { get; }
    public Activation Activation { get; }
    public int InputDim => Layers[0].InputDim;
    public int OutputDim => Layers[^1].OutputDim;
    readonly float[] _ping, _pong;

    public Mlp(IReadOnlyList<DenseLayer> layers, Activation activation)
    {
        if (layers.Count == 0) throw new ArgumentException("an MLP needs at least one layer");
        for (int i = 1; i < layers.Count; i++)
            if (layers[i].InputDim != layers[i - 1].OutputDim)
                throw new ArgumentException($"layer {i} takes {layers[i].InputDim} inputs but layer {i - 1} gives {layers[i - 1].OutputDim}");
        Layers = layers;
        Activation = activation;
        int widest = layers.Max(l => l.OutputDim);
        _ping = new float[widest];
        _pong = new float[widest];
    }

    /// <summary>An MLP of the given sizes, e.g. [obs, 64, 64, actions], initialized like torch.nn.Linear.</summary>
    public static Mlp Create(IReadOnlyList<int> sizes, Activation activation, Random rng)
    {
        var layers = new DenseLayer[sizes.Count - 1];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = new DenseLayer(sizes[i], sizes[i + 1]);
            layers[i].InitUniform(rng);
        }
        return new Mlp(layers, activation);
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        ReadOnlySpan<float> input = x;
        for (int l = 0; l < Layers.Count; l++)
        {
            var layer = Layers[l];
            bool last = l == Layers.Count - 1;
            Span<float> output = last ? y[..layer.OutputDim] : (l % 2 == 0 ? _ping : _pong).AsSpan(0, layer.OutputDim);
            layer.Forward(input, output);
            if (!last) Activation.ApplyInPlace(output);
            input = output;
        }
    }

    public IEnumerable<NamedTensor> Parameters(string prefix) =>
        Layers.SelectMany((layer, i) => layer.Parameters($"{prefix}.{i}"));
}
