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
    }
}
