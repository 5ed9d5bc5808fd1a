using System.Security.Cryptography;
using MarlEdge.Shared.IO;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Shared.Bundle;

/// <summary>One agent to put in a bundle: its network, the names of its observation features, and its action spec.</summary>
public sealed record BundleAgent(string Id, PolicyNetwork Network, IReadOnlyList<string> Features, ActionEntry Action);

/// <summary>Where a bundle's policies came from.</summary>
public sealed record BundleOrigin(string Env, string Algorithm, string RunId, string? GitCommit);

/// <summary>
/// Writes a policy bundle: one agent-&lt;id&gt;.onnx per agent, manifest.json with the sha256 of each, and manifest.sig when a key
/// is given. Every file is written atomically and the manifest last, so a reader never sees a manifest naming unwritten models.
/// </summary>
public static class BundleWriter
{
    public static BundleManifest Write(string dir, BundleOrigin origin, IReadOnlyList<BundleAgent> agents, ECDsa? signingKey = null)
    {
        if (agents.Count == 0) throw new BundleException("a bundle needs at least one agent");
        if (agents.Select(a => a.Id).Distinct().Count() != agents.Count) throw new BundleException("agent ids in a bundle must be unique");
        Directory.CreateDirectory(dir);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<AgentEntry>();
        foreach (var agent in agents)
        {
            CheckAction(agent);
            string model = BundleManifest.ModelFileName(agent.Id);
            byte[] bytes = PolicyOnnxWriter.ToBytes(agent.Network, new PolicyModelInfo(agent.Id, agent.Features));
            AtomicFile.WriteAllBytes(Path.Combine(dir, model), bytes);
            files[model] = Sha256Hex.Of(bytes);
            entries.Add(Entry(agent, model));
        }
        var manifest = new BundleManifest
        {
            Contract = PolicyContract.Version,
            Env = origin.Env,
            Algorithm = origin.Algorithm,
            RunId = origin.RunId,
            GitCommit = origin.GitCommit,
            CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            Agents = entries,
            Files = files,
        };
        byte[] manifestBytes = manifest.ToJsonBytes();
        string sigPath = Path.Combine(dir, ManifestSignature.FileName);
        // The signature goes first and the old one is removed first, so no moment pairs a new manifest with a stale signature.
        if (File.Exists(sigPath)) File.Delete(sigPath);
        if (signingKey is not null) ManifestSignature.Sign(manifestBytes, signingKey).Write(sigPath);
        AtomicFile.WriteAllBytes(Path.Combine(dir, BundleManifest.FileName), manifestBytes);
        return manifest;
    }

    static void CheckAction(BundleAgent agent)
    {
        var net = agent.Network;
        if (agent.Action.IsDiscrete != net.IsDiscrete || agent.Action.Size != net.ActionSize)
            throw new BundleException($"agent {agent.Id}: the action spec ({agent.Action.Type}, size {agent.Action.Size}) does not fit the network ({net.Kind.Name()}, {net.ActionSize} outputs)");
    }

    static AgentEntry Entry(BundleAgent agent, string model)
    {
        var net = agent.Network;
        var io = PolicyInterface.Of(net);
        return new AgentEntry
        {
            Id = agent.Id,
            Model = model,
            Network = net.Kind.Name(),
            Observation = new ObservationEntry
            {
                Dim = net.ObservationDim,
                Features = agent.Features,
                Normalization = net.Normalizer is null ? null : new NormalizationEntry { Mean = net.Normalizer.Mean, Std = net.Normalizer.Std },
            },
            Action = agent.Action,
            RecurrentStateDim = net is GruQNetwork gru ? gru.HiddenDim : null,
            Inputs = io.Inputs.Select(p => p.Name).ToArray(),
            Outputs = io.Outputs.Select(p => p.Name).ToArray(),
        };
    }
}
