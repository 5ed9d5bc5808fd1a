using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>tabular-run.json: everything a resume needs.</summary>
public sealed record TabularSumoRunFile(string Env, string Algo, int Seed, long Steps, string Set);

/// <summary>
/// `./marl train --tabular --env sumo:...`: the tabular learners of the foundation issue (IQL, MA2QL, I2Q, IPPO, DPO) on a
/// SUMO scenario. Each intersection is one agent whose state is its own <see cref="PhaseQueueStates"/> (current phase and
/// the binned queue each green phase serves) and whose reward is its own, scaled by the scenario's reward_scale; an
/// episode's end is a truncation (a one-hour horizon, not a terminal state). The run folder holds config.json,
/// episodes.csv (as deep SUMO runs), curve.png, policy.json (each agent's discretization and greedy action per state),
/// tabular-run.json (what a resume needs), checkpoint.bin (every agent's tables and random state, every 10 episodes), and
/// after the greedy evaluation on a held-out seed tripinfo.xml and summary.json. A run whose SUMO dies leaves the last
/// checkpoint and episodes.csv consistent: `./marl train --resume DIR` continues and ends where an uninterrupted run ends.
/// </summary>
public static class SumoTabularTraining
{
    const string Kind = "sumo-tabular";
    public const string RunFile = "tabular-run.json", CheckpointFile = "checkpoint.bin";

    /// <summary>A checkpoint after every this many training episodes, so a run whose SUMO dies resumes from at most that far back.</summary>
    public const int CheckpointEveryEpisodes = 10;

    static readonly byte[] Magic = "MARLTAB1"u8.ToArray();

    /// <summary>Whether a run folder holds a tabular run on a sumo: environment.</summary>
    public static bool IsTabularSumoRun(string folder) => File.Exists(Path.Combine(folder, RunFile));

    public static JsonObject Start(RunFolder folder, string env, string algo, LearnerOptions options, long steps, int seed, bool quiet, string? set = null)
    {
        var scenario = SumoScenario.Resolve(env);
        Traci.SumoBinary.Locate(null);
        Directory.CreateDirectory(folder.Path);
        var config = new Dictionary<string, object>(options.For(algo)) { ["kind"] = Kind, ["scenario"] = scenario.Config };
        folder.WriteConfig(new RunConfig(env, algo, seed, steps, true, $"sumo-tabular-{algo}-seed{seed}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}",
            DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), config));
        var file = new TabularSumoRunFile(env, algo, seed, steps, set ?? "");
        AtomicFile.WriteAllText(Path.Combine(folder.Path, RunFile), JsonSerializer.Serialize(file, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        foreach (string f in new[] { folder.PolicyPath, folder.SummaryPath, Path.Combine(folder.Path, CheckpointFile), Path.Combine(folder.Path, SumoTraining.EpisodesFile) })
            File.Delete(f);
        return Execute(folder, file, options, quiet);
    }

    /// <summary>`./marl train --resume DIR` on a tabular SUMO run: continues from checkpoint.bin (or from step 0 without one) and ends where an uninterrupted run ends.</summary>
    public static JsonObject Resume(RunFolder folder, bool quiet)
    {
        string path = Path.Combine(folder.Path, RunFile);
        TabularSumoRunFile file;
        try { file = JsonSerializer.Deserialize<TabularSumoRunFile>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new UsageException($"{path} is malformed: {e.Message.Split('\n')[0]}"); }
        return Execute(folder, file, LearnerOptions.Default.With(file.Algo, file.Set), quiet);
    }

    static JsonObject Execute(RunFolder folder, TabularSumoRunFile file, LearnerOptions options, bool quiet)
    {
        var (env, algo, seed, steps) = (file.Env, file.Algo, file.Seed, file.Steps);
        var scenario = SumoScenario.Resolve(env);
        var log = SumoTraining.ReadEpisodes(folder);
        SumoTabularPolicy policy;
        using (var sumo = new SumoEnv(scenario))
        {
            int n = sumo.Agents.Count;
            var states = new PhaseQueueStates[n];
            var resolved = new ResolvedPhaseQueueStates[n];
            var agents = new TabularAgent[n];
            for (int i = 0; i < n; i++)
            {
                states[i] = PhaseQueueStates.For(sumo.Intersections[i], sumo.Agents[i].Observation);
                resolved[i] = states[i].Resolve(sumo.Agents[i].Observation.FeatureNames);
                agents[i] = options.Create(algo, new AgentTask(i, n, states[i].Count, sumo.Agents[i].Action.Count, sumo.Gamma, steps, (ulong)seed));
            }
            var tried = Enumerable.Range(0, n).Select(i => new bool[states[i].Count * sumo.Agents[i].Action.Count]).ToArray();   // (s, a_i) played
            long start = ReadCheckpoint(folder, agents, tried);
            log.RemoveAll(e => e.Step > start);     // episodes after the checkpoint run again
            SumoTraining.WriteEpisodes(folder, log);

            var observations = sumo.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
            var rewards = new float[n];
            var joint = new JointAction(sumo.Agents);
            int[] s = new int[n], s2 = new int[n];
            float rewardScale = (float)scenario.Config.RewardScale;
            double episodeReturn = 0, lastEnd = 0;
            var clock = Stopwatch.StartNew();

            using var progress = new ProgressLine($"train tabular {algo} on SUMO", steps, quiet);
            bool needReset = true;
            long episode = start / sumo.EpisodeLimit;   // checkpoints fall on episode ends, and every episode is EpisodeLimit steps
            for (long step = start; step < steps; step++)
            {
                if (needReset)
                {
                    sumo.Reset(Deep.Training.VecEnv.EpisodeSeed(seed, 0, episode++), observations);   // episode k's seed, as the deep trainer's
                    for (int i = 0; i < n; i++) s[i] = resolved[i].StateIndex(observations[i]);
                    needReset = false;
                }
                for (int i = 0; i < n; i++)
                {
                    joint.Discrete[i] = agents[i].Act(s[i], step);
                    tried[i][s[i] * sumo.Agents[i].Action.Count + joint.Discrete[i]] = true;
                }
                var result = sumo.Step(joint, observations, rewards);
                for (int i = 0; i < n; i++)
                {
                    s2[i] = resolved[i].StateIndex(observations[i]);
                    // each agent learns from its own (o_i, a_i, r_i, o_i') only
                    agents[i].Observe(new Experience(s[i], joint.Discrete[i], rewards[i] * rewardScale, s2[i], result.Terminated, result.Truncated, step));
                }
                episodeReturn += rewards[0] * rewardScale;
                (s, s2) = (s2, s);
                if (result.Terminated || result.Truncated)
                {
                    double now = clock.Elapsed.TotalSeconds;
                    log.Add(new SumoTrainingEpisode(log.Count, step + 1, sumo.LastEpisode!, now - lastEnd));
                    lastEnd = now;
                    SumoTraining.WriteEpisodes(folder, log);   // before the checkpoint: a crash between them leaves the older checkpoint
                    if (episode % CheckpointEveryEpisodes == 0 && step + 1 < steps) WriteCheckpoint(folder, step + 1, agents, tried);
                    progress.Report(step + 1, episodeReturn);
                    episodeReturn = 0;
                    needReset = true;
                }
            }
            progress.Done();
            foreach (var agent in agents) agent.Finish();
            policy = new SumoTabularPolicy(scenario.Name, algo, Enumerable.Range(0, n)
                .Select(i =>
                {
                    var table = GreedyTable(agents[i], tried[i], states[i].Count, sumo.Agents[i].Action.Count);
                    return new SumoTabularAgentPolicy(states[i], table, table.Count(a => a >= 0));
                })
                .ToArray());
        }
        AtomicFile.WriteAllText(folder.PolicyPath, JsonSerializer.Serialize(policy) + "\n");
        CurvePlot.Write(folder.CurvePath, $"tabular {algo} on {scenario.Name} (seed {seed})", "training episode", "average delay (s, RESCO's definition)",
            [("training episode avg_delay", log.Select(e => (double)(e.Episode + 1)).ToArray(), log.Select(e => e.Metrics.AvgDelay).ToArray())]);

        var summary = SumoTabularEval.Evaluate(folder, env, algo, seed, steps, episodes: 1);
        summary["training_episodes"] = log.Count;
        summary["states_per_agent"] = new JsonArray(policy.Agents.Select(a => (JsonNode)JsonValue.Create(a.States.Count)).ToArray());
        summary["visited_states_per_agent"] = new JsonArray(policy.Agents.Select(a => (JsonNode)JsonValue.Create(a.VisitedStates)).ToArray());
        if (log.Count > 0)
        {
            summary["train_wall_seconds_per_episode"] = Math.Round(log.Average(e => e.WallSeconds), 3);
            summary["train_last_avg_delay"] = Math.Round(log[^1].Metrics.AvgDelay, 4);
        }
        AtomicFile.WriteAllText(folder.SummaryPath, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return summary;
    }

    /// <summary>checkpoint.bin: the step, then per agent the (state, action) pairs it played and its full learning state (atomically replaced).</summary>
    static void WriteCheckpoint(RunFolder folder, long step, TabularAgent[] agents, bool[][] tried)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(step);
            w.Write(agents.Length);
            for (int i = 0; i < agents.Length; i++)
            {
                AgentStateIo.Write(w, tried[i]);
                agents[i].WriteState(w);
            }
        }
        AtomicFile.WriteAllBytes(Path.Combine(folder.Path, CheckpointFile), buffer.ToArray());
    }

    /// <summary>Loads checkpoint.bin into freshly made agents and returns its step (0 when there is none).</summary>
    static long ReadCheckpoint(RunFolder folder, TabularAgent[] agents, bool[][] tried)
    {
        string path = Path.Combine(folder.Path, CheckpointFile);
        if (!File.Exists(path)) return 0;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not a tabular checkpoint");
            long step = r.ReadInt64();
            if (r.ReadInt32() != agents.Length) throw new InvalidDataException("its agent count differs from the scenario's");
            for (int i = 0; i < agents.Length; i++)
            {
                AgentStateIo.ReadInto(r, tried[i]);
                agents[i].ReadState(r);
            }
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException("trailing bytes");
            return step;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException)
        {
            throw new UsageException($"{path} is corrupt ({e.Message}): delete it to train from step 0");
        }
    }

    /// <summary>
    /// The greedy table: in every state the action the agent prefers most among those it tried there in training (ties to
    /// the lowest index). A Q-learner's untried actions keep their initial 0, which beats every tried action when the
    /// rewards are costs, so they are not candidates. A state the agent never acted in gets -1: at evaluation it serves
    /// its longest-queued phase (<see cref="ResolvedPhaseQueueStates.LongestQueuedPhase"/>), and the summary counts how often.
    /// </summary>
    static int[] GreedyTable(TabularAgent agent, bool[] tried, int states, int actions)
    {
        var table = new int[states];
        var values = new double[actions];
        for (int s = 0; s < states; s++)
        {
            agent.WritePreferences(s, values);
            int best = -1;
            for (int a = 0; a < actions; a++)
                if (tried[s * actions + a] && (best < 0 || values[a] > values[best])) best = a;
            table[s] = best;
        }
        return table;
    }
}
