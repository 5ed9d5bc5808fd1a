namespace MarlEdge.Shared.Policy;

/// <summary>The network types the learners produce; the name is what a model's metadata and the bundle manifest say.</summary>
public enum NetworkKind { QNetwork, CategoricalActor, GaussianActor, GruQNetwork, Tabular }

public static class NetworkKinds
{
    public static string Name(this NetworkKind kind) => kind switch
    {
        NetworkKind.QNetwork => "q_network",
        NetworkKind.CategoricalActor => "categorical_actor",
        NetworkKind.GaussianActor => "gaussian_actor",
        NetworkKind.GruQNetwork => "gru_q_network",
        NetworkKind.Tabular => "tabular",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static NetworkKind? Parse(string name) => name switch
    {
        "q_network" => NetworkKind.QNetwork,
        "categorical_actor" => NetworkKind.CategoricalActor,
        "gaussian_actor" => NetworkKind.GaussianActor,
        "gru_q_network" => NetworkKind.GruQNetwork,
        "tabular" => NetworkKind.Tabular,
        _ => null,
    };
}

/// <summary>
/// One agent's policy network, held as plain float arrays: the trainer fills it, the ONNX writer and reader convert it, and the
/// edge runtime runs and updates it. Forward passes write into caller buffers and the instance's own scratch, never allocating;
/// an instance is therefore not safe to run from two threads at once.
/// </summary>
public abstract class PolicyNetwork
{
    public abstract NetworkKind Kind { get; }
    public abstract int ObservationDim { get; }
    /// <summary>The number of discrete actions, or the dimension of a continuous action.</summary>
    public abstract int ActionSize { get; }
    public bool IsDiscrete => Kind != NetworkKind.GaussianActor;
    /// <summary>Applied to raw observations first, in the ONNX graph as well. Null: observations go in as they are.</summary>
    public ObservationNormalizer? Normalizer { get; }
    readonly float[]? _normalizedObs;

    protected PolicyNetwork(ObservationNormalizer? normalizer, int observationDim)
    {
        if (normalizer is not null && normalizer.Mean.Length != observationDim)
            throw new ArgumentException($"the normalizer covers {normalizer.Mean.Length} features, the network takes {observationDim}");
        Normalizer = normalizer;
        _normalizedObs = normalizer is null ? null : new float[observationDim];
    }

    /// <summary>Every parameter tensor, by its ONNX initializer name, viewing the network's own arrays.</summary>
    public IEnumerable<NamedTensor> Parameters() =>
        (Normalizer?.Parameters() ?? []).Concat(NetworkParameters());

    protected abstract IEnumerable<NamedTensor> NetworkParameters();

    protected ReadOnlySpan<float> Normalize(ReadOnlySpan<float> obs)
    {
        if (Normalizer is null) return obs;
        Normalizer.Apply(obs, _normalizedObs);
        return _normalizedObs;
    }
}

/// <summary>The action mask rule every discrete graph applies: masked-out actions (mask ≤ 0) can never be the greedy action.</summary>
public static class MaskedGreedy
{
    /// <summary>Stands in for −∞ in the graph (finite, so no weight check ever trips on it).</summary>
    public const float MaskedValue = float.MinValue;

    /// <summary>argmax over allowed actions, the first index on ties (as ONNX ArgMax and torch.argmax do).</summary>
    public static int Action(ReadOnlySpan<float> values, ReadOnlySpan<float> mask)
    {
        int best = 0;
        float bestValue = float.NegativeInfinity;
        for (int a = 0; a < values.Length; a++)
        {
            float v = mask[a] > 0 ? values[a] : MaskedValue;
            if (v > bestValue) { bestValue = v; best = a; }
        }
        return best;
    }
}

/// <summary>A network with discrete actions: it outputs one value per action (<see cref="OutputName"/>) and the masked greedy action.</summary>
public abstract class DiscretePolicyNetwork(ObservationNormalizer? normalizer, int observationDim) : PolicyNetwork(normalizer, observationDim)
{
    /// <summary>"q_values" or "logits": the graph output holding one value per action.</summary>
    public abstract string OutputName { get; }

    /// <summary>Fills values (length ActionSize) and returns the masked greedy action.</summary>
    public int Act(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, Span<float> values)
    {
        Values(Normalize(obs), values);
        return MaskedGreedy.Action(values[..ActionSize], mask);
    }

    protected abstract void Values(ReadOnlySpan<float> normalizedObs, Span<float> values);
}
