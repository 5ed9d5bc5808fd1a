using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using MarlEdge.Runtime.Onnx;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Onnx;

namespace MarlEdge.Runtime.Validate;

/// <summary>
/// Everything a device checks before it runs a bundle: all of <see cref="BundleReader"/>'s checks (signature, contract, sha256,
/// ONNX-ness, finite weights, shapes against the manifest), then, per model, that ONNX Runtime loads it, reports the inputs and
/// outputs the manifest promises, and gives finite outputs and an in-range action on a zero observation.
/// </summary>
public static class BundleValidator
{
    public static VerifiedBundle Validate(string dir, ECDsa? trustedKey)
    {
        var bundle = BundleReader.Read(dir, trustedKey);
        foreach (var agent in bundle.Agents) CheckInOnnxRuntime(agent);
        return bundle;
    }

    static void CheckInOnnxRuntime(VerifiedAgent agent)
    {
        string name = agent.Entry.Model;
        OrtPolicySession session;
        try { session = new OrtPolicySession(agent.ModelBytes); }
        catch (OnnxRuntimeException e) { throw new BundleException($"ONNX Runtime cannot load {name}: {e.Message.Split('\n')[0]}"); }
        using (session)
        {
            CheckPorts(name, "input", session.Inputs, agent.Interface.Inputs);
            CheckPorts(name, "output", session.Outputs, agent.Interface.Outputs);
            SmokeRun(name, session, agent.Interface, agent.Entry);
        }
    }

    static void CheckPorts(string model, string kind, IReadOnlyDictionary<string, NodeMetadata> actual, IReadOnlyList<TensorPort> expected)
    {
        if (actual.Count != expected.Count)
            throw new BundleException($"ONNX Runtime sees {actual.Count} {kind}s in {model}, manifest.json promises {expected.Count}");
        foreach (var port in expected)
        {
            if (!actual.TryGetValue(port.Name, out var meta)) throw new BundleException($"ONNX Runtime sees no {kind} '{port.Name}' in {model}");
            long dim = port.FeatureDim == 0 ? 0 : OrtPolicySession.FeatureDim(meta);
            if (meta.Dimensions.Length != (port.FeatureDim == 0 ? 1 : 2) || dim != port.FeatureDim)
                throw new BundleException($"ONNX Runtime sees {kind} '{port.Name}' of {model} as [{string.Join(", ", meta.Dimensions)}], manifest.json says {port.ShapeText}");
            var type = port.IsInt64 ? typeof(long) : typeof(float);
            if (meta.ElementType != type) throw new BundleException($"ONNX Runtime sees {kind} '{port.Name}' of {model} as {meta.ElementType.Name}, expected {type.Name}");
        }
    }

    /// <summary>One zero observation with every action allowed (and a zero recurrent state): outputs must be finite, the action in range.</summary>
    static void SmokeRun(string model, OrtPolicySession session, PolicyInterface io, AgentEntry agent)
    {
        float[] Zeros(string input) => new float[io.Inputs.First(p => p.Name == input).FeatureDim];
        var obs = Zeros(PolicyContract.ObsInput);
        float[]? mask = io.Inputs.Any(p => p.Name == PolicyContract.ActionMaskInput) ? Enumerable.Repeat(1f, agent.Action.Size).ToArray() : null;
        float[]? state = io.Inputs.Any(p => p.Name == PolicyContract.StateInput) ? Zeros(PolicyContract.StateInput) : null;
        PolicyOutputs outputs;
        try { outputs = session.Run(1, obs, mask, state); }
        catch (OnnxRuntimeException e) { throw new BundleException($"ONNX Runtime fails to run {model}: {e.Message.Split('\n')[0]}"); }
        foreach (var (output, values) in outputs.Floats)
            if (values.Any(v => !float.IsFinite(v))) throw new BundleException($"{model} gives a non-finite '{output}' on a zero observation");
        if (outputs.Action is { } action && (action.Length != 1 || action[0] < 0 || action[0] >= agent.Action.Size))
            throw new BundleException($"{model} gives action {string.Join(",", action)} on a zero observation, outside 0..{agent.Action.Size - 1}");
    }
}
