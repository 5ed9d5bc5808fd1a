using Google.Protobuf;
using MarlEdge.Shared.Onnx.Proto;
using MarlEdge.Shared.Policy;
using static MarlEdge.Shared.Onnx.PolicyContract;
using DataType = MarlEdge.Shared.Onnx.Proto.TensorProto.Types.DataType;

namespace MarlEdge.Shared.Onnx;

/// <summary>
/// A device's own critic V (an <see cref="Mlp"/> with one output) as a small ONNX model, saved beside the actor it was learned with.
/// The graph takes <c>obs_normalized</c> (the observation after the actor's normalizer, which is what the critic is fed) and outputs
/// <c>value</c> [batch, 1]; parameters are the <c>critic.{i}.weight/bias</c> initializers. Its metadata carries its own contract,
/// <see cref="Contract"/>, and no <c>marledge.network</c>, so <see cref="PolicyOnnxReader"/> refuses it: a critic is never a policy.
/// </summary>
public static class CriticOnnx
{
    public const string Contract = "marledge-critic/1";
    public const string Input = "obs_normalized";
    public const string Output = "value";
    const string Prefix = "critic";

    public static byte[] ToBytes(Mlp critic, string agentId)
    {
        if (critic.OutputDim != 1) throw new ArgumentException($"a critic has one output, this MLP has {critic.OutputDim}");
        var g = new OnnxGraphBuilder($"marledge_critic_{agentId}");
        foreach (var p in critic.Parameters(Prefix))                      // critic.{i}.weight [out, in], critic.{i}.bias [out]
        {
            if (p.FirstNonFinite() >= 0) throw new ArgumentException($"agent {agentId}: the critic's {p.Name} holds a non-finite weight; refusing to export it");
            g.Initializer(p.Name, p.Shape, p.Data);
        }
        g.Input(Input, DataType.Float, BatchDim, critic.InputDim);
        PolicyOnnxWriter.MlpNodes(g, critic, Prefix, Input, Output);
        g.Output(Output, DataType.Float, BatchDim, 1);
        var model = new ModelProto { IrVersion = IrVersion, ProducerName = Producer, ProducerVersion = Contract, Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = Metadata.Contract, Value = Contract });
        model.MetadataProps.Add(new StringStringEntryProto { Key = Metadata.AgentId, Value = agentId });
        model.MetadataProps.Add(new StringStringEntryProto { Key = Metadata.Activation, Value = critic.Activation.Name() });
        return model.ToByteArray();
    }

    /// <summary>Reads a critic back; anything else (a policy, garbage, non-finite weights) is an <see cref="OnnxFormatException"/>.</summary>
    public static Mlp Read(byte[] bytes, string name)
    {
        var model = PolicyOnnxReader.ParseModel(bytes, name);
        var meta = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        if (!meta.TryGetValue(Metadata.Contract, out var contract) || contract != Contract)
            throw new OnnxFormatException($"{name} is not a MarlEdge critic (contract '{contract}', expected '{Contract}')");
        Activation activation;
        try { activation = ActivationFunctions.Parse(meta.GetValueOrDefault(Metadata.Activation, "")); }
        catch (FormatException e) { throw new OnnxFormatException($"{name}: {e.Message}"); }
        var byName = model.Graph.Initializer.ToDictionary(t => t.Name);
        var layers = new List<DenseLayer>();
        try
        {
            for (int i = 0; byName.TryGetValue($"{Prefix}.{i}.weight", out var w); i++)
            {
                if (w.Dims.Count != 2 || !byName.TryGetValue($"{Prefix}.{i}.bias", out var b))
                    throw new OnnxFormatException($"{name}: layer {i} is not a [out, in] weight with a bias");
                var layer = new DenseLayer((int)w.Dims[1], (int)w.Dims[0], PolicyOnnxReader.DecodeFloats(w, name), PolicyOnnxReader.DecodeFloats(b, name));
                if (layer.Parameters(Prefix).Any(p => p.FirstNonFinite() >= 0)) throw new OnnxFormatException($"{name}: non-finite weight in layer {i}");
                layers.Add(layer);
            }
            if (layers.Count == 0) throw new OnnxFormatException($"{name}: no '{Prefix}.0.weight' initializer");
            var mlp = new Mlp(layers, activation);
            if (mlp.OutputDim != 1) throw new OnnxFormatException($"{name}: a critic has one output, this one {mlp.OutputDim}");
            return mlp;
        }
        catch (ArgumentException e) { throw new OnnxFormatException($"{name}: inconsistent parameter shapes: {e.Message}"); }
    }

    /// <summary>[in, hidden…, out]: what must match for a saved critic to be loaded into a live one.</summary>
    public static int[] Sizes(Mlp mlp) => [mlp.InputDim, .. mlp.Layers.Select(l => l.OutputDim)];
}
