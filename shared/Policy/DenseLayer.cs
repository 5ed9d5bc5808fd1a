namespace MarlEdge.Shared.Policy;

/// <summary>y = W x + b, with W stored [out, in] row-major, exactly like torch.nn.Linear's weight.</summary>
public sealed class DenseLayer
{
    public int InputDim { get; }
    public int OutputDim { get; }
    /// <summary>[OutputDim, InputDim], row-major.</summary>
    public float[] Weight { get; }
    public float[] Bias { get; }

    public DenseLayer(int inputDim, int outputDim, float[]? weight = null, float[]? bias = null)
    {
        if (inputDim < 1 || outputDim < 1) throw new ArgumentException($"a dense layer needs positive sizes, got {inputDim}→{outputDim}");
        InputDim = inputDim;
        OutputDim = outputDim;
        Weight = weight ?? new float[outputDim * inputDim];
        Bias = bias ?? new float[outputDim];
        if (Weight.Length != outputDim * inputDim) throw new ArgumentException($"weight has {Weight.Length} values, not {outputDim}×{inputDim}");
        if (Bias.Length != outputDim) throw new ArgumentException($"bias has {Bias.Length} values, not {outputDim}");
    }

    /// <summary>Writes W x + b into y. No allocation.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        var w = Weight.AsSpan();
        for (int o = 0; o < OutputDim; o++)
        {
            var row = w.Slice(o * InputDim, InputDim);
            float sum = 0;
            for (int i = 0; i < row.Length; i++) sum += row[i] * x[i];
            y[o] = sum + Bias[o];
        }
    }

    public IEnumerable<NamedTensor> Parameters(string prefix)
    {
        yield return new NamedTensor($"{prefix}.weight", [OutputDim, InputDim], Weight);
        yield return new NamedTensor($"{prefix}.bias", [OutputDim], Bias);
    }

    /// <summary>Fills weights and biases uniformly in ±1/sqrt(in), torch.nn.Linear's default range.</summary>
    public void InitUniform(Random rng)
    {
        float bound = 1f / MathF.Sqrt(InputDim);
        for (int i = 0; i < Weight.Length; i++) Weight[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
        for (int i = 0; i < Bias.Length; i++) Bias[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
    }
}
