using MarlEdge.Shared.Policy;

namespace MarlEdge.Shared.Learning;

/// <summary>
/// Batched forward, backward and Adam for an <see cref="Mlp"/>, updating the network's own weight arrays in place. Every buffer is
/// sized for <c>maxBatch</c> at construction, so a training step allocates nothing. Not thread-safe: one trainer per thread.
/// </summary>
public sealed class MlpTrainer
{
    public Mlp Mlp { get; }
    public int MaxBatch { get; }
    readonly float[][] _acts;          // _acts[0] = input copy, _acts[l+1] = output of layer l (post-activation for hidden)
    readonly float[][] _grads;         // dL/d(output of layer l), same shapes as _acts[l+1]
    readonly float[][] _gw, _gb;       // parameter gradients
    readonly float[][] _mw, _vw, _mb, _vb;
    readonly float[] _pingB, _pongB;
    readonly float[] _wt;              // scratch for a layer's transposed weight (Kernels.Forward)
    public float LearningRate { get; set; }
    public float Beta1 { get; set; } = 0.9f;
    public float Beta2 { get; set; } = 0.999f;
    public float Epsilon { get; set; } = 1e-8f;
    /// <summary>Global gradient-norm clip (0: none).</summary>
    public float MaxGradNorm { get; set; } = 10f;
    long _step;

    public MlpTrainer(Mlp mlp, int maxBatch, float learningRate)
    {
        Mlp = mlp;
        MaxBatch = maxBatch;
        LearningRate = learningRate;
        int n = mlp.Layers.Count;
        _acts = new float[n + 1][];
        _grads = new float[n][];
        _acts[0] = new float[maxBatch * mlp.InputDim];
        _gw = new float[n][]; _gb = new float[n][]; _mw = new float[n][]; _vw = new float[n][]; _mb = new float[n][]; _vb = new float[n][];
        for (int l = 0; l < n; l++)
        {
            var layer = mlp.Layers[l];
            _acts[l + 1] = new float[maxBatch * layer.OutputDim];
            _grads[l] = new float[maxBatch * layer.OutputDim];
            _gw[l] = new float[layer.Weight.Length]; _mw[l] = new float[layer.Weight.Length]; _vw[l] = new float[layer.Weight.Length];
            _gb[l] = new float[layer.Bias.Length]; _mb[l] = new float[layer.Bias.Length]; _vb[l] = new float[layer.Bias.Length];
        }
        _pingB = new float[maxBatch * mlp.Layers.Max(l => l.OutputDim)];
        _pongB = new float[maxBatch * mlp.Layers.Max(l => l.OutputDim)];
        _wt = new float[mlp.Layers.Max(l => l.Weight.Length)];
    }

    /// <summary>Forward over a batch (x is [batch, in] row-major); keeps activations for <see cref="Backward"/>. Returns the output [batch, out].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        if (batch > MaxBatch) throw new ArgumentException($"batch {batch} exceeds the trainer's {MaxBatch}");
        x[..(batch * Mlp.InputDim)].CopyTo(_acts[0]);
        for (int l = 0; l < Mlp.Layers.Count; l++)
        {
            var layer = Mlp.Layers[l];
            var input = _acts[l].AsSpan(0, batch * layer.InputDim);
            var output = _acts[l + 1].AsSpan(0, batch * layer.OutputDim);
            Dense(layer, input, output, batch);
            if (l < Mlp.Layers.Count - 1) Mlp.Activation.ApplyInPlace(output);
        }
        return _acts[^1].AsSpan(0, batch * Mlp.OutputDim);
    }

    /// <summary>Y = X Wᵀ + b over a batch.</summary>
    void Dense(DenseLayer layer, ReadOnlySpan<float> x, Span<float> y, int batch) =>
        Kernels.Forward(x, layer.Weight, layer.Bias, y, _wt.AsSpan(0, layer.Weight.Length), batch, layer.InputDim, layer.OutputDim);

    /// <summary>Inference-only forward over a batch into out (no activations kept), using the trainer's scratch; allocation-free. The
    /// network must have this trainer's network's shapes (its target copy, say).</summary>
    public void Predict(Mlp mlp, ReadOnlySpan<float> x, int batch, Span<float> output)
    {
        ReadOnlySpan<float> input = x;
        for (int l = 0; l < mlp.Layers.Count; l++)
        {
            var layer = mlp.Layers[l];
            bool last = l == mlp.Layers.Count - 1;
            Span<float> o = last ? output[..(batch * layer.OutputDim)] : (l % 2 == 0 ? _pingB : _pongB).AsSpan(0, batch * layer.OutputDim);
            Dense(layer, input, o, batch);
            if (!last) mlp.Activation.ApplyInPlace(o);
            input = o;
        }
    }

    /// <summary>The gradient buffer for the output, [batch, out]: fill it with dL/d(output) after <see cref="Forward"/>, then call <see cref="Backward"/>.</summary>
    public Span<float> OutputGradient(int batch) => _grads[^1].AsSpan(0, batch * Mlp.OutputDim);

    /// <summary>Backpropagates the output gradient through the last forward batch into the parameter gradients (overwritten).</summary>
    public void Backward(int batch)
    {
        for (int l = Mlp.Layers.Count - 1; l >= 0; l--)
        {
            var layer = Mlp.Layers[l];
            int inD = layer.InputDim, outD = layer.OutputDim;
            var gOut = _grads[l].AsSpan(0, batch * outD);
            Kernels.WeightGradient(gOut, _acts[l].AsSpan(0, batch * inD), _gw[l], _gb[l], batch, inD, outD);
            if (l == 0) break;
            // dL/d(input) = G W, then through the previous layer's activation (its output is our input).
            var gIn = _grads[l - 1].AsSpan(0, batch * inD);
            Kernels.InputGradient(gOut, layer.Weight, gIn, batch, inD, outD);
            var a = _acts[l].AsSpan(0, batch * inD);
            if (Mlp.Activation == Activation.ReLU)
                for (int i = 0; i < gIn.Length; i++) { if (a[i] <= 0) gIn[i] = 0; }
            else
                for (int i = 0; i < gIn.Length; i++) gIn[i] *= 1 - a[i] * a[i];
        }
    }

    /// <summary>The weight gradient of a layer from the last <see cref="Backward"/> ([out, in], like the weight).</summary>
    public ReadOnlySpan<float> WeightGradient(int layer) => _gw[layer];
    public ReadOnlySpan<float> BiasGradient(int layer) => _gb[layer];

    /// <summary>One Adam step on the gradients from <see cref="Backward"/> (after global-norm clipping).</summary>
    public void AdamStep()
    {
        float scale = 1;
        if (MaxGradNorm > 0)
        {
            double sq = 0;
            for (int l = 0; l < _gw.Length; l++) sq += Kernels.SumOfSquares(_gw[l]) + Kernels.SumOfSquares(_gb[l]);
            double norm = Math.Sqrt(sq);
            if (norm > MaxGradNorm) scale = (float)(MaxGradNorm / norm);
        }
        _step++;
        float c1 = 1 - MathF.Pow(Beta1, _step), c2 = 1 - MathF.Pow(Beta2, _step);
        float lr = LearningRate * MathF.Sqrt(c2) / c1;
        for (int l = 0; l < _gw.Length; l++)
        {
            Adam(Mlp.Layers[l].Weight, _gw[l], _mw[l], _vw[l], scale, lr);
            Adam(Mlp.Layers[l].Bias, _gb[l], _mb[l], _vb[l], scale, lr);
        }
    }

    void Adam(float[] p, float[] g, float[] m, float[] v, float scale, float lr) =>
        Kernels.Adam(p, g, m, v, scale, lr, Beta1, Beta2, Epsilon);

    /// <summary>Copies every weight and bias of <paramref name="from"/> into <paramref name="to"/> (same shapes).</summary>
    public static void CopyWeights(Mlp from, Mlp to)
    {
        for (int l = 0; l < from.Layers.Count; l++)
        {
            from.Layers[l].Weight.AsSpan().CopyTo(to.Layers[l].Weight);
            from.Layers[l].Bias.AsSpan().CopyTo(to.Layers[l].Bias);
        }
    }

    /// <summary>A deep copy of an MLP's weights.</summary>
    public static Mlp Clone(Mlp mlp) => new(mlp.Layers.Select(l => new DenseLayer(l.InputDim, l.OutputDim, (float[])l.Weight.Clone(), (float[])l.Bias.Clone())).ToArray(), mlp.Activation);
}
