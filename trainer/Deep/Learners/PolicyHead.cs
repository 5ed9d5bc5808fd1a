using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>The action distribution on top of an actor's output [N, B, K]: categorical over logits, or a diagonal Gaussian.</summary>
public interface IPolicyHead
{
    /// <summary>log π(a | o) [N, B].</summary>
    Tensor LogProb(Tensor output, Tensor actions);
    /// <summary>Entropy [N, B].</summary>
    Tensor Entropy(Tensor output);
    /// <summary>KL(π_old(·|o) ‖ π(·|o)) [N, B], exact.</summary>
    Tensor Kl(Tensor oldOutput, Tensor output);
}

/// <summary>π(a|o) = softmax(logits)_a.</summary>
public sealed class CategoricalHead : IPolicyHead
{
    public Tensor LogProb(Tensor output, Tensor actions) => output.log_softmax(2).gather(2, actions.unsqueeze(2)).squeeze(2);

    public Tensor Entropy(Tensor output)
    {
        var logp = output.log_softmax(2);
        return -(logp.exp() * logp).sum(2);
    }

    public Tensor Kl(Tensor oldOutput, Tensor output)
    {
        var oldLogp = oldOutput.log_softmax(2);
        return (oldLogp.exp() * (oldLogp - output.log_softmax(2))).sum(2);        // Σ_a π_old (log π_old − log π)
    }
}

/// <summary>π(·|o) = N(mean(o), diag(exp(log_std)²)), log_std a per-agent parameter [N, 1, A] (CleanRL's actor_logstd).</summary>
public sealed class GaussianHead(Tensor logStd) : IPolicyHead
{
    public Tensor LogStd { get; } = logStd;
    static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    public Tensor LogProb(Tensor mean, Tensor actions)
    {
        var z = (actions - mean) / LogStd.exp();
        return (S(-0.5) * z.pow(S(2)) - LogStd - S(HalfLog2Pi)).sum(2);
    }

    public Tensor Entropy(Tensor mean) => LogStd.Plus(0.5 + HalfLog2Pi).expand_as(mean).sum(2);

    /// <summary>Between two Gaussians; the old one's log σ is the value it had when the rollout was collected.</summary>
    public Tensor Kl(Tensor oldMean, Tensor mean) => Kl(oldMean, OldLogStd ?? LogStd.detach(), mean);

    public Tensor? OldLogStd { get; set; }

    Tensor Kl(Tensor oldMean, Tensor oldLogStd, Tensor mean)
    {
        // KL(N0‖N1) = log σ1/σ0 + (σ0² + (μ0 − μ1)²) / (2σ1²) − 1/2, per dimension
        var var1 = (S(2) * LogStd).exp();
        return ((LogStd - oldLogStd).Plus((S(2) * oldLogStd).exp().Plus((oldMean - mean).pow(S(2))) / (S(2) * var1)) - S(0.5)).sum(2);
    }
}
