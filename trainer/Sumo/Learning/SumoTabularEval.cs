using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>One agent's greedy table in a tabular SUMO run's policy.json: its discretization and the action per state.</summary>
public sealed record SumoTabularAgentPolicy(
    [property: JsonPropertyName("states")] PhaseQueueStates States,
    [property: JsonPropertyName("greedy_action")] int[] GreedyAction,   // -1: never acted in during training
    [property: JsonPropertyName("visited_states")] int VisitedStates);

/// <summary>policy.json of a tabular SUMO run.</summary>
public sealed record SumoTabularPolicy(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("algo")] string Algo,
    [property: JsonPropertyName("agents")] IReadOnlyList<SumoTabularAgentPolicy> Agents);

/// <summary>
/// Greedy evaluation of a tabular SUMO run (`./marl eval --run DIR`, and the end of training): every agent looks its own
/// state up in its own table in policy.json; in a state it never acted in during training it serves its longest-queued
/// phase, and eval_unvisited_state_share in the summary says how often that happened.
/// </summary>
public static class SumoTabularEval
{
    /// <summary>Reads policy.json, checked against the scenario's agents and features.</summary>
    static (SumoTabularPolicy Policy, ResolvedPhaseQueueStates[] States) ReadPolicy(RunFolder folder, SumoEnv sumo)
    {
        if (!File.Exists(folder.PolicyPath)) throw new UsageException($"{folder.PolicyPath} is missing: the tabular run has not finished training");
        SumoTabularPolicy policy;
        try { policy = JsonSerializer.Deserialize<SumoTabularPolicy>(File.ReadAllText(folder.PolicyPath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new UsageException($"{folder.PolicyPath} is malformed: {e.Message.Split('\n')[0]}"); }
        if (policy.Agents is null || policy.Agents.Count != sumo.Agents.Count)
            throw new UsageException($"{folder.PolicyPath} has {policy.Agents?.Count ?? 0} agents, the scenario {sumo.Agents.Count}");
        var resolved = new ResolvedPhaseQueueStates[policy.Agents.Count];
        for (int i = 0; i < resolved.Length; i++)
        {
            var a = policy.Agents[i];
            if (a.States.AgentId != sumo.Agents[i].Id) throw new UsageException($"{folder.PolicyPath}: agent {i} is '{a.States.AgentId}', the scenario's is '{sumo.Agents[i].Id}'");
            if (a.GreedyAction is null || a.GreedyAction.Length != a.States.Count || a.GreedyAction.Any(x => x < -1 || x >= sumo.Agents[i].Action.Count))
                throw new UsageException($"{folder.PolicyPath}: agent '{a.States.AgentId}' needs {a.States.Count} greedy actions in -1..{sumo.Agents[i].Action.Count - 1}");
            try { resolved[i] = a.States.Resolve(sumo.Agents[i].Observation.FeatureNames); }
            catch (SumoException e) { throw new UsageException($"{folder.PolicyPath}: {e.Message}"); }
        }
        return (policy, resolved);
    }

    /// <summary>
    /// Greedy evaluation of a tabular SUMO run: every agent looks its own state up in its own table, for whole episodes
    /// from the evaluation seeds training never uses; tripinfo.xml of the last one lands in the run folder.
    /// </summary>
    public static JsonObject Evaluate(RunFolder folder, string env, string algo, int seed, long steps, int episodes, EvalExploration? exploration = null)
    {
        exploration ??= new EvalExploration(0);
        var scenario = SumoScenario.Resolve(env);
        using var sumo = new SumoEnv(scenario, new SumoEnvOptions { RunDirectory = Path.GetFullPath(folder.Path) });
        var (policy, states) = ReadPolicy(folder, sumo);
        int n = sumo.Agents.Count;
        var observations = sumo.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var rewards = new float[n];
        var joint = new JointAction(sumo.Agents);
        var results = new List<(TripInfoMetrics Metrics, double Wall)>();
        long decisions = 0, unvisited = 0;
        for (int e = 0; e < episodes; e++)
        {
            var clock = Stopwatch.StartNew();
            sumo.Reset(SumoEval.EvalSeedBase + e, observations);
            exploration.StartEpisode(SumoEval.EvalSeedBase + e);
            do
                for (int i = 0; i < n; i++)
                {
                    int state = states[i].StateIndex(observations[i]), action = policy.Agents[i].GreedyAction[state];
                    decisions++;
                    if (action < 0) { unvisited++; action = states[i].LongestQueuedPhase(state); }   // a state training never met
                    joint.Discrete[i] = exploration.Choose(action, sumo.Agents[i].Action.Count);
                }
            while (!sumo.Step(joint, observations, rewards).Done);
            results.Add((sumo.LastEpisode!, clock.Elapsed.TotalSeconds));
        }
        var summary = SumoEval.Summary(env, algo, seed, steps, results);
        summary["tabular"] = true;
        summary["eval_epsilon"] = exploration.Epsilon;
        summary["eval_actions"] = exploration.Rule;
        summary["eval_unvisited_state_share"] = Math.Round((double)unvisited / Math.Max(1, decisions), 4);
        summary["tripinfo"] = sumo.TripInfoPath;
        return summary;
    }
}
