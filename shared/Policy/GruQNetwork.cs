namespace MarlEdge.Shared.Policy;

/// <summary>
/// torch.nn.GRUCell: gates in PyTorch order (r, z, n) stacked in WeightIh [3H, I] and WeightHh [3H, H].
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
/// h' = (1 − z) ⊙ n + z ⊙ h.
/// </summary>
public sealed class GruCell
{
    public DenseLayer InputGates { get; }
    public DenseLayer HiddenGates { get; }
    public int InputDim => InputGates.InputDim;
    public int HiddenDim => HiddenGates.InputDim;
    readonly float[] _gi, _gh;

    public GruCell(DenseLayer inputGates, DenseLayer hiddenGates)
    {
        int h = hiddenGates.InputDim;
        if (inputGates.OutputDim != 3 * h || hiddenGates.OutputDim != 3 * h)
            throw new ArgumentException($"GRU gate layers must output 3×{h}, got {inputGates.OutputDim} and {hiddenGates.OutputDim}");
        InputGates = inputGates;
        HiddenGates = hiddenGates;
        _gi = new float[3 * h];
        _gh = new float[3 * h];
    }

    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> h, Span<float> hOut)
    {
        InputGates.Forward(x, _gi);
        HiddenGates.Forward(h, _gh);
        int n = HiddenDim;
        for (int k = 0; k < n; k++)
        {
            float r = Sigmoid(_gi[k] + _gh[k]);
            float z = Sigmoid(_gi[n + k] + _gh[n + k]);
            float candidate = MathF.Tanh(_gi[2 * n + k] + r * _gh[2 * n + k]);
            hOut[k] = candidate + z * (h[k] - candidate);
        }
    }

    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public IEnumerable<NamedTensor> Parameters(string prefix)
    {
        yield return new NamedTensor($"{prefix}.weight_ih", [InputGates.OutputDim, InputGates.InputDim], InputGates.Weight);
        yield return new NamedTensor($"{prefix}.bias_ih", [InputGates.OutputDim], InputGates.Bias);
        yield return new NamedTensor($"{prefix}.weight_hh", [HiddenGates.OutputDim, HiddenGates.InputDim], HiddenGates.Weight);
        yield return new NamedTensor($"{prefix}.bias_hh", [HiddenGates.OutputDim], HiddenGates.Bias);
    }
}

/// <summary>
/// A recurrent Q-network (DRQN-style): obs → Linear → ReLU → GRUCell(state_in) → state_out → Linear → q_values.
/// The caller carries the hidden state from one step to the next (zeros at the start of an episode).
/// </summary>
public sealed class GruQNetwork : PolicyNetwork
{
    public DenseLayer Encoder { get; }
    public GruCell Cell { get; }
    public DenseLayer Head { get; }
    public int HiddenDim => Cell.HiddenDim;
    public override NetworkKind Kind => NetworkKind.GruQNetwork;
    public override int ObservationDim => Encoder.InputDim;
    public override int ActionSize => Head.OutputDim;
    readonly float[] _encoded;

    public GruQNetwork(DenseLayer encoder, GruCell cell, DenseLayer head, ObservationNormalizer? normalizer = null) : base(normalizer, encoder.InputDim)
    {
        if (cell.InputDim != encoder.OutputDim || head.InputDim != cell.HiddenDim)
            throw new ArgumentException("GRU Q-network layer sizes do not chain");
        Encoder = encoder;
        Cell = cell;
        Head = head;
        _encoded = new float[encoder.OutputDim];
    }

    public static GruQNetwork Create(int obsDim, int encodedDim, int hiddenDim, int actions, Random rng)
    {
        var encoder = new DenseLayer(obsDim, encodedDim);
        var ih = new DenseLayer(encodedDim, 3 * hiddenDim);
        var hh = new DenseLayer(hiddenDim, 3 * hiddenDim);
        var head = new DenseLayer(hiddenDim, actions);
        encoder.InitUniform(rng);
        head.InitUniform(rng);
        // torch.nn.GRUCell initializes everything in ±1/sqrt(hidden).
        float bound = 1f / MathF.Sqrt(hiddenDim);
        foreach (var a in new[] { ih.Weight, ih.Bias, hh.Weight, hh.Bias })
            for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
        return new GruQNetwork(encoder, new GruCell(ih, hh), head);
    }

    /// <summary>One step: fills stateOut and qValues, returns the masked greedy action.</summary>
    public int Act(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, ReadOnlySpan<float> stateIn, Span<float> stateOut, Span<float> qValues)
    {
        Encoder.Forward(Normalize(obs), _encoded);
        Activation.ReLU.ApplyInPlace(_encoded);
        Cell.Forward(_encoded, stateIn, stateOut);
        Head.Forward(stateOut, qValues);
        return MaskedGreedy.Action(qValues[..ActionSize], mask);
    }

    protected override IEnumerable<NamedTensor> NetworkParameters() =>
        Encoder.Parameters("encoder").Concat(Cell.Parameters("gru")).Concat(Head.Parameters("head"));
}
