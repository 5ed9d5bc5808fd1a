using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;
using TorchSharp;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Nets;

/// <summary>
/// N agents' linear layers in one tensor: W [N, in, out], b [N, 1, out]. y[i] = x[i] W[i] + b[i] for every agent i in one
/// batched matmul (torch.bmm) and one broadcast add. Agent i's output depends only on W[i], b[i], so each agent's parameters stay its own; only the
/// per-op overhead (which dominates small networks) is shared. With shared parameters (one slot, expanded) all agents use W[0].
/// </summary>
public sealed class BatchedLinear : IDisposable
{
    public int Agents { get; }
    public int InputDim { get; }
    public int OutputDim { get; }
    public bool Shared { get; }
    public Tensor Weight { get; }   // [slots, in, out], slots = 1 when shared
    public Tensor Bias { get; }     // [slots, 1, out]

    /// <summary>Initialized like torch.nn.Linear (U(±1/sqrt(in))), from our own seeded generator so a seed fixes the run.</summary>
    public BatchedLinear(int agents, int inputDim, int outputDim, bool shared, Func<int, Rng> agentRng, float initScale = 1f)
    {
        Agents = agents; InputDim = inputDim; OutputDim = outputDim; Shared = shared;
        int slots = shared ? 1 : agents;
        var w = new float[slots * inputDim * outputDim];
        var b = new float[slots * outputDim];
        float bound = initScale / MathF.Sqrt(inputDim);
        for (int i = 0; i < slots; i++)
        {
            var rng = agentRng(i);
            for (int k = 0; k < inputDim * outputDim; k++) w[i * inputDim * outputDim + k] = (float)rng.Uniform(-bound, bound);
            for (int k = 0; k < outputDim; k++) b[i * outputDim + k] = (float)rng.Uniform(-bound, bound);
        }
        Weight = tensor(w, [slots, inputDim, outputDim]).requires_grad_(true);
        Bias = tensor(b, [slots, 1, outputDim]).requires_grad_(true);
    }

    /// <summary>x [N, B, in] → [N, B, out].</summary>
    /// <param name="constantParams">treat W and b as constants (no gradient flows into them), as when another module's loss reads this one</param>
    public Tensor Forward(Tensor x, bool constantParams = false)
    {
        var w = constantParams ? Weight.detach() : Weight;
        var b = constantParams ? Bias.detach() : Bias;
        return (Shared ? bmm(x, w.expand(Agents, InputDim, OutputDim)) : bmm(x, w)).Plus(b);                   // y_i = x_i W_i + b_i
    }

    /// <summary>
    /// The same layer on an input given by the positions of its ones, plus an optional dense part:
    ///   y_i = Σ_k W_i[rows_ik] + dense_i · W_i[denseOffset .. denseOffset + width) + b_i
    /// which equals Forward(x) for x = Σ_k one_hot(rows_k) + dense placed at denseOffset (the rows of W that meet zeros contribute
    /// nothing). Gradients flow into the same W and b (index_select's backward scatters into the rows used).
    /// </summary>
    /// <param name="rows">[N, B, k] int64 positions of the ones, each in [0, InputDim)</param>
    /// <param name="dense">[N, B, width] dense features, or null</param>
    public Tensor Lookup(Tensor rows, Tensor? dense = null, long denseOffset = 0, bool constantParams = false)
    {
        var w = constantParams ? Weight.detach() : Weight;
        var b = constantParams ? Bias.detach() : Bias;
        long n = rows.shape[0], batch = rows.shape[1], k = rows.shape[2];
        // Agent i's rows live at i·InputDim + r in the flattened [N·in, out] weight (shared: all agents read slot 0).
        var flat = Shared ? rows : rows.PlusIndex(RowOffsets(n));
        var y = w.reshape(-1, OutputDim).index_select(0, flat.reshape(-1)).reshape(n, batch, k, OutputDim).sum(2);   // Σ_k W_i[rows_ik]
        if (dense is not null)
        {
            var part = w.narrow(1, denseOffset, dense.shape[2]);
            y = y.Plus(Shared ? bmm(dense, part.expand(Agents, dense.shape[2], OutputDim)) : bmm(dense, part));        // + dense_i · W_i[offset..]
        }
        return y.Plus(b);
    }

    Tensor? _rowOffsets;

    /// <summary>[N, 1, 1]: i · InputDim, the start of agent i's rows in the flattened weight.</summary>
    Tensor RowOffsets(long n)
    {
        if (_rowOffsets is null)
        {
            var o = new long[n];
            for (int i = 0; i < n; i++) o[i] = (long)i * InputDim;
            _rowOffsets = tensor(o, [n, 1, 1]).DetachFromDisposeScope();
        }
        return _rowOffsets;
    }

    public IEnumerable<Tensor> Parameters() => [Weight, Bias];

    /// <summary>Agent i's layer as a managed DenseLayer, W transposed to [out, in] like torch.nn.Linear.</summary>
    public DenseLayer ToDense(int agent)
    {
        int slot = Shared ? 0 : agent;
        using var _ = NewDisposeScope();
        var w = Weight.detach()[slot].t().contiguous().data<float>().ToArray();
        var b = Bias.detach()[slot].reshape(OutputDim).contiguous().data<float>().ToArray();
        return new DenseLayer(InputDim, OutputDim, w, b);
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
        _rowOffsets?.Dispose();
    }
}
