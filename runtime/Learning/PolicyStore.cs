using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MarlEdge.Runtime.Validate;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.IO;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Learning;

/// <summary>One learned version of an agent's policy, as lineage.json records it.</summary>
public sealed class LineageEntry
{
    public required int Version { get; init; }
    public required string File { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The version it was learned from: 0 is the signed bundle's model.</summary>
    public required int Parent { get; init; }
    public required string ParentSha256 { get; init; }
    public required string CreatedUtc { get; init; }
    public long Updates { get; init; }
    public double BaselineReturn { get; init; }
    public double CandidateReturn { get; init; }
    /// <summary>The critic learned with this actor (DPO), <c>&lt;agent&gt;.critic-vN.onnx</c>; null when none was saved.</summary>
    public string? Critic { get; init; }
    public string? CriticSha256 { get; init; }
}

/// <summary>lineage.json beside the bundle's manifest: the learned versions of one agent and which one is active.</summary>
public sealed class Lineage
{
    public required string Agent { get; init; }
    /// <summary>The sha256 of the signed bundle model everything descends from.</summary>
    public required string BundleModelSha256 { get; init; }
    public int Active { get; set; }
    public List<LineageEntry> Versions { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = LineageJsonContext.Default,
    };
}

/// <summary>Compile-time JSON metadata for lineage.json (the runtime is published trimmed, without reflection-based JSON).</summary>
[JsonSerializable(typeof(Lineage))]
sealed partial class LineageJsonContext : JsonSerializerContext;

/// <summary>The active policy as loaded: model bytes for ONNX Runtime, the managed network to learn on, and its version.</summary>
public sealed record ActivePolicy(byte[] ModelBytes, LoadedPolicy Policy, int Version, string Label, IReadOnlyList<string> Features, string BundleSha256);

/// <summary>
/// The device's policies on disk. The signed bundle is verified first (<see cref="BundleValidator"/>); learned versions live beside it
/// as <c>&lt;agent&gt;.learned-vN.onnx</c> plus <c>lineage-&lt;agent&gt;.json</c>. Each is written atomically (temp file, fsync,
/// rename, directory fsync), the model before the lineage that names it, so a power cut at any moment leaves the previous lineage
/// pointing at complete files. Loading checks the active version's sha256 and walks back to its parents, and finally to the
/// bundle's own model, until one loads. A DPO version also saves the critic it was learned with as
/// <c>&lt;agent&gt;.critic-vN.onnx</c> (a <see cref="CriticOnnx"/> model, written before the actor and named by the lineage entry);
/// it is never read as a policy, and a missing or broken one only means a fresh critic (<see cref="LoadCritic"/>).
/// </summary>
public sealed class PolicyStore
{
    public string BundleDir { get; }
    public string AgentId { get; }
    public string LineagePath => Path.Combine(BundleDir, $"lineage-{AgentId}.json");
    public int KeepVersions { get; init; } = 3;
    public List<string> LoadWarnings { get; } = [];

    public PolicyStore(string bundleDir, string agentId)
    {
        BundleDir = bundleDir;
        AgentId = agentId;
    }

    /// <summary>
    /// Verifies the bundle (signature, contract, sha256 of every file, ONNX-ness, finite weights, shapes against the manifest) and
    /// returns the newest loadable version of this device's agent. Throws <see cref="BundleException"/>. Loading the model in ONNX
    /// Runtime is left to the caller's runner (one session, not two: cold start), whose construction checks the ports again.
    /// </summary>
    public ActivePolicy Load(string? trustKeyPath)
    {
        using ECDsa? key = trustKeyPath is null ? null : BundleKeys.LoadPublic(trustKeyPath);
        var bundle = BundleReader.Read(BundleDir, key);
        var agent = bundle.Agents.FirstOrDefault(a => a.Entry.Id == AgentId)
                    ?? throw new BundleException($"the bundle has no agent '{AgentId}' (it has {string.Join(", ", bundle.Agents.Select(a => a.Entry.Id))})");
        string bundleSha = Sha256Hex.Of(agent.ModelBytes);
        var features = agent.Entry.Observation.Features;
        var fromBundle = new ActivePolicy(agent.ModelBytes, agent.Policy, 0, $"bundle:{bundle.Manifest.RunId}", features, bundleSha);
        var lineage = ReadLineage();
        if (lineage is null) return fromBundle;
        if (lineage.BundleModelSha256 != bundleSha)
        {
            LoadWarnings.Add("lineage belongs to a different bundle model; starting from the bundle");
            return fromBundle;
        }
        for (int v = lineage.Active; v > 0;)
        {
            var entry = lineage.Versions.FirstOrDefault(e => e.Version == v);
            if (entry is null) { LoadWarnings.Add($"lineage names version {v} but has no entry"); break; }
            try
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(BundleDir, entry.File));
                if (Sha256Hex.Of(bytes) != entry.Sha256) throw new BundleException($"{entry.File}: sha256 mismatch");
                var policy = PolicyOnnxReader.Read(bytes, entry.File);
                foreach (var p in policy.Network.Parameters())
                    if (p.FirstNonFinite() >= 0) throw new BundleException($"{entry.File}: non-finite weight in {p.Name}");
                if (!policy.Info.ObservationFeatures.SequenceEqual(features)) throw new BundleException($"{entry.File}: observation features differ from the bundle's");
                return new ActivePolicy(bytes, policy, v, $"learned:v{v}", features, bundleSha);
            }
            catch (Exception e) when (e is IOException or BundleException or OnnxFormatException)
            {
                LoadWarnings.Add($"learned version {v} does not load ({e.Message}); trying its parent {entry.Parent}");
                v = entry.Parent;
            }
        }
        return fromBundle;
    }

    /// <summary>
    /// The critic saved with a learned version, if it is there, intact (sha256), a critic, finite, and of the expected sizes
    /// ([in, hidden…, 1]). Otherwise null, with one line in <see cref="LoadWarnings"/> saying why (none for the bundle, version 0,
    /// which never has one): the caller then starts a fresh critic. Never throws for a bad file: the policy loads regardless.
    /// </summary>
    public Mlp? LoadCritic(int version, IReadOnlyList<int> expectedSizes)
    {
        if (version <= 0) return null;
        var entry = ReadLineage()?.Versions.FirstOrDefault(e => e.Version == version);
        if (entry?.Critic is null)
        {
            LoadWarnings.Add($"learned version {version} has no saved critic; the critic starts fresh (and warms up)");
            return null;
        }
        try
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(BundleDir, entry.Critic));
            if (Sha256Hex.Of(bytes) != entry.CriticSha256) throw new OnnxFormatException($"{entry.Critic}: sha256 mismatch");
            var critic = CriticOnnx.Read(bytes, entry.Critic);
            var sizes = CriticOnnx.Sizes(critic);
            if (!sizes.SequenceEqual(expectedSizes))
                throw new OnnxFormatException($"{entry.Critic} is [{string.Join(",", sizes)}], the configured critic [{string.Join(",", expectedSizes)}]");
            return critic;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OnnxFormatException)
        {
            LoadWarnings.Add($"the critic of learned version {version} does not load ({e.Message}); the critic starts fresh (and warms up)");
            return null;
        }
    }

    public Lineage? ReadLineage()
    {
        if (!File.Exists(LineagePath)) return null;
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(LineagePath), (JsonTypeInfo<Lineage>)Lineage.Json.GetTypeInfo(typeof(Lineage))); }
        catch (JsonException e)
        {
            LoadWarnings.Add($"{Path.GetFileName(LineagePath)} is unreadable ({e.Message.Split('\n')[0]}); starting from the bundle");
            return null;
        }
    }

    /// <summary>
    /// Writes a promoted network as the next version and makes it active: the critic (if any) and the model first, then the
    /// lineage, each atomic.
    /// </summary>
    public LineageEntry Save(byte[] modelBytes, int parent, string bundleSha, long updates, double baselineReturn, double candidateReturn,
        byte[]? criticBytes = null)
    {
        var lineage = ReadLineage() is { } l && l.BundleModelSha256 == bundleSha ? l : new Lineage { Agent = AgentId, BundleModelSha256 = bundleSha };
        int version = lineage.Versions.Count == 0 ? 1 : lineage.Versions.Max(e => e.Version) + 1;
        string file = $"{BundleManifest.ModelFileName(AgentId)[..^5]}.learned-v{version}.onnx";
        string parentSha = parent == 0 ? bundleSha : lineage.Versions.First(e => e.Version == parent).Sha256;
        string? criticFile = criticBytes is null ? null : $"{BundleManifest.ModelFileName(AgentId)[..^5]}.critic-v{version}.onnx";
        if (criticBytes is not null) AtomicFile.WriteAllBytes(Path.Combine(BundleDir, criticFile!), criticBytes);
        AtomicFile.WriteAllBytes(Path.Combine(BundleDir, file), modelBytes);
        var entry = new LineageEntry
        {
            Version = version, File = file, Sha256 = Sha256Hex.Of(modelBytes), Parent = parent, ParentSha256 = parentSha,
            CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), Updates = updates,
            BaselineReturn = baselineReturn, CandidateReturn = candidateReturn,
            Critic = criticFile, CriticSha256 = criticBytes is null ? null : Sha256Hex.Of(criticBytes),
        };
        lineage.Versions.Add(entry);
        lineage.Active = version;
        var removed = Prune(lineage);
        AtomicFile.WriteAllBytes(LineagePath, JsonSerializer.SerializeToUtf8Bytes(lineage, (JsonTypeInfo<Lineage>)Lineage.Json.GetTypeInfo(typeof(Lineage))));
        foreach (var f in removed) TryDelete(Path.Combine(BundleDir, f));
        return entry;
    }

    /// <summary>Makes an older version (or 0, the bundle) active again: a rollback that survives a restart.</summary>
    public void Activate(int version)
    {
        var lineage = ReadLineage();
        if (lineage is null) return;
        lineage.Active = version;
        AtomicFile.WriteAllBytes(LineagePath, JsonSerializer.SerializeToUtf8Bytes(lineage, (JsonTypeInfo<Lineage>)Lineage.Json.GetTypeInfo(typeof(Lineage))));
    }

    /// <summary>Drops versions past keep_versions, never the active one or its ancestors. Returns the files to delete (after the lineage is written).</summary>
    List<string> Prune(Lineage lineage)
    {
        var keep = new HashSet<int>();
        for (int v = lineage.Active; v > 0;)
        {
            if (!keep.Add(v)) break;
            v = lineage.Versions.FirstOrDefault(e => e.Version == v)?.Parent ?? 0;
        }
        var removable = lineage.Versions.Where(e => !keep.Contains(e.Version)).OrderBy(e => e.Version).ToList();
        var ancestors = lineage.Versions.Where(e => keep.Contains(e.Version)).OrderByDescending(e => e.Version).Skip(KeepVersions).ToList();
        var drop = removable.Take(Math.Max(0, lineage.Versions.Count - KeepVersions)).Concat(ancestors).ToList();
        // Ancestors beyond the limit go too; the active version's parent pointer then ends the walk at the bundle.
        foreach (var e in drop) lineage.Versions.Remove(e);
        return drop.SelectMany(e => e.Critic is null ? [e.File] : new[] { e.File, e.Critic }).ToList();
    }

    /// <summary>Removes temp files a power cut may have left behind.</summary>
    public void CleanTempFiles()
    {
        foreach (var f in Directory.EnumerateFiles(BundleDir, ".*.tmp")) TryDelete(f);
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
