using Microsoft.ML.OnnxRuntime;
using MarlEdge.Shared.Onnx;

namespace MarlEdge.Runtime.Inference;

/// <summary>Decides one action from one observation and mask; writes the per-action values. Used by the control thread only.</summary>
public interface IPolicyRunner : IDisposable
{
    int ObservationDim { get; }
    int ActionCount { get; }
    /// <summary>The version label of the weights (bundle, or a learned vN).</summary>
    string Version { get; }
    /// <summary>Returns the action; values receives q_values/logits. Must not allocate.</summary>
    int Decide(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, Span<float> values);
}

/// <summary>
/// A discrete policy in ONNX Runtime, set up for one decision per period: one intra-op and one inter-op thread, spinning off,
/// sequential execution, full graph optimization; inputs and outputs are OrtValues over arrays pinned once, bound once with an
/// <see cref="OrtIoBinding"/>, so <see cref="Decide"/> copies the observation in, runs, and reads the outputs without allocating.
/// A warm-up run happens in the constructor.
/// </summary>
public sealed class OrtPolicyRunner : IPolicyRunner
{
    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly OrtIoBinding _binding;
    readonly float[] _obs, _mask, _values;
    readonly long[] _action = new long[1];
    readonly OrtValue _obsValue, _maskValue, _valuesValue, _actionValue;
    public int ObservationDim { get; }
    public int ActionCount { get; }
    public string Version { get; }
    public string ValuesOutput { get; }

    public static SessionOptions Options()
    {
        var o = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        o.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        return o;
    }

    public OrtPolicyRunner(byte[] model, string version)
    {
        using var options = Options();
        _session = new InferenceSession(model, options);
        Version = version;
        if (!_session.InputMetadata.TryGetValue(PolicyContract.ObsInput, out var obsMeta) || !_session.InputMetadata.ContainsKey(PolicyContract.ActionMaskInput))
            throw new InvalidOperationException("the model needs inputs obs and action_mask (a discrete MarlEdge policy)");
        if (_session.InputMetadata.ContainsKey(PolicyContract.StateInput))
            throw new InvalidOperationException("recurrent policies are not served by this runner");
        ValuesOutput = _session.OutputMetadata.Keys.FirstOrDefault(k => k is "q_values" or "logits")
                       ?? throw new InvalidOperationException("the model has neither q_values nor logits");
        ObservationDim = (int)obsMeta.Dimensions[1];
        ActionCount = (int)_session.OutputMetadata[ValuesOutput].Dimensions[1];
        _obs = new float[ObservationDim];
        _mask = new float[ActionCount];
        _values = new float[ActionCount];
        _obsValue = OrtValue.CreateTensorValueFromMemory(_obs, [1, ObservationDim]);
        _maskValue = OrtValue.CreateTensorValueFromMemory(_mask, [1, ActionCount]);
        _valuesValue = OrtValue.CreateTensorValueFromMemory(_values, [1, ActionCount]);
        _actionValue = OrtValue.CreateTensorValueFromMemory(_action, [1]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(PolicyContract.ObsInput, _obsValue);
        _binding.BindInput(PolicyContract.ActionMaskInput, _maskValue);
        _binding.BindOutput(ValuesOutput, _valuesValue);
        _binding.BindOutput(PolicyContract.ActionOutput, _actionValue);
        // Warm-up: the first run allocates ORT's arenas and kernels.
        Array.Fill(_mask, 1f);
        for (int i = 0; i < 3; i++) _session.RunWithBinding(_runOptions, _binding);
    }

    public int Decide(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, Span<float> values)
    {
        obs.CopyTo(_obs);
        mask.CopyTo(_mask);
        _session.RunWithBinding(_runOptions, _binding);
        _values.AsSpan().CopyTo(values);
        return (int)_action[0];
    }

    /// <summary>The raw ORT run on the already-bound buffers (for the benchmark beside <see cref="Decide"/>).</summary>
    public void RawRun() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        _obsValue.Dispose();
        _maskValue.Dispose();
        _valuesValue.Dispose();
        _actionValue.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
