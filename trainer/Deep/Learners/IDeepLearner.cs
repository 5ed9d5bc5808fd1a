using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Training;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// A decentralized deep learner for N agents. The batched implementations hold every agent's networks stacked [N, ...] and
/// run them in one call; agent i's outputs and updates read only agent i's rows of each batch.
/// </summary>
public interface IDeepLearner : IDisposable
{
    /// <summary>Chooses actions for obs [N, E, D]: discrete into actions [N, E], continuous into continuous [N, E, A]. greedy: no exploration.</summary>
    void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy);

    /// <summary>Greedy test episodes start now (all copies at once): recurrent learners reset their greedy hidden states.</summary>
    void BeginEpisodes() { }

    /// <summary>Receives one step of experience and runs whatever updates are due.</summary>
    void Observe(StepBatch batch);

    /// <summary>Gradient updates so far (one update = one optimizer step of every agent).</summary>
    long Updates { get; }

    /// <summary>Scalars for metrics and TensorBoard (losses, ε, β, ...).</summary>
    IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Action probabilities [N, B, A] of the deployed policy for obs [N, B, D] (discrete actions only).</summary>
    float[] Probabilities(float[] obs, int batch);

    /// <summary>Agent i's deployed network (Q-network, categorical or Gaussian actor) as a managed network for ONNX.</summary>
    PolicyNetwork Network(int agent);

    void Save(Checkpoint checkpoint);
    void Load(Checkpoint checkpoint);
}
