using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Export;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// `./marl eval --run DIR` on a SUMO run: every agent acts greedily (or ε-greedily, or sampled: <see cref="EvalExploration"/>) with its own exported network (networks/agent-&lt;i&gt;.onnx,
/// read back into the managed network a device runs, fed raw detector values; actions past the agent's own phases are
/// masked), for whole episodes from evaluation seeds that training never uses. SUMO's tripinfo.xml of the last
/// episode lands in the run folder; the summary holds RESCO's metrics from it (means over the episodes).
/// </summary>
public static class SumoEval
{
    public const int EvalSeedBase = Deep.Training.DeepEvaluation.EvalSeedBase;

    /// <summary>Whether eval should take the SUMO path for this run folder.</summary>
    public static bool Handles(RunConfig config) => SumoScenario.IsSumoSpec(config.Env);

    public static JsonObject Evaluate(RunFolder folder, string env, string algo, int seed, long steps, int episodes, EvalExploration? acting = null, NetworkSelection? selection = null)
    {
        acting ??= new EvalExploration(0);
        var scenario = SumoScenario.Resolve(env);
        string dir = Path.Combine(folder.Path, selection?.Folder ?? RunPolicies.NetworksFolder);
        var bestEpisode = selection is null ? null
            : selection.Read(folder) ?? throw new UsageException($"{folder.Path} has no {selection.Folder}/{NetworkSelection.BestFile}: {selection.MissingReason}");
        using var sumo = new SumoEnv(scenario, new SumoEnvOptions { RunDirectory = Path.GetFullPath(folder.Path) });
        var results = Episodes(sumo, dir, folder.Path, EvalSeedBase, episodes, acting);

        var summary = Summary(env, algo, seed, steps, results);
        summary["eval_epsilon"] = acting.Epsilon;
        summary["eval_actions"] = acting.Rule;
        if (bestEpisode is { } b)
        {
            summary["networks"] = selection!.Folder;
            summary["selected_on"] = selection.OnValidation ? $"validation {selection.Metric}" : selection.Metric;
            string scored = selection.OnValidation ? "validation" : "best_training";
            summary[selection.OnValidation ? "selected_episode" : "best_training_episode"] = b.Episode;
            summary[$"{scored}_avg_delay"] = Math.Round(b.AvgDelay, 4);
            if (b.AvgDelayAll is { } all) summary[$"{scored}_avg_delay_all"] = Math.Round(all, 4);
        }
        summary["tripinfo"] = sumo.TripInfoPath;
        return summary;
    }

    /// <summary>
    /// Whole episodes of the networks in <paramref name="networksDir"/> (agent-&lt;i&gt;.onnx, checked against the scenario's
    /// agents), acting by <paramref name="acting"/>'s rule, episode e from SUMO seed <paramref name="seedBase"/> + e.
    /// </summary>
    public static List<(TripInfoMetrics Metrics, double Wall)> Episodes(SumoEnv sumo, string networksDir, string runPath, int seedBase, int episodes, EvalExploration acting)
    {
        int n = sumo.Agents.Count;
        var networks = new DiscretePolicyNetwork[n];
        var masks = new float[n][];
        for (int i = 0; i < n; i++)
        {
            string path = Path.Combine(networksDir, $"agent-{i}.onnx");
            if (!File.Exists(path)) throw new UsageException($"{path} is missing: the run has not finished training (resume it with marl train --resume {runPath})");
            LoadedPolicy loaded;
            try { loaded = PolicyOnnxReader.Read(path); }
            catch (OnnxFormatException e) { throw new UsageException(e.Message); }
            if (loaded.Network is not DiscretePolicyNetwork net) throw new UsageException($"{path}: a SUMO policy must have discrete actions");
            if (loaded.Info.AgentId != sumo.Agents[i].Id)
                throw new UsageException($"{path} is agent '{loaded.Info.AgentId}', but the scenario's agent {i} is '{sumo.Agents[i].Id}'");
            var own = sumo.Agents[i].Observation.FeatureNames;
            if (loaded.Info.ObservationFeatures.Count < own.Count || !own.SequenceEqual(loaded.Info.ObservationFeatures.Take(own.Count)))
                throw new UsageException($"{path}: its observation features do not match agent '{sumo.Agents[i].Id}' in {sumo.Scenario.Name}");
            if (acting.Sampled && net.OutputName != "logits")
                throw new UsageException($"{path} outputs {net.OutputName}, not an actor's logits: --eval-sample applies to actor-critic runs (ippo, dpo, mdpo)");
            networks[i] = net;
            masks[i] = Enumerable.Range(0, net.ActionSize).Select(a => a < sumo.Agents[i].Action.Count ? 1f : 0f).ToArray();
        }

        var raw = sumo.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var input = networks.Select(net => new float[net.ObservationDim]).ToArray();
        var values = networks.Select(net => new float[net.ActionSize]).ToArray();
        var rewards = new float[n];
        var joint = new JointAction(sumo.Agents);
        var results = new List<(TripInfoMetrics Metrics, double Wall)>();
        for (int e = 0; e < episodes; e++)
        {
            var clock = Stopwatch.StartNew();
            sumo.Reset(seedBase + e, raw);
            acting.StartEpisode(seedBase + e);
            while (true)
            {
                for (int i = 0; i < n; i++)
                {
                    raw[i].CopyTo(input[i], 0);
                    int greedy = networks[i].Act(input[i], masks[i], values[i]);
                    joint.Discrete[i] = acting.Choose(greedy, values[i], masks[i], sumo.Agents[i].Action.Count);
                }
                if (sumo.Step(joint, raw, rewards).Done) break;
            }
            results.Add((sumo.LastEpisode!, clock.Elapsed.TotalSeconds));
        }
        return results;
    }

    /// <summary>The summary of evaluation episodes: RESCO's metrics as means over the episodes, and their wall time.</summary>
    public static JsonObject Summary(string env, string algo, int seed, long steps, IReadOnlyList<(TripInfoMetrics Metrics, double Wall)> results)
    {
        int episodes = results.Count;
        var summary = new JsonObject
        {
            ["env"] = env,
            ["algo"] = algo,
            ["seed"] = seed,
            ["steps"] = steps,
            ["eval_episodes"] = episodes,
            ["eval_seeds"] = $"{EvalSeedBase}..{EvalSeedBase + episodes - 1}",
        };
        summary["avg_delay"] = Number(results.Average(r => r.Metrics.AvgDelay));
        summary["avg_time_loss"] = Number(results.Average(r => r.Metrics.AvgTimeLoss));
        summary["avg_trip_time"] = Number(results.Average(r => r.Metrics.AvgTripTime));
        summary["avg_wait"] = Number(results.Average(r => r.Metrics.AvgWait));
        summary["avg_depart_delay"] = Number(results.Average(r => r.Metrics.AvgDepartDelay));
        summary["throughput"] = Number(results.Average(r => r.Metrics.Throughput));
        summary["never_departed"] = Number(results.Average(r => r.Metrics.NeverDeparted));
        summary["vehicles_in_network"] = Number(results.Average(r => r.Metrics.VehiclesInNetwork));
        summary["not_inserted"] = Number(results.Average(r => r.Metrics.NotInserted));
        summary["avg_delay_all"] = Number(results.Average(r => r.Metrics.AvgDelayAll));
        summary["eval_wall_seconds_per_episode"] = Math.Round(results.Average(r => r.Wall), 3);
        if (episodes > 1)   // RESCO's delay swings by hundreds of seconds between seeds on congested nets: keep each episode
            summary["per_episode"] = new JsonArray(results.Select((r, e) => (JsonNode)new JsonObject
            {
                ["seed"] = EvalSeedBase + e,
                ["avg_delay"] = Number(r.Metrics.AvgDelay),
                ["avg_time_loss"] = Number(r.Metrics.AvgTimeLoss),
                ["throughput"] = r.Metrics.Throughput,
                ["never_departed"] = r.Metrics.NeverDeparted,
                ["vehicles_in_network"] = r.Metrics.VehiclesInNetwork,
                ["not_inserted"] = r.Metrics.NotInserted,
                ["avg_delay_all"] = Number(r.Metrics.AvgDelayAll),
            }).ToArray());
        return summary;
    }

    /// <summary>`./marl eval` on a SUMO run folder: evaluates (tripinfo.xml into the run folder) and prints JSON or a table; summary.json keeps the training run's own evaluation.</summary>
    public static int Run(RunFolder folder, RunConfig config, bool json, int episodes, EvalExploration acting, NetworkSelection? selection = null)
    {
        try
        {
            if (selection is not null && config.Tabular) throw new UsageException($"--networks {selection.Name} applies to deep SUMO runs only (tabular runs keep one table)");
            if (acting.Sampled && config.Tabular) throw new UsageException("--eval-sample applies to deep actor-critic runs only (a tabular run keeps greedy tables)");
            var summary = config.Tabular
                ? SumoTabularEval.Evaluate(folder, config.Env, config.Algo, config.Seed, config.Steps, episodes, acting)
                : Evaluate(folder, config.Env, config.Algo, config.Seed, config.Steps, episodes, acting, selection);
            if (json) Console.WriteLine(summary.ToJsonString());
            else
                foreach (var (k, v) in summary) Console.WriteLine($"{k,-30} {v?.ToJsonString()}");
            return 0;
        }
        catch (JsonException e)
        {
            throw new UsageException($"{folder.Path}: {e.Message.Split('\n')[0]}");
        }
    }

    static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 4)) : null;
}
