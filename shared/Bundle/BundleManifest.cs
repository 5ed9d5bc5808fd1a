using System.Text.Json;
using System.Text.Json.Serialization;
using MarlEdge.Shared.Onnx;

namespace MarlEdge.Shared.Bundle;

/// <summary>
/// manifest.json of a policy bundle: what was trained (env, algorithm, run, commit), each agent's model with its observation and
/// action spec, and the sha256 of every other file in the bundle. manifest.sig, when present, signs these exact bytes.
/// </summary>
public sealed class BundleManifest
{
    public const string FileName = "manifest.json";

    public required string Contract { get; init; }
    public required string Env { get; init; }
    public required string Algorithm { get; init; }
    public required string RunId { get; init; }
    public string? GitCommit { get; init; }
    /// <summary>ISO 8601, UTC.</summary>
    public required string CreatedUtc { get; init; }
    public required IReadOnlyList<AgentEntry> Agents { get; init; }
    /// <summary>File name (relative to the bundle) → lowercase hex sha256.</summary>
    public required IReadOnlyDictionary<string, string> Files { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        // Plain '+' and non-ASCII feature names, not \u escapes: the manifest is read by people too.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = BundleJsonContext.Default,
    };

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, BundleJsonContext.Info<BundleManifest>(Json));

    /// <summary>Parses manifest.json; checks the contract version before anything else, so an unknown version is named as such.</summary>
    public static BundleManifest Parse(byte[] bytes)
    {
        try
        {
            using (var doc = JsonDocument.Parse(bytes))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("contract", out var c) || c.ValueKind != JsonValueKind.String)
                    throw new BundleException("manifest.json has no \"contract\" version");
                if (c.GetString() != PolicyContract.Version)
                    throw new BundleException($"manifest.json has unknown contract version '{c.GetString()}' (this build knows '{PolicyContract.Version}')");
            }
            return JsonSerializer.Deserialize(bytes, BundleJsonContext.Info<BundleManifest>(Json)) ?? throw new BundleException("manifest.json is null");
        }
        catch (JsonException e) { throw new BundleException($"manifest.json is malformed: {e.Message.Split('\n')[0]}"); }
    }

    /// <summary>The model file of an agent: <c>agent-&lt;index&gt;.onnx</c> style names, for ids such as "agent-0" or "0".</summary>
    public static string ModelFileName(string agentId) =>
        (agentId.StartsWith("agent-", StringComparison.Ordinal) ? agentId : $"agent-{agentId}") + ".onnx";
}

/// <summary>One agent of the bundle: its model file, network kind, what it observes and how it acts.</summary>
public sealed class AgentEntry
{
    public required string Id { get; init; }
    public required string Model { get; init; }
    /// <summary>q_network, categorical_actor, gaussian_actor, gru_q_network or tabular.</summary>
    public required string Network { get; init; }
    public required ObservationEntry Observation { get; init; }
    public required ActionEntry Action { get; init; }
    /// <summary>The size of state_in/state_out for recurrent networks; absent otherwise.</summary>
    public int? RecurrentStateDim { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }
}

/// <summary>The observation vector a device must build, feature by feature, and how the graph normalizes it.</summary>
public sealed class ObservationEntry
{
    public required int Dim { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    /// <summary>(obs − mean) / std, applied inside the ONNX graph; absent when observations go in raw.</summary>
    public NormalizationEntry? Normalization { get; init; }
}

public sealed class NormalizationEntry
{
    public required float[] Mean { get; init; }
    public required float[] Std { get; init; }
    public bool AppliedInGraph { get; init; } = true;
}

/// <summary>
/// "discrete" with Count actions, or "box" with Dim values in [Low, High]. A discrete entry that also has Low and High
/// stands for Count even levels of a continuous actuator: action k means Low + k·(High − Low)/(Count − 1). A box's Gaussian
/// actor outputs its mean in normalized units u; the actuator gets Low + (clip(u, −1, 1) + 1)·(High − Low)/2.
/// </summary>
public sealed class ActionEntry
{
    public required string Type { get; init; }
    public int? Count { get; init; }
    public int? Dim { get; init; }
    public float? Low { get; init; }
    public float? High { get; init; }

    public static ActionEntry Discrete(int count) => new() { Type = "discrete", Count = count };
    public static ActionEntry Box(int dim, float low, float high) => new() { Type = "box", Dim = dim, Low = low, High = high };
    public static ActionEntry Levels(int count, float low, float high) => new() { Type = "discrete", Count = count, Low = low, High = high };
    [JsonIgnore] public bool IsDiscrete => Type == "discrete";
    /// <summary>Count for discrete actions, Dim for a box.</summary>
    [JsonIgnore] public int Size => (IsDiscrete ? Count : Dim) ?? 0;
}
