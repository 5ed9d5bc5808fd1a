using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MarlEdge.Shared.Onnx;

namespace MarlEdge.Runtime.Onnx;

/// <summary>The outputs of one batched run: float outputs by name and the int64 action, if the model has one.</summary>
public sealed record PolicyOutputs(IReadOnlyDictionary<string, float[]> Floats, long[]? Action);

/// <summary>
/// A policy .onnx in ONNX Runtime, run on a batch: obs [batch, obs_dim], action_mask [batch, n_actions] and state_in
/// [batch, hidden] when the model has those inputs. One intra-op thread: the edge device and the shared CI machine are small.
/// </summary>
public sealed class OrtPolicySession : IDisposable
{
    readonly InferenceSession _session;
    public IReadOnlyDictionary<string, NodeMetadata> Inputs => _session.InputMetadata;
    public IReadOnlyDictionary<string, NodeMetadata> Outputs => _session.OutputMetadata;
    public IReadOnlyDictionary<string, string> Metadata => _session.ModelMetadata.CustomMetadataMap;

    public OrtPolicySession(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(model, options);
    }

    /// <summary>The fixed (second) dimension of an input or output, or -1 when it is symbolic or absent.</summary>
    public static long FeatureDim(NodeMetadata node) => node.Dimensions.Length == 2 ? node.Dimensions[1] : -1;

    public PolicyOutputs Run(int batch, float[] obs, float[]? actionMask = null, float[]? stateIn = null)
    {
        var inputs = new List<NamedOnnxValue>();
        void Add(string name, float[]? data)
        {
            if (!Inputs.ContainsKey(name)) return;
            if (data is null) throw new ArgumentException($"the model needs input '{name}'");
            inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, [batch, data.Length / batch])));
        }
        Add(PolicyContract.ObsInput, obs);
        Add(PolicyContract.ActionMaskInput, actionMask);
        Add(PolicyContract.StateInput, stateIn);
        using var results = _session.Run(inputs);
        var floats = new Dictionary<string, float[]>();
        long[]? action = null;
        foreach (var r in results)
        {
            if (r.Name == PolicyContract.ActionOutput) action = r.AsTensor<long>().ToArray();
            else floats[r.Name] = r.AsTensor<float>().ToArray();
        }
        return new PolicyOutputs(floats, action);
    }

    public void Dispose() => _session.Dispose();
}
