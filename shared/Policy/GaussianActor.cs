namespace MarlEdge.Shared.Policy;

/// <summary>
/// A Gaussian actor for continuous actions (CleanRL PPO continuous): mean = MLP(obs), and a state-independent log_std parameter
/// broadcast to every row of the batch.
/// </summary>
public sealed class GaussianActor : PolicyNetwork
{
    public Mlp Mean { get; }
    public float[] LogStd { get; }
    public override NetworkKind Kind => NetworkKind.GaussianActor;
    public override int ObservationDim => Mean.InputDim;
    public override int ActionSize => Mean.OutputDim;

    public GaussianActor(Mlp mean, float[] logStd, ObservationNormalizer? normalizer = null) : base(normalizer, mean.InputDim)
    {
        if (logStd.Length != mean.OutputDim) throw new ArgumentException($"log_std has {logStd.Length} values, the action {mean.OutputDim}");
        Mean = mean;
        LogStd = logStd;
    }

    public void Forward(ReadOnlySpan<float> obs, Span<float> mean, Span<float> logStd)
    {
        Mean.Forward(Normalize(obs), mean);
        LogStd.CopyTo(logStd);
    }

    protected override IEnumerable<NamedTensor> NetworkParameters() =>
        Mean.Parameters("mlp").Append(new NamedTensor("actor_logstd", [1, LogStd.Length], LogStd));
}
