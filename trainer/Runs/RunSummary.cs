using System.Text.Json.Serialization;

namespace MarlEdge.Trainer.Runs;

/// <summary>What `marl eval --json` prints and summary.json holds.</summary>
public sealed record RunSummary(
    [property: JsonPropertyName("env")] string Env,
    [property: JsonPropertyName("algo")] string Algo,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("steps")] long Steps,
    [property: JsonPropertyName("mean_return")] double MeanReturn,
    [property: JsonPropertyName("eval_episodes")] int EvalEpisodes,
    [property: JsonPropertyName("policy_value")] double? PolicyValue = null,
    [property: JsonPropertyName("optimal_value")] double? OptimalValue = null,
    [property: JsonPropertyName("uniform_value")] double? UniformValue = null,
    [property: JsonPropertyName("normalized_score")] double? NormalizedScore = null,
    [property: JsonPropertyName("optimality_gap")] double? OptimalityGap = null,
    [property: JsonPropertyName("exploitability")] double? Exploitability = null);

/// <summary>config.json: everything needed to repeat or resume a run.</summary>
public sealed record RunConfig(
    [property: JsonPropertyName("env")] string Env,
    [property: JsonPropertyName("algo")] string Algo,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("steps")] long Steps,
    [property: JsonPropertyName("tabular")] bool Tabular,
    [property: JsonPropertyName("run_id")] string RunId,
    [property: JsonPropertyName("created")] string Created,
    [property: JsonPropertyName("options")] IReadOnlyDictionary<string, object> Options);
