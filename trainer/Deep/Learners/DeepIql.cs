using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Independent Q-learning with DQN (Mnih et al. 2015) per agent, in the style of CleanRL's dqn.py, with double-Q
/// (van Hasselt et al. 2016). Agent i treats the others as part of its environment and learns from its own (o, a_i, r, o'):
///   a*  = argmax_a Q_i(o', a; θ_i)                                     (double-Q: the online net picks)
///   y   = r + γ (1 − terminated) Q_i(o', a*; θ̄_i)                      (the target net evaluates)
///   L_i = E[(Q_i(o, a_i; θ_i) − y)²]                                  (over a replay minibatch of agent i's own data)
/// θ̄_i ← θ_i every TargetEvery updates. All agents' losses are summed into one backward pass: ∂L/∂θ_i = ∂L_i/∂θ_i.
/// </summary>
public class DeepIql(DeepTask task, DeepOptions options) : QLearnerBase(task, options)
{
    public override void Observe(StepBatch batch)
    {
        Replay.Add(batch);
        if (batch.Step < Options.Q.LearningStarts) return;
        AnnealLearningRate(batch.Step);
        for (int k = 0; k < Options.Q.UpdatesPerStep; k++) DqnUpdate(null);
    }

    /// <summary>One DQN update; agentMask [N] (1 = this agent learns, 0 = frozen) is how MA2QL holds the others still.</summary>
    protected void DqnUpdate(Tensor? agentMask)
    {
        using var scope = NewDisposeScope();
        var rng = Task.RngFor(0, SamplePurpose, Updates);
        var (obs, act, rew, next, done) = Replay.Sample(Options.Q.BatchSize, ref rng);
        Tensor y;
        using (no_grad())
        {
            var aStar = OnObs(Q, next).argmax(2, keepdim: true);                        // a* = argmax_a Q(o', a; θ)
            var qNext = OnObs(QTarget, next).gather(2, aStar);                          // Q(o', a*; θ̄)
            y = rew.Plus(S(Task.Gamma) * done.OneMinus() * qNext);                                   // y = r + γ (1 − d) Q(o', a*; θ̄)
        }
        var qTaken = OnObs(Q, obs).gather(2, act);                                       // Q(o, a_i; θ)
        var perAgent = (qTaken - y).pow(S(2)).mean([1, 2]);                                 // L_i = E[(Q − y)²], shape [N]
        QOptimizer.ZeroGrad();
        perAgent.sum().backward();
        QOptimizer.Step(agentMask);
        Updates++;
        SyncTargets();
        MetricValues["q_loss"] = perAgent.mean().item<float>();
    }
}
