using System.Text.Json;
using Google.Protobuf;
using MarlEdge.Shared.IO;
using MarlEdge.Shared.Onnx.Proto;
using MarlEdge.Shared.Policy;
using static MarlEdge.Shared.Onnx.PolicyContract;
using DataType = MarlEdge.Shared.Onnx.Proto.TensorProto.Types.DataType;

namespace MarlEdge.Shared.Onnx;

/// <summary>
/// Writes a <see cref="PolicyNetwork"/> as an ONNX model (IR 8, opset 17). Every parameter becomes an initializer under its
/// <see cref="NamedTensor"/> name. Discrete graphs take <c>obs</c> and <c>action_mask</c> and output the per-action values and
/// <c>action</c> = ArgMax(Where(action_mask &gt; 0, values, float.MinValue)); the Gaussian actor outputs <c>mean</c> and <c>log_std</c>;
/// the GRU network also takes <c>state_in</c> and outputs <c>state_out</c>.
/// </summary>
public static class PolicyOnnxWriter
{
    public static byte[] ToBytes(PolicyNetwork network, PolicyModelInfo info) => ToModel(network, info).ToByteArray();

    public static void Write(string path, PolicyNetwork network, PolicyModelInfo info) => AtomicFile.WriteAllBytes(path, ToBytes(network, info));

    public static ModelProto ToModel(PolicyNetwork network, PolicyModelInfo info)
    {
        if (info.ObservationFeatures.Count != network.ObservationDim)
            throw new ArgumentException($"agent {info.AgentId}: {info.ObservationFeatures.Count} observation features named, the network takes {network.ObservationDim}");
        foreach (var p in network.Parameters())
            if (p.FirstNonFinite() is int bad and >= 0)
                throw new ArgumentException($"agent {info.AgentId}: parameter {p.Name}[{bad}] is {p.Data[bad]}; refusing to export a non-finite weight");

        var g = new OnnxGraphBuilder($"marledge_agent_{info.AgentId}");
        foreach (var p in network.Parameters()) g.Initializer(p.Name, p.Shape, p.Data);
        g.Input(ObsInput, DataType.Float, BatchDim, network.ObservationDim);
        string obs = ObsInput;
        if (network.Normalizer is not null)
            obs = g.Node("Div", [g.Node("Sub", [ObsInput, "obs_norm.mean"]), "obs_norm.std"], "obs_normalized");

        switch (network)
        {
            case QNetwork or CategoricalActor:
            {
                var discrete = (DiscretePolicyNetwork)network;
                var mlp = network is QNetwork q ? q.Mlp : ((CategoricalActor)network).Mlp;
                MlpNodes(g, mlp, "mlp", obs, discrete.OutputName);
                MaskedGreedyNodes(g, discrete.OutputName, discrete.ActionSize);
                break;
            }
            case TabularPolicyNet tab:
                g.Node("MatMul", [obs, "table"], tab.OutputName);
                MaskedGreedyNodes(g, tab.OutputName, tab.ActionSize);
                break;
            case GaussianActor gauss:
                MlpNodes(g, gauss.Mean, "mlp", obs, MeanOutput);
                g.Output(MeanOutput, DataType.Float, BatchDim, gauss.ActionSize);
                // log_std is one parameter row, expanded to [batch, action_dim].
                string batch = g.Node("Shape", [ObsInput], null, OnnxGraphBuilder.Int("start", 0), OnnxGraphBuilder.Int("end", 1));
                string target = g.Node("Concat", [batch, g.Int64Initializer("actor_logstd.row_shape", gauss.ActionSize)], null, OnnxGraphBuilder.Int("axis", 0));
                g.Node("Expand", ["actor_logstd", target], LogStdOutput);
                g.Output(LogStdOutput, DataType.Float, BatchDim, gauss.ActionSize);
                break;
            case GruQNetwork gru:
                GruNodes(g, gru, obs);
                MaskedGreedyNodes(g, "q_values", gru.ActionSize);
                break;
            default:
                throw new NotSupportedException($"no ONNX writer for {network.GetType().Name}");
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = Producer,
            ProducerVersion = PolicyContract.Version,
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = PolicyContract.Opset });
        AddMetadata(model, Metadata.Contract, PolicyContract.Version);
        AddMetadata(model, Metadata.AgentId, info.AgentId);
        AddMetadata(model, Metadata.Network, network.Kind.Name());
        AddMetadata(model, Metadata.ObservationFeatures, JsonSerializer.Serialize(info.ObservationFeatures.ToArray(), Bundle.BundleJsonContext.Default.StringArray));
        if (ActivationOf(network) is Activation act) AddMetadata(model, Metadata.Activation, act.Name());
        return model;
    }

    static Activation? ActivationOf(PolicyNetwork network) => network switch
    {
        QNetwork q => q.Mlp.Activation,
        CategoricalActor c => c.Mlp.Activation,
        GaussianActor g => g.Mean.Activation,
        _ => null,
    };

    /// <summary>Gemm(transB=1) per layer, so weights stay [out, in] like torch.nn.Linear; the activation between layers.</summary>
    internal static void MlpNodes(OnnxGraphBuilder g, Mlp mlp, string prefix, string input, string output)
    {
        string x = input;
        for (int i = 0; i < mlp.Layers.Count; i++)
        {
            bool last = i == mlp.Layers.Count - 1;
            string y = g.Node("Gemm", [x, $"{prefix}.{i}.weight", $"{prefix}.{i}.bias"], last ? output : null, OnnxGraphBuilder.Int("transB", 1));
            x = last ? y : g.Node(mlp.Activation == Activation.ReLU ? "Relu" : "Tanh", [y]);
        }
    }

    static void MaskedGreedyNodes(OnnxGraphBuilder g, string values, int actions)
    {
        g.Input(ActionMaskInput, DataType.Float, BatchDim, actions);
        g.Output(values, DataType.Float, BatchDim, actions);
        g.Initializer("mask.threshold", [], [0f]);
        g.Initializer("mask.fill", [], [MaskedGreedy.MaskedValue]);
        string allowed = g.Node("Greater", [ActionMaskInput, "mask.threshold"], "action_allowed");
        string masked = g.Node("Where", [allowed, values, "mask.fill"], "masked_values");
        g.Node("ArgMax", [masked], ActionOutput, OnnxGraphBuilder.Int("axis", 1), OnnxGraphBuilder.Int("keepdims", 0));
        g.Output(ActionOutput, DataType.Int64, BatchDim);
    }

    /// <summary>torch.nn.GRUCell in elementary ops: two Gemms, Split into (r, z, n), and the gate arithmetic.</summary>
    static void GruNodes(OnnxGraphBuilder g, GruQNetwork net, string obs)
    {
        int h = net.HiddenDim;
        g.Input(StateInput, DataType.Float, BatchDim, h);
        var t1 = OnnxGraphBuilder.Int("transB", 1);
        string encoded = g.Node("Relu", [g.Node("Gemm", [obs, "encoder.weight", "encoder.bias"], null, t1)], "encoded");
        string gi = g.Node("Gemm", [encoded, "gru.weight_ih", "gru.bias_ih"], "gru_input_gates", t1);
        string gh = g.Node("Gemm", [StateInput, "gru.weight_hh", "gru.bias_hh"], "gru_hidden_gates", t1);
        string split = g.Int64Initializer("gru.split", h, h, h);
        var axis1 = OnnxGraphBuilder.Int("axis", 1);
        var i = g.NodeWithOutputs("Split", [gi, split], ["gi_r", "gi_z", "gi_n"], axis1);
        var hh = g.NodeWithOutputs("Split", [gh, split], ["gh_r", "gh_z", "gh_n"], axis1);
        string r = g.Node("Sigmoid", [g.Node("Add", [i[0], hh[0]])], "gru_r");
        string z = g.Node("Sigmoid", [g.Node("Add", [i[1], hh[1]])], "gru_z");
        string n = g.Node("Tanh", [g.Node("Add", [i[2], g.Node("Mul", [r, hh[2]])])], "gru_n");
        // h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
        g.Node("Add", [n, g.Node("Mul", [z, g.Node("Sub", [StateInput, n])])], StateOutput);
        g.Output(StateOutput, DataType.Float, BatchDim, h);
        g.Node("Gemm", [StateOutput, "head.weight", "head.bias"], "q_values", t1);
    }

    static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
}
