using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Export;

/// <summary>
/// The agents of a run folder, ready for a bundle. A tabular run gives each agent's policy.json table as a one-hot → table network
/// with features state_0 … state_{S-1}. A deep run gives the networks its learner saved as DIR/networks/agent-&lt;i&gt;.onnx
/// (written with PolicyOnnxWriter, so they read back exactly).
/// </summary>
public static class RunPolicies
{
    public const string NetworksFolder = "networks";

    public static IReadOnlyList<BundleAgent> Load(RunFolder run, RunConfig config) =>
        config.Tabular ? Tabular(run, config) : Deep(run);

    static IReadOnlyList<BundleAgent> Tabular(RunFolder run, RunConfig config)
    {
        var game = BuiltInGames.FromSpec(config.Env)
                   ?? throw new UsageException($"config.json says the run is tabular, but env '{config.Env}' is not a tabular game");
        var policy = TabularPolicy.Read(run.PolicyPath);
        policy.CheckFits(game);
        var features = ObservationSpec.OneHot(game.NumStates).FeatureNames;
        return Enumerable.Range(0, game.NumAgents)
            .Select(i => new BundleAgent($"agent-{i}", TabularPolicyNet.FromPolicy(policy, i), features, ActionEntry.Discrete(game.NumActions[i])))
            .ToArray();
    }

    static IReadOnlyList<BundleAgent> Deep(RunFolder run)
    {
        string dir = Path.Combine(run.Path, NetworksFolder);
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "agent-*.onnx").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0) throw new UsageException($"run '{run.Path}' is not tabular and has no {NetworksFolder}/agent-<i>.onnx networks to export");
        var mappings = ActionMappings(Path.Combine(dir, "actions.json"));
        return files.Select(f =>
        {
            LoadedPolicy loaded;
            try { loaded = PolicyOnnxReader.Read(f); }
            catch (OnnxFormatException e) { throw new UsageException(e.Message); }
            mappings.TryGetValue(loaded.Info.AgentId, out var mapping);
            var action = (loaded.Network.IsDiscrete, mapping?.Kind) switch
            {
                (true, "levels") => ActionEntry.Levels(loaded.Network.ActionSize, mapping!.Low, mapping.High),
                (true, _) => ActionEntry.Discrete(loaded.Network.ActionSize),
                (false, "gaussian") => ActionEntry.Box(loaded.Network.ActionSize, mapping!.Low, mapping.High),
                (false, _) => throw new UsageException($"{f}: a continuous-action network needs its bounds in {NetworksFolder}/actions.json"),
            };
            return new BundleAgent(loaded.Info.AgentId, loaded.Network, loaded.Info.ObservationFeatures, action);
        }).ToArray();
    }

    /// <summary>One agent's entry of networks/actions.json, as the deep trainer writes it.</summary>
    sealed record ActionMappingEntry(string Kind, float Low, float High);

    /// <summary>networks/actions.json: how each agent's network output becomes its action (absent for purely discrete runs).</summary>
    static Dictionary<string, ActionMappingEntry> ActionMappings(string path)
    {
        var result = new Dictionary<string, ActionMappingEntry>();
        if (!File.Exists(path)) return result;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var a in doc.RootElement.EnumerateArray())
            {
                var m = a.GetProperty("mapping");
                result[a.GetProperty("agent_id").GetString()!] =
                    new(m.GetProperty("kind").GetString()!, m.GetProperty("low").GetSingle(), m.GetProperty("high").GetSingle());
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException($"{path} is malformed: {e.Message.Split('\n')[0]}");
        }
        return result;
    }
}
