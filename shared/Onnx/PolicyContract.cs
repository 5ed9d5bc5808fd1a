namespace MarlEdge.Shared.Onnx;

/// <summary>
/// The fixed names and versions of a MarlEdge policy model, what a device relies on. A change that a device could notice
/// (a renamed input, a new meaning of a metadata key) needs a new <see cref="Version"/>.
/// </summary>
public static class PolicyContract
{
    /// <summary>The contract of both the .onnx policy models and the bundle manifest.</summary>
    public const string Version = "marledge-policy-bundle/1";

    /// <summary>ONNX IR version 8 with default-domain opset 17: loads in ONNX Runtime 1.14 and later, 1.31 included.</summary>
    public const long IrVersion = 8;
    public const long Opset = 17;
    public const string Producer = "marledge";

    public const string ObsInput = "obs";
    public const string ActionMaskInput = "action_mask";
    public const string StateInput = "state_in";
    public const string ActionOutput = "action";
    public const string MeanOutput = "mean";
    public const string LogStdOutput = "log_std";
    public const string StateOutput = "state_out";
    /// <summary>The symbolic batch dimension of every input and output.</summary>
    public const string BatchDim = "batch";

    public static class Metadata
    {
        public const string Contract = "marledge.contract";
        public const string AgentId = "marledge.agent_id";
        public const string Network = "marledge.network";
        public const string Activation = "marledge.activation";
        /// <summary>A JSON array of the observation's feature names, in order.</summary>
        public const string ObservationFeatures = "marledge.observation_features";
    }
}
