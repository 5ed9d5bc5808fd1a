using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using MarlEdge.Trainer.Export;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>One training episode in episodes.csv: when it ended, RESCO's metrics, its learner-scale return and its wall time.</summary>
public sealed record SumoTrainingEpisode(int Episode, long Step, TripInfoMetrics Metrics, double WallSeconds);

/// <summary>
/// `./marl train --env sumo:...` with a deep learner: the deep trainer (DeepTrainer, one environment copy: one SUMO at a
/// time) on <see cref="SumoLearnerEnv"/>. The run folder holds config.json and deep.json (as every deep run), episodes.csv
/// (each training episode's tripinfo metrics and wall time, rewritten atomically after every episode), curve.png (RESCO's
/// average delay and avg_delay_all per training episode), checkpoint.bin (with --set CheckpointEvery=N), networks/agent-&lt;i&gt;.onnx (observation
/// scaling inside, as the normalizer), networks/actions.json, networks/observation.json, and after the final greedy
/// evaluation tripinfo.xml and summary.json; networks-best/ and networks-best-all/ hold the networks at the end of the
/// training episode with the lowest avg_delay and avg_delay_all (<see cref="NetworkSelection"/>); networks-snapshots/ holds
/// the networks every <see cref="NetworkSnapshots.EveryEpisodes"/> episodes, for `marl validate`. A SUMO failure leaves the last checkpoint and episodes.csv consistent:
/// `./marl train --resume DIR` continues from there.
/// </summary>
public static class SumoTraining
{
    public const string EpisodesFile = "episodes.csv", InputsFile = "observation.json";

    /// <summary>
    /// Deep defaults on SUMO: one environment copy (one SUMO process), no greedy test episodes during training, and for the
    /// Q-learners RESCO's IDQN settings (resco_benchmark/config/agent_config.py and main.py, github.com/Pi-Star-Lab/RESCO):
    /// minibatch 32, replay 10,000 per agent, target copy every 500 updates, ε from 1 to 0 linearly over 80% of the budget.
    /// MA2QL's frozen agents keep exploring (Ma2qlDeepOptions.FrozenExplore): greedy untrained agents hold one phase and,
    /// without teleporting (RESCO's setting), lock the grid for good.
    /// </summary>
    public static DeepOptions DefaultOptions => DeepOptions.Default with
    {
        Common = DeepOptions.Default.Common with { Envs = 1, EvalEpisodes = 0, CurvePoints = 100 },
        Q = DeepOptions.Default.Q with { BatchSize = 32, BufferSize = 10000, TargetEvery = 500, EpsilonEnd = 0, ExplorationFraction = 0.8 },
        Ma2ql = DeepOptions.Default.Ma2ql with { FrozenExplore = true },
    };

    /// <summary>
    /// The options of a deep run on a scenario: <see cref="DefaultOptions"/> plus a checkpoint every 10 episodes (so a run
    /// whose SUMO dies resumes from at most 10 episodes back), then the user's --set.
    /// </summary>
    public static DeepOptions OptionsFor(string spec, string algo, string? set)
    {
        var d = DefaultOptions;
        d = d with { Common = d.Common with { CheckpointEvery = 10L * SumoScenario.Resolve(spec).Config.DecisionsPerEpisode } };
        return d.With(algo, set);
    }

    /// <summary>Whether a run folder holds a deep run on a sumo: environment.</summary>
    public static bool IsSumoRun(string folder)
    {
        string path = Path.Combine(folder, DeepRun.DeepFile);
        if (!File.Exists(path)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("Env", out var env) && env.GetString() is { } s && SumoScenario.IsSumoSpec(s);
        }
        catch (JsonException) { return false; }
    }

    /// <summary>Steps in the given number of training episodes of a scenario.</summary>
    public static long StepsFor(string spec, int episodes) => (long)SumoScenario.Resolve(spec).Config.DecisionsPerEpisode * episodes;

    public static JsonObject Start(RunFolder folder, string env, string algo, DeepOptions options, long steps, int seed, bool shareParams, bool quiet)
    {
        if (options.Common.Envs != 1) throw new UsageException("on SUMO, deep learners run one environment copy (Envs=1): one SUMO process at a time");
        Directory.CreateDirectory(folder.Path);
        var file = new DeepRunFile(env, algo, seed, steps, shareParams, options);
        AtomicFile.WriteAllText(Path.Combine(folder.Path, DeepRun.DeepFile), JsonSerializer.Serialize(file, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var config = new Dictionary<string, object>(options.For(algo)) { ["share_params"] = shareParams, ["scenario"] = SumoScenario.Resolve(env).Config };
        folder.WriteConfig(new RunConfig(env, algo, seed, steps, false, $"sumo-{algo}-seed{seed}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}",
            DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), config));
        File.Delete(Path.Combine(folder.Path, DeepRun.CheckpointFile));
        File.Delete(Path.Combine(folder.Path, EpisodesFile));
        return Execute(folder, file, null, quiet);
    }

    public static JsonObject Resume(RunFolder folder, bool quiet)
    {
        string path = Path.Combine(folder.Path, DeepRun.DeepFile);
        DeepRunFile file;
        try { file = JsonSerializer.Deserialize<DeepRunFile>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new UsageException($"{path} is malformed: {e.Message.Split('\n')[0]}"); }
        string cp = Path.Combine(folder.Path, DeepRun.CheckpointFile);
        return Execute(folder, file, File.Exists(cp) ? Checkpoint.Read(cp) : null, quiet);
    }

    static JsonObject Execute(RunFolder folder, DeepRunFile file, Checkpoint? resumeFrom, bool quiet)
    {
        var log = ReadEpisodes(folder);
        DeepTrainer? trainer = null;
        DeepRunSpec? spec = null;
        var selections = NetworkSelection.All;
        var bars = selections.Select(_ => double.PositiveInfinity).ToArray();   // each selection's best score so far
        var clock = Stopwatch.StartNew();
        double lastEnd = 0;
        var def = SumoDeepEnvs.Definition(file.Env, null, record =>
        {
            double now = clock.Elapsed.TotalSeconds;
            log.Add(new SumoTrainingEpisode(log.Count, (trainer?.Step ?? 0) + 1, record.Metrics, now - lastEnd));
            lastEnd = now;
            WriteEpisodes(folder, log);
            if (trainer is null || spec is null) return;
            var m = record.Metrics;
            string? written = null;   // a selection folder that already holds this episode's networks
            for (int k = 0; k < selections.Count; k++)
            {
                if (!selections[k].Improves(m, bars[k])) continue;
                bars[k] = selections[k].Score(m);
                string? from = written;
                selections[k].Write(folder, dir => { if (from is null) WriteNetworks(folder, spec, trainer, dir); else NetworkSelection.CopyNetworks(from, dir); },
                    new BestEpisode(log[^1].Episode, log[^1].Step, m.AvgDelay, double.IsFinite(m.AvgDelayAll) ? m.AvgDelayAll : null));
                written = Path.Combine(folder.Path, selections[k].Folder);
            }
            if ((log[^1].Episode + 1) % NetworkSnapshots.EveryEpisodes == 0)
                NetworkSnapshots.Write(folder, log[^1].Episode, log[^1].Step, dir => WriteNetworks(folder, spec, trainer, dir));
        });
        spec = new DeepRunSpec(def, file.Algo, file.Options, file.Steps, file.Seed, file.ShareParams);
        if (resumeFrom is null)
        {
            foreach (var selection in selections) selection.Delete(folder);
            NetworkSnapshots.DeleteAfter(folder, -1);
        }
        ValidatedNetworks.Delete(folder);   // a choice among snapshots that training is about to change
        using (trainer = new DeepTrainer(spec))
        {
            if (resumeFrom is not null)
            {
                trainer.Load(resumeFrom);
                log.RemoveAll(e => e.Step > trainer.Step);   // episodes after the checkpoint run again
                WriteEpisodes(folder, log);
                for (int k = 0; k < selections.Count; k++) bars[k] = selections[k].Kept(folder, trainer.Step);
                NetworkSnapshots.DeleteAfter(folder, trainer.Step);   // the episodes after the checkpoint write them again
            }
            lastEnd = clock.Elapsed.TotalSeconds;   // the first episode's wall time excludes building the learner
            using var progress = new ProgressLine($"train {file.Algo} on SUMO", file.Steps, quiet);
            trainer.Run(new DeepTrainerHooks(
                Progress: progress.Report,
                WriteCheckpoint: c => c.Write(Path.Combine(folder.Path, DeepRun.CheckpointFile))));
            progress.Done();
            WriteNetworks(folder, spec, trainer);
        }
        WriteCurve(folder, file, log);
        var summary = SumoEval.Evaluate(folder, file.Env, file.Algo, file.Seed, file.Steps, episodes: 1);
        summary["training_episodes"] = log.Count;
        if (NetworkSelection.AvgDelay.Read(folder) is { } best)
        {
            summary["best_training_episode"] = best.Episode;
            summary["best_training_avg_delay"] = Math.Round(best.AvgDelay, 4);
        }
        if (NetworkSelection.AvgDelayAll.Read(folder) is { AvgDelayAll: { } all } bestAll)
        {
            summary["best_all_training_episode"] = bestAll.Episode;
            summary["best_all_training_avg_delay_all"] = Math.Round(all, 4);
        }
        if (log.Count > 0)
        {
            summary["train_wall_seconds_per_episode"] = Math.Round(log.Average(e => e.WallSeconds), 3);
            summary["train_last_avg_delay"] = Math.Round(log[^1].Metrics.AvgDelay, 4);
        }
        AtomicFile.WriteAllText(folder.SummaryPath, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return summary;
    }

    /// <summary>
    /// networks/agent-&lt;i&gt;.onnx with the observation scales as the normalizer (mean 0, std 1/scale; padding std 1, fed 0),
    /// so a device gives the network raw detector values; networks/actions.json; networks/observation.json.
    /// </summary>
    static void WriteNetworks(RunFolder folder, DeepRunSpec spec, DeepTrainer trainer, string? into = null)
    {
        string dir = into ?? Path.Combine(folder.Path, RunPolicies.NetworksFolder);
        Directory.CreateDirectory(dir);
        var scenario = SumoScenario.Resolve(spec.Env.Spec);
        using var env = new SumoLearnerEnv(new SumoEnv(scenario));
        for (int i = 0; i < env.Agents.Count; i++)
        {
            var input = env.Inputs[i];
            var normalizer = new ObservationNormalizer(new float[input.Scale.Count], input.Scale.Select(s => s > 0 ? 1f / s : 1f).ToArray());
            PolicyNetwork network = trainer.Learner.Network(i) switch
            {
                QNetwork q => new QNetwork(q.Mlp, normalizer),
                CategoricalActor c => new CategoricalActor(c.Mlp, normalizer),
                var other => throw new UsageException($"deep {spec.Algo} on SUMO: unexpected network kind {other.Kind}"),
            };
            PolicyOnnxWriter.Write(Path.Combine(dir, $"agent-{i}.onnx"), network, new PolicyModelInfo(input.AgentId, input.Features));
        }
        var actions = env.Agents.Select(a => new { agent_id = a.Id, mapping = trainer.Mapping }).ToArray();
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(dir, DeepRun.ActionsFile), JsonSerializer.Serialize(actions, indented) + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, InputsFile), JsonSerializer.Serialize(new
        {
            scenario = scenario.Name,
            obs_scale_queue = scenario.Config.ObsScaleQueue,
            obs_scale_approaching = scenario.Config.ObsScaleApproaching,
            obs_scale_wait = scenario.Config.ObsScaleWait,
            obs_scale_pending = scenario.Config.ObsScalePending,
            reward_scale = scenario.Config.RewardScale,
            note = "network input k = raw detector feature k (names below); the network's normalizer multiplies it by scale[k]; pad:K features are 0; actions >= valid_actions keep the current green (masked at evaluation)",
            agents = env.Inputs,
        }, indented) + "\n");
    }

    static void WriteCurve(RunFolder folder, DeepRunFile file, IReadOnlyList<SumoTrainingEpisode> log)
    {
        var x = log.Select(e => (double)(e.Episode + 1)).ToArray();
        var series = new List<(string, double[], double[])> { ("training episode avg_delay (RESCO's)", x, log.Select(e => e.Metrics.AvgDelay).ToArray()) };
        var all = log.Where(e => double.IsFinite(e.Metrics.AvgDelayAll)).ToArray();   // none in an episodes.csv from before the column
        if (all.Length > 0)
            series.Add(("avg_delay_all (every scheduled vehicle)", all.Select(e => (double)(e.Episode + 1)).ToArray(), all.Select(e => e.Metrics.AvgDelayAll).ToArray()));
        CurvePlot.Write(folder.CurvePath, $"deep {file.Algo} on {SumoScenario.Resolve(file.Env).Name} (seed {file.Seed})", "training episode",
            "average delay (s)", series);
    }

    static readonly string[] EpisodeColumns =
        ["episode", "step", "avg_delay", "avg_time_loss", "avg_trip_time", "avg_wait", "avg_depart_delay", "throughput", "never_departed", "vehicles_in_network", "not_inserted", "avg_delay_all", "wall_seconds"];   // wall time last

    /// <summary>episodes.csv by its header's column names (a missing column reads as NaN, or 0 for counts).</summary>
    public static List<SumoTrainingEpisode> ReadEpisodes(RunFolder folder)
    {
        string path = Path.Combine(folder.Path, EpisodesFile);
        var list = new List<SumoTrainingEpisode>();
        if (!File.Exists(path)) return list;
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext()) return list;
        var column = lines.Current.Split(',').Select((name, k) => (name, k)).ToDictionary(p => p.name, p => p.k);
        while (lines.MoveNext())
        {
            var f = lines.Current.Split(',');
            if (f.Length != column.Count) continue;
            double D(string name) => column.TryGetValue(name, out int k) ? double.Parse(f[k], CultureInfo.InvariantCulture) : double.NaN;
            int I(string name) => double.IsFinite(D(name)) ? (int)D(name) : 0;
            list.Add(new SumoTrainingEpisode(I("episode"), (long)D("step"),
                new TripInfoMetrics(I("throughput"), D("avg_delay"), D("avg_time_loss"), D("avg_trip_time"), D("avg_wait"), D("avg_depart_delay"),
                    I("never_departed"), I("vehicles_in_network"), I("not_inserted"), D("avg_delay_all")), D("wall_seconds")));
        }
        return list;
    }

    /// <summary>episodes.csv, rewritten atomically.</summary>
    public static void WriteEpisodes(RunFolder folder, IReadOnlyList<SumoTrainingEpisode> log)
    {
        var csv = new StringBuilder(string.Join(",", EpisodeColumns)).Append('\n');
        foreach (var e in log)
        {
            var m = e.Metrics;
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Episode},{e.Step},{m.AvgDelay:R},{m.AvgTimeLoss:R},{m.AvgTripTime:R},{m.AvgWait:R},{m.AvgDepartDelay:R},{m.Throughput},{m.NeverDeparted},{m.VehiclesInNetwork},{m.NotInserted},{m.AvgDelayAll:R},{e.WallSeconds:F3}"));
        }
        AtomicFile.WriteAllText(Path.Combine(folder.Path, EpisodesFile), csv.ToString());
    }
}
