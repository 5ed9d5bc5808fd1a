using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Value normalization (Yu et al. 2022, "The Surprising Effectiveness of PPO in Cooperative Multi-Agent Games", §4.1):
/// each agent's critic regresses on its returns standardized by their running mean μ_i and variance σ_i², and its output
/// is mapped back before GAE. The running moments are merged batch by batch (Chan et al. 1979), as CleanRL's RunningMeanStd:
///   δ = μ_B − μ,  n' = n + n_B,  μ' = μ + δ n_B / n',  σ'² = (σ² n + σ_B² n_B + δ² n n_B / n') / n'
/// Each agent's moments are its own: no statistic is shared between agents.
/// </summary>
public sealed class ValueNormalizer(int agents)
{
    readonly double[] _mean = new double[agents], _var = Enumerable.Repeat(1.0, agents).ToArray();
    double _count = 1e-4;   // CleanRL's epsilon: the first batch sets the moments almost alone

    public double Mean(int agent) => _mean[agent];
    public double Variance(int agent) => _var[agent];

    /// <summary>V = σ_i v + μ_i, for the critic's standardized output v [N, M].</summary>
    public Tensor Denormalize(Tensor v) => (v * Std(v)).Plus(Column(_mean, v));

    /// <summary>(R − μ_i) / σ_i, the critic's regression target, for returns R [N, M].</summary>
    public Tensor Normalize(Tensor returns) => (returns - Column(_mean, returns)) / Std(returns);

    /// <summary>Merges a batch of returns [N, M] into each agent's running moments.</summary>
    public void Update(Tensor returns)
    {
        int n = (int)returns.shape[0], m = (int)returns.shape[1];
        var r = returns.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        double total = _count + m;
        for (int i = 0; i < n; i++)
        {
            double sum = 0, sq = 0;
            for (int k = 0; k < m; k++) sum += r[i * m + k];
            double batchMean = sum / m;
            for (int k = 0; k < m; k++) { double d = r[i * m + k] - batchMean; sq += d * d; }
            double batchVar = sq / m, delta = batchMean - _mean[i];
            _mean[i] += delta * m / total;                                                           // μ' = μ + δ n_B / n'
            _var[i] = (_var[i] * _count + batchVar * m + delta * delta * _count * m / total) / total;  // σ'²
        }
        _count = total;
    }

    public void Save(Checkpoint c)
    {
        c.Put("value_norm.mean", _mean); c.Put("value_norm.var", _var); c.Put("value_norm.count", _count);
    }

    public void Load(Checkpoint c)
    {
        c.Doubles("value_norm.mean").CopyTo(_mean, 0); c.Doubles("value_norm.var").CopyTo(_var, 0); _count = c.Double("value_norm.count");
    }

    Tensor Std(Tensor like) => Column(_var.Select(v => Math.Sqrt(v + 1e-8)).ToArray(), like);

    static Tensor Column(double[] values, Tensor like) =>
        tensor(values.Select(v => (float)v).ToArray(), [values.Length, 1]).to(like.dtype);
}
