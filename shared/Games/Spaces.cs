namespace MarlEdge.Shared.Games;

/// <summary>
/// What one agent observes: a flat float vector whose features are named, so a device can build the same vector from its sensors.
/// IsOneHot: every observation has exactly one feature equal to 1 and the rest 0 (a discrete state), so a learner may read it as an
/// index (a network's first layer then becomes a row lookup; the network itself, and what a device runs, stay the same).
/// </summary>
public sealed record ObservationSpec(IReadOnlyList<string> FeatureNames, bool IsOneHot = false)
{
    public int Dim => FeatureNames.Count;

    public static ObservationSpec OneHot(int states) =>
        new(Enumerable.Range(0, states).Select(s => $"state_{s}").ToArray(), IsOneHot: true);
}

/// <summary>What one agent may do: either Discrete actions 0..Count-1, or a continuous box of Dim values in [Low, High].</summary>
public sealed record ActionSpec(int Count, int Dim, float Low, float High)
{
    public bool IsDiscrete => Count > 0;
    public static ActionSpec Discrete(int count) => new(count, 0, 0, 0);
    public static ActionSpec Box(int dim, float low, float high) => new(0, dim, low, high);
}

/// <summary>One agent's own interface to the environment. Agents may differ in both spaces.</summary>
public sealed record AgentSpec(string Id, ObservationSpec Observation, ActionSpec Action);
