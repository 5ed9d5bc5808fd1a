using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;

namespace MarlEdge.Trainer.Deep.Bench;

/// <summary>
/// The baseline of the speed bench: N single-agent learners, each with its own networks, called one after another with its own
/// slice of the batch. Same equations as the batched learner; only the number of torch calls differs.
/// </summary>
public sealed class PerAgentLoop : IDeepLearner
{
    readonly IDeepLearner[] _agents;
    readonly StepBatch[] _slices;
    readonly DeepTask _task;

    public PerAgentLoop(string algo, DeepTask task, DeepOptions options)
    {
        _task = task;
        _agents = Enumerable.Range(0, task.Agents).Select(i => LearnerFactory.Create(algo, task.Slice(i), options, task.Agents)).ToArray();
        _slices = Enumerable.Range(0, task.Agents).Select(_ => new StepBatch(1, task.Envs, task.ObsDim, task.ActionDim)).ToArray();
    }

    public long Updates => _agents[0].Updates;

    public void BeginEpisodes()
    {
        foreach (var a in _agents) a.BeginEpisodes();
    }
    public IReadOnlyDictionary<string, double> Metrics => _agents[0].Metrics;

    public void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy)
    {
        int d = _task.ObsDim, a = Math.Max(1, _task.ActionDim);
        for (int i = 0; i < _agents.Length; i++)
        {
            var o = obs.AsSpan(i * envs * d, envs * d).ToArray();
            var act = new int[envs];
            var cont = new float[envs * a];
            _agents[i].Act(o, envs, act, cont, step, greedy);
            act.CopyTo(actions, i * envs);
            cont.CopyTo(continuous, i * envs * a);
        }
    }

    public void Observe(StepBatch batch)
    {
        for (int i = 0; i < _agents.Length; i++)
        {
            batch.CopyAgent(i, _slices[i]);
            _agents[i].Observe(_slices[i]);
        }
    }

    public float[] Probabilities(float[] obs, int batch) => throw new NotSupportedException();
    public PolicyNetwork Network(int agent) => _agents[agent].Network(0);
    public void Save(Checkpoint checkpoint) => throw new NotSupportedException();
    public void Load(Checkpoint checkpoint) => throw new NotSupportedException();

    public void Dispose()
    {
        foreach (var a in _agents) a.Dispose();
    }
}
