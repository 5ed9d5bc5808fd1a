using MarlEdge.Shared.Games;

namespace MarlEdge.Shared.Policy;

/// <summary>
/// A tabular policy as a network: the one-hot state observation times a [states, actions] table (a MatMul), so a tabularly trained
/// agent deploys like any other. The table holds Q-values or logits; from policy.json it holds log-probabilities.
/// </summary>
public sealed class TabularPolicyNet : DiscretePolicyNetwork
{
    /// <summary>Probabilities below this become this in log space, keeping the table finite.</summary>
    public const float ProbabilityFloor = 1e-12f;

    public int NumStates { get; }
    public int NumActions { get; }
    /// <summary>[NumStates, NumActions] row-major.</summary>
    public float[] Table { get; }
    public override string OutputName { get; }
    public override NetworkKind Kind => NetworkKind.Tabular;
    public override int ObservationDim => NumStates;
    public override int ActionSize => NumActions;

    public TabularPolicyNet(int numStates, int numActions, float[] table, string outputName) : base(null, numStates)
    {
        if (table.Length != numStates * numActions) throw new ArgumentException($"the table has {table.Length} values, not {numStates}×{numActions}");
        if (outputName is not ("q_values" or "logits")) throw new ArgumentException($"a tabular net outputs q_values or logits, not '{outputName}'");
        NumStates = numStates;
        NumActions = numActions;
        Table = table;
        OutputName = outputName;
    }

    /// <summary>Agent i's policy from policy.json as logits: log p(a|s), floored at <see cref="ProbabilityFloor"/>.</summary>
    public static TabularPolicyNet FromPolicy(TabularPolicy policy, int agent)
    {
        var probs = policy.Probs[agent];
        var table = new float[probs.Length];
        for (int k = 0; k < probs.Length; k++) table[k] = MathF.Log(MathF.Max((float)probs[k], ProbabilityFloor));
        return new TabularPolicyNet(policy.NumStates, policy.NumActions[agent], table, "logits");
    }

    /// <summary>values = obs · Table. For a one-hot obs this is the state's row.</summary>
    protected override void Values(ReadOnlySpan<float> obs, Span<float> values)
    {
        values[..NumActions].Clear();
        for (int s = 0; s < NumStates; s++)
        {
            float x = obs[s];
            if (x == 0) continue;
            var row = Table.AsSpan(s * NumActions, NumActions);
            for (int a = 0; a < NumActions; a++) values[a] += x * row[a];
        }
    }

    protected override IEnumerable<NamedTensor> NetworkParameters()
    {
        yield return new NamedTensor("table", [NumStates, NumActions], Table);
    }
}
