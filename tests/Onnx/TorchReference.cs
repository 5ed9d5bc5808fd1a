using MarlEdge.Shared.Policy;
using TorchSharp;
using static TorchSharp.torch;

namespace MarlEdge.Tests.Onnx;

/// <summary>
/// The same networks built from TorchSharp modules (nn.Linear, nn.ReLU/Tanh, nn.GRUCell) with the managed weights copied in:
/// the reference the ONNX graphs must agree with, since the learners train in TorchSharp.
/// </summary>
static class TorchReference
{
    public static Tensor Matrix(float[] data, int rows, int cols) => tensor(data, [rows, cols]);

    static void Copy(nn.Module<Tensor, Tensor> linear, DenseLayer layer)
    {
        var lin = (TorchSharp.Modules.Linear)linear;
        using var _ = no_grad();
        lin.weight!.copy_(tensor(layer.Weight, [layer.OutputDim, layer.InputDim]));
        lin.bias!.copy_(tensor(layer.Bias, [layer.OutputDim]));
    }

    public static nn.Module<Tensor, Tensor> Sequential(Mlp mlp)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < mlp.Layers.Count; i++)
        {
            var lin = nn.Linear(mlp.Layers[i].InputDim, mlp.Layers[i].OutputDim);
            Copy(lin, mlp.Layers[i]);
            modules.Add(($"linear{i}", lin));
            if (i < mlp.Layers.Count - 1)
                modules.Add(($"act{i}", mlp.Activation == Activation.ReLU ? nn.ReLU() : nn.Tanh()));
        }
        return nn.Sequential(modules);
    }

    public static Tensor Normalize(Tensor obs, ObservationNormalizer? n) =>
        n is null ? obs : (obs - tensor(n.Mean, [1, n.Mean.Length])) / tensor(n.Std, [1, n.Std.Length]);

    public static Tensor MaskedGreedy(Tensor values, Tensor mask) =>
        where(mask > 0, values, tensor(MaskedGreedyValue)).argmax(1);

    const float MaskedGreedyValue = Shared.Policy.MaskedGreedy.MaskedValue;

    /// <summary>Runs the GRU Q-network one step in TorchSharp: (q_values, state_out).</summary>
    public static (Tensor Q, Tensor State) GruStep(GruQNetwork net, Tensor obs, Tensor state)
    {
        var encoder = nn.Linear(net.Encoder.InputDim, net.Encoder.OutputDim);
        Copy(encoder, net.Encoder);
        var head = nn.Linear(net.Head.InputDim, net.Head.OutputDim);
        Copy(head, net.Head);
        var cell = nn.GRUCell(net.Cell.InputDim, net.HiddenDim);
        using (no_grad())
        {
            cell.weight_ih!.copy_(tensor(net.Cell.InputGates.Weight, [3 * net.HiddenDim, net.Cell.InputDim]));
            cell.bias_ih!.copy_(tensor(net.Cell.InputGates.Bias, [3 * net.HiddenDim]));
            cell.weight_hh!.copy_(tensor(net.Cell.HiddenGates.Weight, [3 * net.HiddenDim, net.HiddenDim]));
            cell.bias_hh!.copy_(tensor(net.Cell.HiddenGates.Bias, [3 * net.HiddenDim]));
        }
        var x = nn.functional.relu(encoder.forward(Normalize(obs, net.Normalizer)));
        var h = cell.forward(x, state);
        return (head.forward(h), h);
    }

    public static float[] ToArray(Tensor t) => t.contiguous().data<float>().ToArray();
    public static long[] ToLongArray(Tensor t) => t.contiguous().data<long>().ToArray();
}
