namespace MarlEdge.Shared.Policy;

/// <summary>An MLP Q-network (CleanRL DQN): obs → q_values; action = masked argmax.</summary>
public sealed class QNetwork(Mlp mlp, ObservationNormalizer? normalizer = null) : DiscretePolicyNetwork(normalizer, mlp.InputDim)
{
    public Mlp Mlp { get; } = mlp;
    public override NetworkKind Kind => NetworkKind.QNetwork;
    public override int ObservationDim => Mlp.InputDim;
    public override int ActionSize => Mlp.OutputDim;
    public override string OutputName => "q_values";
    protected override void Values(ReadOnlySpan<float> obs, Span<float> values) => Mlp.Forward(obs, values);
    protected override IEnumerable<NamedTensor> NetworkParameters() => Mlp.Parameters("mlp");
}

/// <summary>A categorical actor (CleanRL PPO): obs → logits; the deployed action is the masked most likely one.</summary>
public sealed class CategoricalActor(Mlp mlp, ObservationNormalizer? normalizer = null) : DiscretePolicyNetwork(normalizer, mlp.InputDim)
{
    public Mlp Mlp { get; } = mlp;
    public override NetworkKind Kind => NetworkKind.CategoricalActor;
    public override int ObservationDim => Mlp.InputDim;
    public override int ActionSize => Mlp.OutputDim;
    public override string OutputName => "logits";
    protected override void Values(ReadOnlySpan<float> obs, Span<float> values) => Mlp.Forward(obs, values);
    protected override IEnumerable<NamedTensor> NetworkParameters() => Mlp.Parameters("mlp");
}
