using System.Security.Cryptography;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Onnx.Proto;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Shared.Bundle;

/// <summary>One agent of a bundle that passed every check: its manifest entry, model bytes, and the managed network read from them.</summary>
public sealed record VerifiedAgent(AgentEntry Entry, byte[] ModelBytes, LoadedPolicy Policy, PolicyInterface Interface)
{
    public BundleAgent ToBundleAgent() => new(Entry.Id, Policy.Network, Entry.Observation.Features, Entry.Action);
}

/// <summary>A bundle read and checked. <see cref="SignedBy"/> is the key id when a trust key verified the signature.</summary>
public sealed record VerifiedBundle(BundleManifest Manifest, IReadOnlyList<VerifiedAgent> Agents, string? SignedBy, bool HasSignature)
{
    public BundleOrigin Origin => new(Manifest.Env, Manifest.Algorithm, Manifest.RunId, Manifest.GitCommit);
}

/// <summary>
/// Reads a policy bundle and checks everything that needs no inference engine, in trust order: the signature (when a trust key is
/// given), the contract version, every file's presence and sha256, then each model: that it is ONNX, that its weights are finite,
/// that its metadata and its inputs and outputs agree with the manifest. The first problem is thrown as a one-line
/// <see cref="BundleException"/>. The edge runtime then also loads each model in ONNX Runtime.
/// </summary>
public static class BundleReader
{
    public static VerifiedBundle Read(string dir, ECDsa? trustedKey = null)
    {
        if (!Directory.Exists(dir)) throw new BundleException($"bundle '{dir}' does not exist or is not a directory");
        string manifestPath = Path.Combine(dir, BundleManifest.FileName);
        if (!File.Exists(manifestPath)) throw new BundleException($"{BundleManifest.FileName} is missing from '{dir}'");
        byte[] manifestBytes = File.ReadAllBytes(manifestPath);
        string sigPath = Path.Combine(dir, ManifestSignature.FileName);
        bool hasSignature = File.Exists(sigPath);

        string? signedBy = null;
        if (trustedKey is not null)
        {
            if (!hasSignature) throw new BundleException($"{ManifestSignature.FileName} is missing: the bundle is unsigned, but a trust key was given");
            ManifestSignature.Parse(File.ReadAllBytes(sigPath)).Verify(manifestBytes, trustedKey);
            signedBy = BundleKeys.KeyId(trustedKey);
        }

        var manifest = BundleManifest.Parse(manifestBytes);
        if (manifest.Agents.Count == 0) throw new BundleException("manifest.json lists no agents");
        if (manifest.Agents.Select(a => a.Id).Distinct().Count() != manifest.Agents.Count) throw new BundleException("manifest.json lists an agent id twice");
        var contents = CheckFiles(dir, manifest);
        var agents = manifest.Agents.Select(a => CheckAgent(a, manifest, contents)).ToArray();
        return new VerifiedBundle(manifest, agents, signedBy, hasSignature);
    }

    /// <summary>Every listed file exists inside the bundle and has the listed sha256. Returns the bytes by name.</summary>
    static Dictionary<string, byte[]> CheckFiles(string dir, BundleManifest manifest)
    {
        var contents = new Dictionary<string, byte[]>();
        foreach (var (name, expected) in manifest.Files)
        {
            if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or ".." || name is BundleManifest.FileName or ManifestSignature.FileName)
                throw new BundleException($"manifest.json lists '{name}', which is not a plain file name inside the bundle");
            string path = Path.Combine(dir, name);
            if (!File.Exists(path)) throw new BundleException($"{name} is missing (manifest.json lists it)");
            byte[] bytes = File.ReadAllBytes(path);
            string actual = Sha256Hex.Of(bytes);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new BundleException($"{name}: sha256 mismatch (manifest.json says {Short(expected)}, the file is {Short(actual)}): the file was changed or corrupted");
            contents[name] = bytes;
        }
        return contents;
    }

    static VerifiedAgent CheckAgent(AgentEntry agent, BundleManifest manifest, Dictionary<string, byte[]> contents)
    {
        string name = agent.Model;
        if (!contents.TryGetValue(name, out var bytes)) throw new BundleException($"agent {agent.Id}'s model {name} has no sha256 in manifest.json");
        var obs = agent.Observation;
        if (obs.Features.Count != obs.Dim) throw new BundleException($"manifest.json: agent {agent.Id} has observation dim {obs.Dim} but names {obs.Features.Count} features");
        if (agent.Action.Size < 1) throw new BundleException($"manifest.json: agent {agent.Id}'s action spec has no size");

        ModelProto model;
        LoadedPolicy policy;
        try
        {
            model = PolicyOnnxReader.ParseModel(bytes, name);
            CheckFinite(model, name);
            policy = PolicyOnnxReader.Read(bytes, name);
        }
        catch (OnnxFormatException e) { throw new BundleException(e.Message); }

        if (policy.Contract != manifest.Contract) throw new BundleException($"{name} says contract '{policy.Contract}', manifest.json '{manifest.Contract}'");
        if (policy.Info.AgentId != agent.Id) throw new BundleException($"{name} is agent '{policy.Info.AgentId}''s model, but manifest.json gives it to agent '{agent.Id}'");
        if (policy.Network.Kind.Name() != agent.Network) throw new BundleException($"{name} holds a {policy.Network.Kind.Name()}, manifest.json says {agent.Network}");
        if (!policy.Info.ObservationFeatures.SequenceEqual(obs.Features))
            throw new BundleException($"{name}'s observation features differ from agent {agent.Id}'s in manifest.json");
        if ((policy.Network.Normalizer is null) != (obs.Normalization is null))
            throw new BundleException($"{name} {(policy.Network.Normalizer is null ? "has no" : "has an")} observation normalizer, manifest.json {(obs.Normalization is null ? "lists none" : "lists one")}");

        var expected = Expected(agent);
        CheckPorts(name, "input", model.Graph.Input, expected.Inputs);
        CheckPorts(name, "output", model.Graph.Output, expected.Outputs);
        if (!agent.Inputs.SequenceEqual(expected.Inputs.Select(p => p.Name)) || !agent.Outputs.SequenceEqual(expected.Outputs.Select(p => p.Name)))
            throw new BundleException($"manifest.json: agent {agent.Id}'s inputs/outputs [{string.Join(",", agent.Inputs)}]/[{string.Join(",", agent.Outputs)}] are not those of a {agent.Network}");
        var net = policy.Network;
        if (net.ObservationDim != obs.Dim || net.ActionSize != agent.Action.Size)
            throw new BundleException($"{name}: the weights take {net.ObservationDim} observation features and give {net.ActionSize} actions, manifest.json says {obs.Dim} and {agent.Action.Size}");
        return new VerifiedAgent(agent, bytes, policy, expected);
    }

    /// <summary>The inputs and outputs the manifest promises for an agent.</summary>
    public static PolicyInterface Expected(AgentEntry agent)
    {
        if (!agent.Action.IsDiscrete) return PolicyInterface.Continuous(agent.Observation.Dim, agent.Action.Size);
        string values = agent.Outputs.FirstOrDefault(o => o is "q_values" or "logits")
                        ?? throw new BundleException($"manifest.json: agent {agent.Id} lists neither a q_values nor a logits output");
        return PolicyInterface.Discrete(agent.Observation.Dim, agent.Action.Size, values, agent.RecurrentStateDim ?? 0);
    }

    static void CheckPorts(string model, string kind, IEnumerable<ValueInfoProto> declared, IReadOnlyList<TensorPort> expected)
    {
        var byName = declared.ToDictionary(v => v.Name);
        foreach (var port in expected)
        {
            if (!byName.Remove(port.Name, out var v)) throw new BundleException($"{model} has no {kind} '{port.Name}', which manifest.json promises");
            var dims = v.Type?.TensorType?.Shape?.Dim.ToArray() ?? [];
            int rank = port.FeatureDim == 0 ? 1 : 2;
            bool ok = dims.Length == rank && (rank == 1 || dims[1].DimValue == port.FeatureDim);
            if (!ok)
            {
                string actual = "[" + string.Join(", ", dims.Select(d => d.HasDimValue ? d.DimValue.ToString() : d.DimParam)) + "]";
                throw new BundleException($"{model}: {kind} '{port.Name}' has shape {actual}, manifest.json says {port.ShapeText}");
            }
            int elem = v.Type!.TensorType.ElemType;
            int wanted = (int)(port.IsInt64 ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float);
            if (elem != wanted) throw new BundleException($"{model}: {kind} '{port.Name}' has element type {elem}, expected {(port.IsInt64 ? "int64" : "float32")}");
        }
        if (byName.Count > 0) throw new BundleException($"{model} has an {kind} '{byName.Keys.First()}' that manifest.json does not describe");
    }

    static void CheckFinite(ModelProto model, string name)
    {
        foreach (var t in model.Graph.Initializer)
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float) continue;
            var values = PolicyOnnxReader.DecodeFloats(t, name);
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i]))
                    throw new BundleException($"{name}: weight '{t.Name}'[{i}] is {(float.IsNaN(values[i]) ? "NaN" : values[i] > 0 ? "+Infinity" : "-Infinity")}; a policy with non-finite weights is refused");
        }
    }

    static string Short(string hex) => hex.Length > 12 ? hex[..12] + "…" : hex;
}
