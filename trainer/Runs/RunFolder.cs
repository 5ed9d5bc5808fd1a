using System.Globalization;
using System.Text;
using System.Text.Json;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Runs;

/// <summary>
/// A run folder: config.json, metrics.csv, summary.json, curve.png and, for tabular games, policy.json. Every file is
/// written atomically, so an interrupted run never leaves a half-written file.
/// </summary>
public sealed class RunFolder(string path)
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Path { get; } = path;
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string PolicyPath => System.IO.Path.Combine(Path, "policy.json");
    public string SummaryPath => System.IO.Path.Combine(Path, "summary.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.csv");
    public string CurvePath => System.IO.Path.Combine(Path, "curve.png");

    public void WriteConfig(RunConfig config) => AtomicFile.WriteAllText(ConfigPath, JsonSerializer.Serialize(config, Json) + "\n");

    public RunConfig ReadConfig()
    {
        if (!File.Exists(ConfigPath)) throw new UsageException($"'{Path}' is not a run folder (no config.json)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(ConfigPath));
            var r = doc.RootElement;
            return new RunConfig(r.GetProperty("env").GetString()!, r.GetProperty("algo").GetString()!, r.GetProperty("seed").GetInt32(),
                r.GetProperty("steps").GetInt64(), r.GetProperty("tabular").GetBoolean(), r.GetProperty("run_id").GetString()!,
                r.GetProperty("created").GetString()!, new Dictionary<string, object>());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException($"{ConfigPath} is malformed: {e.Message.Split('\n')[0]}");
        }
    }

    public void WriteSummary(RunSummary summary) => AtomicFile.WriteAllText(SummaryPath, JsonSerializer.Serialize(summary, Json) + "\n");

    public void WriteTabularCurve(string title, IReadOnlyList<CurvePoint> curve)
    {
        var csv = new StringBuilder("step,episodes,mean_return,policy_value,normalized_score\n");
        foreach (var p in curve)
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{p.Step},{p.Episodes},{p.MeanReturn:R},{p.PolicyValue:R},{p.NormalizedScore:R}"));
        AtomicFile.WriteAllText(MetricsPath, csv.ToString());
        var x = curve.Select(p => (double)p.Step).ToArray();
        CurvePlot.Write(CurvePath, title, "environment steps", "normalized score (exact)",
            [("normalized score", x, curve.Select(p => p.NormalizedScore).ToArray())]);
    }
}
