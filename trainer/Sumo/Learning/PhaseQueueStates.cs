using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// The discretized observation a tabular learner gets at one intersection, built only from that intersection's own named
/// detector features: the current green phase, and for every green phase the queue on the lanes it serves (the sum of their
/// <c>lane:ID:queue</c> features), cut into Levels bins by Edges. State = phase + P · Σ_k bin_k · Levels^k, so there are
/// P · Levels^P states for P green phases. A device can build the same index from its loop detectors, since every input is
/// a feature of the observation spec.
/// </summary>
public sealed record PhaseQueueStates(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("phase_features")] IReadOnlyList<string> PhaseFeatures,
    [property: JsonPropertyName("phase_queue_features")] IReadOnlyList<IReadOnlyList<string>> PhaseQueueFeatures,
    [property: JsonPropertyName("edges")] IReadOnlyList<float> Edges)
{
    /// <summary>The most states one agent's table may have; more green phases get fewer queue levels.</summary>
    public const int MaxStates = 65_536;

    [JsonIgnore] public int Phases => PhaseFeatures.Count;
    [JsonIgnore] public int Levels => Edges.Count + 1;
    [JsonIgnore] public int Count => checked(Phases * (int)Math.Pow(Levels, Phases));

    /// <summary>
    /// Bin edges by the number of levels the table size allows: 4 levels (empty, 1–2, 3–6, 7+ queued vehicles), else 3
    /// (empty, 1–4, 5+), else 2 (empty or not).
    /// </summary>
    public static float[] EdgesFor(int phases)
    {
        foreach (var edges in new[] { new[] { 1f, 3f, 7f }, new[] { 1f, 5f }, new[] { 1f } })
            if (phases * Math.Pow(edges.Length + 1, phases) <= MaxStates) return edges;
        throw new SumoException($"an intersection with {phases} green phases has too many states for a table ({phases}·2^{phases} > {MaxStates}); train a deep learner");
    }

    /// <summary>The discretization of one agent from its observation spec and its intersection's phase-to-lane map.</summary>
    public static PhaseQueueStates For(Intersection x, ObservationSpec spec)
    {
        var names = spec.FeatureNames;
        var phases = Enumerable.Range(0, x.GreenStates.Count).Select(k => Require(names, $"phase:{k}:{x.GreenStates[k]}", x.TlsId)).ToArray();
        var queues = x.PhaseIncomingLanes
            .Select(slots => (IReadOnlyList<string>)slots.Select(s => Require(names, $"lane:{x.IncomingLanes[s].Id}:queue", x.TlsId)).ToArray())
            .ToArray();
        return new PhaseQueueStates(x.TlsId, phases, queues, EdgesFor(phases.Length));
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
        int phase = 0;
        for (int k = 1; k < phaseFeatures.Length; k++)
            if (observation[phaseFeatures[k]] > observation[phaseFeatures[phase]]) phase = k;
        int levels = edges.Length + 1, code = 0, weight = 1;
        foreach (var lanes in phaseQueueFeatures)
        {
            float queue = 0;
            foreach (int f in lanes) queue += observation[f];
            int bin = 0;
            while (bin < edges.Length && queue >= edges[bin]) bin++;
            code += bin * weight;
            weight *= levels;
        }
        return phase + phaseFeatures.Length * code;
    }
}
