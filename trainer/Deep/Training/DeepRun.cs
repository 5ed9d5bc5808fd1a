using System.Globalization;
using System.Text;
using System.Text.Json;
using MarlEdge.Shared.IO;
using MarlEdge.Shared.Onnx;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Export;
using MarlEdge.Trainer.Runs;
using TorchSharp;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>What deep.json holds: everything a resume needs, in full.</summary>
public sealed record DeepRunFile(string Env, string Algo, int Seed, long Steps, bool ShareParams, DeepOptions Options);

/// <summary>
/// A deep run in a run folder: config.json and deep.json first, then checkpoint.bin every CheckpointEvery steps, and at the
/// end metrics.csv, TensorBoard events (tb/), curve.png, summary.json, policy.json (tabular games), networks/agent-&lt;i&gt;.onnx and
/// networks/actions.json. Every file is written atomically (TensorBoard's event files are appended by TorchSharp).
/// </summary>
public static class DeepRun
{
    public const string DeepFile = "deep.json", CheckpointFile = "checkpoint.bin", ActionsFile = "actions.json";

    public static RunSummary Start(RunFolder folder, DeepRunSpec spec, bool quiet)
    {
        var file = new DeepRunFile(spec.Env.Spec, spec.Algo, spec.Seed, spec.Steps, spec.ShareParams, spec.Options);
        AtomicFile.WriteAllText(Path.Combine(folder.Path, DeepFile), JsonSerializer.Serialize(file, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var options = new Dictionary<string, object>(spec.Options.For(spec.Algo)) { ["share_params"] = spec.ShareParams };
        folder.WriteConfig(new RunConfig(spec.Env.Spec, spec.Algo, spec.Seed, spec.Steps, false,
            $"deep-{spec.Algo}-seed{spec.Seed}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), options));
        return Execute(folder, spec, null, quiet);
    }

    public static RunSummary Resume(RunFolder folder, bool quiet)
    {
        string path = Path.Combine(folder.Path, DeepFile);
        if (!File.Exists(path)) throw new UsageException($"'{folder.Path}' is not a deep run folder (no {DeepFile})");
        DeepRunFile file;
        try { file = JsonSerializer.Deserialize<DeepRunFile>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new UsageException($"{path} is malformed: {e.Message.Split('\n')[0]}"); }
        var spec = new DeepRunSpec(DeepEnvs.Resolve(file.Env), file.Algo, file.Options, file.Steps, file.Seed, file.ShareParams);
        string cp = Path.Combine(folder.Path, CheckpointFile);
        return Execute(folder, spec, File.Exists(cp) ? Checkpoint.Read(cp) : null, quiet);
    }

    static RunSummary Execute(RunFolder folder, DeepRunSpec spec, Checkpoint? resumeFrom, bool quiet)
    {
        using var trainer = new DeepTrainer(spec);
        if (resumeFrom is not null) trainer.Load(resumeFrom);
        var tb = torch.utils.tensorboard.SummaryWriter(Path.Combine(folder.Path, "tb"));
        using var progress = new ProgressLine($"train {spec.Algo}", spec.Steps, quiet);
        trainer.Run(new DeepTrainerHooks(
            Progress: progress.Report,
            CurvePoint: (p, metrics) =>
            {
                int step = (int)Math.Min(int.MaxValue, p.Step);
                if (double.IsFinite(p.TrainReturn)) tb.add_scalar("train/episode_return", (float)p.TrainReturn, step);
                if (double.IsFinite(p.TestReturn)) tb.add_scalar("eval/greedy_return", (float)p.TestReturn, step);
                if (double.IsFinite(p.NormalizedScore)) tb.add_scalar("eval/normalized_score", (float)p.NormalizedScore, step);
                foreach (var (k, v) in metrics) tb.add_scalar($"learner/{k}", (float)v, step);
            },
            WriteCheckpoint: c => c.Write(Path.Combine(folder.Path, CheckpointFile))));
        progress.Done();
        return Finish(folder, spec, trainer);
    }

    static RunSummary Finish(RunFolder folder, DeepRunSpec spec, DeepTrainer trainer)
    {
        WriteCurve(folder, spec, trainer.Curve);
        WriteNetworks(folder, spec, trainer);
        RunSummary summary;
        if (spec.Env.Game is { } game)
        {
            var policy = DeepEvaluation.PolicyOf(game, trainer.Learner);
            policy.Write(folder.PolicyPath);
            summary = TabularSummaries.Of(game, spec.Env.Spec, spec.Algo, spec.Seed, spec.Steps, policy);
        }
        else summary = GreedySummary(folder, spec.Env, spec.Algo, spec.Seed, spec.Steps, trainer.Mapping);
        folder.WriteSummary(summary);
        return summary;
    }

    const int GreedyEpisodes = 100;

    /// <summary>Continuous games: the mean return of 100 greedy episodes of the exported networks (what a device runs).</summary>
    static RunSummary GreedySummary(RunFolder folder, DeepEnvDefinition env, string algo, int seed, long steps, ActionMapping mapping)
    {
        using var probe = env.Create();
        using var deployed = DeployedPolicy.Read(Path.Combine(folder.Path, RunPolicies.NetworksFolder), probe.Agents.Count);
        double mean = DeepEvaluation.GreedyReturn(env, deployed, GreedyEpisodes, mapping.LearnerDiscrete, mapping.Dim);
        return new RunSummary(env.Spec, algo, seed, steps, mean, GreedyEpisodes);
    }

    /// <summary>
    /// ./marl eval on a deep run: the same object as its summary.json, recomputed from the run's outputs. Tabular games: exact
    /// scores of policy.json. Continuous games: greedy episodes of networks/agent-&lt;i&gt;.onnx with networks/actions.json.
    /// </summary>
    public static RunSummary Evaluate(RunFolder folder)
    {
        string path = Path.Combine(folder.Path, DeepFile);
        if (!File.Exists(path)) throw new UsageException($"'{folder.Path}' is not a deep run folder (no {DeepFile})");
        DeepRunFile file;
        try { file = JsonSerializer.Deserialize<DeepRunFile>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new UsageException($"{path} is malformed: {e.Message.Split('\n')[0]}"); }
        var env = DeepEnvs.Resolve(file.Env);
        if (env.Game is { } game)
        {
            if (!File.Exists(folder.PolicyPath)) throw new UsageException($"'{folder.PolicyPath}' is missing: the run did not finish");
            var policy = MarlEdge.Shared.Games.TabularPolicy.Read(folder.PolicyPath);
            policy.CheckFits(game);
            return TabularSummaries.Of(game, file.Env, file.Algo, file.Seed, file.Steps, policy);
        }
        string actions = Path.Combine(folder.Path, RunPolicies.NetworksFolder, ActionsFile);
        if (!File.Exists(actions)) throw new UsageException($"'{actions}' is missing: the run did not finish");
        ActionMapping mapping;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(actions));
            mapping = doc.RootElement[0].GetProperty("mapping").Deserialize<ActionMapping>() ?? throw new JsonException("no mapping");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new UsageException($"{actions} is malformed: {e.Message.Split('\n')[0]}");
        }
        return GreedySummary(folder, env, file.Algo, file.Seed, file.Steps, mapping);
    }

    static void WriteCurve(RunFolder folder, DeepRunSpec spec, IReadOnlyList<DeepCurvePoint> curve)
    {
        var csv = new StringBuilder("step,episodes,train_return,test_return,normalized_score,updates,seconds\n");
        foreach (var p in curve)
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{p.Step},{p.Episodes},{p.TrainReturn:R},{p.TestReturn:R},{p.NormalizedScore:R},{p.Updates},{p.Seconds:F2}"));
        AtomicFile.WriteAllText(folder.MetricsPath, csv.ToString());
        var x = curve.Select(p => (double)p.Step).ToArray();
        bool tabular = spec.Env.IsTabular;
        var y = curve.Select(p => tabular ? p.NormalizedScore : p.TestReturn).ToArray();
        var train = curve.Select(p => double.IsFinite(p.TrainReturn) ? p.TrainReturn : 0).ToArray();
        CurvePlot.Write(folder.CurvePath, $"deep {spec.Algo} on {spec.Env.Spec} (seed {spec.Seed})", "environment steps",
            tabular ? "normalized score (exact)" : "return",
            tabular ? [("normalized score", x, y)] : [("greedy test return", x, y), ("training episode return", x, train)]);
    }

    /// <summary>networks/agent-&lt;i&gt;.onnx for ./marl export, and networks/actions.json: how each network's output becomes an action.</summary>
    static void WriteNetworks(RunFolder folder, DeepRunSpec spec, DeepTrainer trainer)
    {
        string dir = Path.Combine(folder.Path, RunPolicies.NetworksFolder);
        using var env = spec.Env.Create();
        for (int i = 0; i < env.Agents.Count; i++)
            PolicyOnnxWriter.Write(Path.Combine(dir, $"agent-{i}.onnx"), trainer.Learner.Network(i),
                new PolicyModelInfo(env.Agents[i].Id, env.Agents[i].Observation.FeatureNames));
        var actions = env.Agents.Select(a => new { agent_id = a.Id, mapping = trainer.Mapping }).ToArray();
        AtomicFile.WriteAllText(Path.Combine(dir, ActionsFile), JsonSerializer.Serialize(actions, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
