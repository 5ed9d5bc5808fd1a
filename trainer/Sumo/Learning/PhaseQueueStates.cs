using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// The discretized observation a tabular learner gets at one intersection, built only from that intersection's own named
/// detector features. For each green phase k its queue q_k is the sum of the <c>lane:ID:queue</c> features of the lanes it
/// serves. The state is (c, m, bin(q_m), bin(q_c)): the current green phase c, the phase m with the longest queue (ties
/// to the lowest index), and the binned queues of m and of c, with bins cut by Edges (default: empty, 1–2, 3–6, 7+
/// vehicles). That is P² · Levels² states for P green phases (1,024 for RESCO grid4x4's 8 phases): small enough to be
/// visited within 100 one-hour episodes, and rich enough to express longest-queue-first and when to hold a green. A
/// device can build the same index from its loop detectors, since every input is a feature of the observation spec.
/// </summary>
public sealed record PhaseQueueStates(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("phase_features")] IReadOnlyList<string> PhaseFeatures,
    [property: JsonPropertyName("phase_queue_features")] IReadOnlyList<IReadOnlyList<string>> PhaseQueueFeatures,
    [property: JsonPropertyName("edges")] IReadOnlyList<float> Edges)
{
    /// <summary>Queue bin edges in vehicles: empty, 1–2, 3–6, 7 or more.</summary>
    public static readonly float[] DefaultEdges = [1f, 3f, 7f];

    [JsonIgnore] public int Phases => PhaseFeatures.Count;
    [JsonIgnore] public int Levels => Edges.Count + 1;
    [JsonIgnore] public int Count => checked(Phases * Phases * Levels * Levels);

    /// <summary>The discretization of one agent from its observation spec and its intersection's phase-to-lane map.</summary>
    public static PhaseQueueStates For(Intersection x, ObservationSpec spec)
    {
        var names = spec.FeatureNames;
        var phases = Enumerable.Range(0, x.GreenStates.Count).Select(k => Require(names, $"phase:{k}:{x.GreenStates[k]}", x.TlsId)).ToArray();
        var queues = x.PhaseIncomingLanes
            .Select(slots => (IReadOnlyList<string>)slots.Select(s => Require(names, $"lane:{x.IncomingLanes[s].Id}:queue", x.TlsId)).ToArray())
            .ToArray();
        return new PhaseQueueStates(x.TlsId, phases, queues, DefaultEdges);
    }

    static string Require(IReadOnlyList<string> names, string feature, string tls) =>
        names.Contains(feature) ? feature : throw new SumoException($"traffic light '{tls}': its observation has no feature '{feature}'");

    /// <summary>Feature indices resolved against one observation vector's names, for <see cref="StateIndex"/>.</summary>
    public ResolvedPhaseQueueStates Resolve(IReadOnlyList<string> names)
    {
        int Index(string f)
        {
            for (int k = 0; k < names.Count; k++) if (names[k] == f) return k;
            throw new SumoException($"agent '{AgentId}': its observation has no feature '{f}'");
        }
        return new ResolvedPhaseQueueStates(
            PhaseFeatures.Select(Index).ToArray(),
            PhaseQueueFeatures.Select(lanes => lanes.Select(Index).ToArray()).ToArray(),
            Edges.ToArray());
    }
}

/// <summary><see cref="PhaseQueueStates"/> with feature indices; <see cref="StateIndex"/> does not allocate.</summary>
public sealed class ResolvedPhaseQueueStates(int[] phaseFeatures, int[][] phaseQueueFeatures, float[] edges)
{
    public int StateIndex(ReadOnlySpan<float> observation)
    {
        int phases = phaseFeatures.Length, current = 0;
        for (int k = 1; k < phases; k++)
            if (observation[phaseFeatures[k]] > observation[phaseFeatures[current]]) current = k;
        int longest = 0;
        float longestQueue = -1, currentQueue = 0;
        for (int k = 0; k < phases; k++)
        {
            float queue = 0;
            foreach (int f in phaseQueueFeatures[k]) queue += observation[f];
            if (queue > longestQueue) { longest = k; longestQueue = queue; }
            if (k == current) currentQueue = queue;
        }
        int levels = edges.Length + 1;
        return current + phases * (longest + phases * (Bin(longestQueue) + levels * Bin(currentQueue)));   // (c, m, bin q_m, bin q_c)
    }

    /// <summary>The phase with the longest queue that a state index encodes (its m).</summary>
    public int LongestQueuedPhase(int state) => state / phaseFeatures.Length % phaseFeatures.Length;

    int Bin(float queue)
    {
        int bin = 0;
        while (bin < edges.Length && queue >= edges[bin]) bin++;
        return bin;
    }
}
