using System.Runtime.InteropServices;
using System.Text.Json;
using Google.Protobuf;
using MarlEdge.Shared.Onnx.Proto;
using MarlEdge.Shared.Policy;
using static MarlEdge.Shared.Onnx.PolicyContract;

namespace MarlEdge.Shared.Onnx;

/// <summary>A policy model read back: the managed network (weights copied out of the initializers) and what the model says it is.</summary>
public sealed record LoadedPolicy(PolicyNetwork Network, PolicyModelInfo Info, string Contract);

/// <summary>
/// Reads a MarlEdge .onnx policy back into a managed <see cref="PolicyNetwork"/>: the runtime learns on that, then writes it out
/// again with <see cref="PolicyOnnxWriter"/>. Anything that is not a well-formed MarlEdge policy is an <see cref="OnnxFormatException"/>.
/// </summary>
public static class PolicyOnnxReader
{
    public static LoadedPolicy Read(string path) => Read(File.ReadAllBytes(path), Path.GetFileName(path));

    public static LoadedPolicy Read(byte[] bytes, string name = "model")
    {
        var model = ParseModel(bytes, name);
        var meta = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : throw new OnnxFormatException($"{name}: metadata_props has no '{key}'");

        string contract = Meta(Metadata.Contract);
        if (contract == CriticOnnx.Contract) throw new OnnxFormatException($"{name} is a device's saved critic (value network), not a policy");
        var info = new PolicyModelInfo(Meta(Metadata.AgentId), ParseFeatures(Meta(Metadata.ObservationFeatures), name));
        string kindName = Meta(Metadata.Network);
        var kind = NetworkKinds.Parse(kindName) ?? throw new OnnxFormatException($"{name}: unknown network kind '{kindName}'");
        var tensors = new InitializerTable(model.Graph, name);

        var normalizer = tensors.Has("obs_norm.mean")
            ? new ObservationNormalizer(tensors.Floats("obs_norm.mean", 2), tensors.Floats("obs_norm.std", 2)) : null;
        Activation activation = meta.TryGetValue(Metadata.Activation, out var a) ? ParseActivation(a, name) : Activation.ReLU;
        try
        {
            PolicyNetwork network = kind switch
            {
                NetworkKind.QNetwork => new QNetwork(ReadMlp(tensors, "mlp", activation), normalizer),
                NetworkKind.CategoricalActor => new CategoricalActor(ReadMlp(tensors, "mlp", activation), normalizer),
                NetworkKind.GaussianActor => new GaussianActor(ReadMlp(tensors, "mlp", activation), tensors.Floats("actor_logstd", 2), normalizer),
                NetworkKind.Tabular => ReadTabular(tensors, model.Graph, name),
                NetworkKind.GruQNetwork => new GruQNetwork(ReadDense(tensors, "encoder"),
                    new GruCell(ReadDense(tensors, "gru", "weight_ih", "bias_ih"), ReadDense(tensors, "gru", "weight_hh", "bias_hh")),
                    ReadDense(tensors, "head"), normalizer),
                _ => throw new OnnxFormatException($"{name}: no reader for network kind '{kindName}'"),
            };
            if (network.ObservationDim != info.ObservationFeatures.Count)
                throw new OnnxFormatException($"{name}: the network takes {network.ObservationDim} observation features, the metadata names {info.ObservationFeatures.Count}");
            return new LoadedPolicy(network, info, contract);
        }
        catch (ArgumentException e) { throw new OnnxFormatException($"{name}: inconsistent parameter shapes: {e.Message}"); }
    }

    /// <summary>
    /// Parses the protobuf and checks it looks like an ONNX model at all (an IR version, an opset, a graph). Protobuf parsing alone
    /// accepts many byte strings that are not models.
    /// </summary>
    public static ModelProto ParseModel(byte[] bytes, string name)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new OnnxFormatException($"{name} is not an ONNX model ({e.Message.Split('\n')[0]})"); }
        if (model.IrVersion <= 0 || model.OpsetImport.Count == 0 || model.Graph is null || model.Graph.Node.Count == 0)
            throw new OnnxFormatException($"{name} is not an ONNX model (no IR version, opset or graph)");
        return model;
    }

    static Activation ParseActivation(string text, string name)
    {
        try { return ActivationFunctions.Parse(text); }
        catch (FormatException e) { throw new OnnxFormatException($"{name}: {e.Message}"); }
    }

    static IReadOnlyList<string> ParseFeatures(string json, string name)
    {
        try { return JsonSerializer.Deserialize(json, Bundle.BundleJsonContext.Default.StringArray) ?? throw new JsonException("null"); }
        catch (JsonException) { throw new OnnxFormatException($"{name}: {Metadata.ObservationFeatures} is not a JSON array of strings"); }
    }

    static Mlp ReadMlp(InitializerTable t, string prefix, Activation activation)
    {
        var layers = new List<DenseLayer>();
        for (int i = 0; t.Has($"{prefix}.{i}.weight"); i++) layers.Add(ReadDense(t, $"{prefix}.{i}"));
        if (layers.Count == 0) throw new OnnxFormatException($"{t.ModelName}: no '{prefix}.0.weight' initializer");
        return new Mlp(layers, activation);
    }

    static DenseLayer ReadDense(InitializerTable t, string prefix, string weight = "weight", string bias = "bias")
    {
        var (dims, w) = t.Tensor($"{prefix}.{weight}", 2);
        return new DenseLayer((int)dims[1], (int)dims[0], w, t.Floats($"{prefix}.{bias}", 1));
    }

    static TabularPolicyNet ReadTabular(InitializerTable t, GraphProto graph, string name)
    {
        var (dims, table) = t.Tensor("table", 2);
        string output = graph.Output.Select(o => o.Name).FirstOrDefault(n => n is "q_values" or "logits")
                        ?? throw new OnnxFormatException($"{name}: a tabular model must output q_values or logits");
        return new TabularPolicyNet((int)dims[0], (int)dims[1], table, output);
    }

    /// <summary>The float initializers of a graph by name, decoded from raw_data or float_data.</summary>
    sealed class InitializerTable(GraphProto graph, string modelName)
    {
        readonly Dictionary<string, TensorProto> _byName = graph.Initializer.ToDictionary(t => t.Name);
        public string ModelName => modelName;

        public bool Has(string name) => _byName.ContainsKey(name);

        public float[] Floats(string name, int rank) => Tensor(name, rank).Values;

        public (long[] Dims, float[] Values) Tensor(string name, int rank)
        {
            if (!_byName.TryGetValue(name, out var t)) throw new OnnxFormatException($"{modelName}: no '{name}' initializer");
            if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new OnnxFormatException($"{modelName}: initializer '{name}' is not float32");
            if (t.Dims.Count != rank) throw new OnnxFormatException($"{modelName}: initializer '{name}' has rank {t.Dims.Count}, expected {rank}");
            return (t.Dims.ToArray(), DecodeFloats(t, modelName));
        }
    }

    /// <summary>A float tensor's values, whether stored as raw_data (little-endian) or float_data; checks the count against dims.</summary>
    public static float[] DecodeFloats(TensorProto t, string modelName)
    {
        long count = 1;
        foreach (long d in t.Dims) count *= d;
        float[] values = t.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
            : t.FloatData.ToArray();
        if (values.Length != count)
            throw new OnnxFormatException($"{modelName}: initializer '{t.Name}' holds {values.Length} values, its shape [{string.Join(",", t.Dims)}] needs {count}");
        return values;
    }
}
