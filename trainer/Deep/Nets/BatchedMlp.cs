using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>N agents' MLPs of the same shape, e.g. [obs, 64, 64, actions], evaluated together: x [N, B, in] → [N, B, out].</summary>
public sealed class BatchedMlp : IDisposable
{
    public IReadOnlyList<BatchedLinear> Layers { get; }
    public Activation Activation { get; }
    public int Agents => Layers[0].Agents;
    public int InputDim => Layers[0].InputDim;
    public int OutputDim => Layers[^1].OutputDim;

    /// <param name="seedOf">agent → its own generator for this network (agent i's weights depend on nothing else)</param>
    /// <param name="lastLayerScale">scales the last layer's initial weights (small for policy heads, as CleanRL's std=0.01)</param>
    public BatchedMlp(int agents, IReadOnlyList<int> sizes, Activation activation, bool shared, Func<int, Rng> seedOf, float lastLayerScale = 1f)
    {
        var rngs = Enumerable.Range(0, shared ? 1 : agents).Select(seedOf).ToArray();
        Layers = Enumerable.Range(0, sizes.Count - 1)
            .Select(l => new BatchedLinear(agents, sizes[l], sizes[l + 1], shared, i => Advance(ref rngs[i]), l == sizes.Count - 2 ? lastLayerScale : 1f))
            .ToArray();
        Activation = activation;
    }

    static Rng Advance(ref Rng rng) => new(rng.NextULong());

    public Tensor Forward(Tensor x, bool constantParams = false)
    {
        for (int l = 0; l < Layers.Count; l++)
        {
            x = Layers[l].Forward(x, constantParams);
            if (l < Layers.Count - 1) x = Activation == Activation.ReLU ? nn.functional.relu(x) : x.tanh();
        }
        return x;
    }

    /// <summary>
    /// Forward on an input given by the positions of its ones (one-hot observations, one-hot actions), plus an optional dense part
    /// at denseOffset: the first layer is a row lookup (<see cref="BatchedLinear.Lookup"/>), the rest as in Forward. Equals
    /// Forward on the dense vector, with the same parameters, so the exported network is this network.
    /// </summary>
    public Tensor ForwardRows(Tensor rows, Tensor? dense = null, long denseOffset = 0, bool constantParams = false)
    {
        var x = Layers[0].Lookup(rows, dense, denseOffset, constantParams);
        for (int l = 1; l < Layers.Count; l++)
        {
            x = Activation == Activation.ReLU ? nn.functional.relu(x) : x.tanh();
            x = Layers[l].Forward(x, constantParams);
        }
        return x;
    }

    public IEnumerable<Tensor> Parameters() => Layers.SelectMany(l => l.Parameters());

    /// <summary>Agent i's network as the managed Mlp the ONNX writer and the edge runtime use.</summary>
    public Mlp ToManaged(int agent) => new(Layers.Select(l => l.ToDense(agent)).ToArray(), Activation);

    /// <summary>Copies every parameter from another network of the same shape (target networks).</summary>
    public void CopyFrom(BatchedMlp other)
    {
        using var _ = no_grad();
        foreach (var (to, from) in Parameters().Zip(other.Parameters())) to.copy_(from);
    }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }
}
