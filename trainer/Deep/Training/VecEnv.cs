using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>
/// E copies of an environment stepped together. Episode k of copy e starts with Reset(seed = EpisodeSeed(run seed, e, k)), so the
/// state of every copy at an episode boundary is a function of counters only: that is what makes checkpoints exact.
/// Each agent's row of the batch is filled from its own observation and reward only.
/// </summary>
public sealed class VecEnv : IDisposable
{
    readonly IParallelEnv[] _envs;
    readonly float[][][] _obs;
    readonly float[][] _rewards;
    readonly JointAction[] _joint;
    readonly int _seed;
    public readonly ActionMapping Mapping;
    public readonly long[] EpisodeIndex;
    public readonly double[] EpisodeReturn;
    public int Agents { get; }
    public int ObsDim { get; }
    /// <summary>Every agent's observation spec declares one-hot observations (the env says so; nothing is guessed from its name).</summary>
    public bool OneHotObs { get; }
    public int Count => _envs.Length;
    public IParallelEnv First => _envs[0];

    public VecEnv(DeepEnvDefinition def, int copies, int seed, bool learnerDiscrete)
    {
        _envs = Enumerable.Range(0, copies).Select(_ => def.Create()).ToArray();
        var agents = _envs[0].Agents;
        Agents = agents.Count;
        ObsDim = agents[0].Observation.Dim;
        if (agents.Any(a => a.Observation.Dim != ObsDim || a.Action != agents[0].Action))
            throw new Cli.UsageException($"env '{def.Spec}': the batched deep learners need every agent to have the same observation and action spaces");
        OneHotObs = agents.All(a => a.Observation.IsOneHot);
        Mapping = ActionMapping.For(agents[0].Action, learnerDiscrete, def.QLevels);
        _obs = _envs.Select(e => e.Agents.Select(a => new float[a.Observation.Dim]).ToArray()).ToArray();
        _rewards = _envs.Select(e => new float[Agents]).ToArray();
        _joint = _envs.Select(e => new JointAction(e.Agents)).ToArray();
        _seed = seed;
        EpisodeIndex = new long[copies];
        EpisodeReturn = new double[copies];
    }

    public static int EpisodeSeed(int seed, int copy, long episode) =>
        (int)((((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)copy * 0xBF58476D1CE4E5B9UL) ^ ((ulong)episode * 0x94D049BB133111EBUL)) >> 33);

    /// <summary>(Re)starts every copy's current episode from its seed and writes the observations into batch.Obs.</summary>
    public void ResetAll(StepBatch batch)
    {
        for (int e = 0; e < _envs.Length; e++)
        {
            _envs[e].Reset(EpisodeSeed(_seed, e, EpisodeIndex[e]), _obs[e]);
            EpisodeReturn[e] = 0;
            Gather(_obs[e], e, batch.Obs);
        }
    }

    void Gather(float[][] obs, int e, float[] into)
    {
        for (int i = 0; i < Agents; i++) Array.Copy(obs[i], 0, into, (i * _envs.Length + e) * ObsDim, ObsDim);
    }

    /// <summary>
    /// Steps every copy with the batch's actions; fills NextObs, Rewards and the done flags, then resets finished copies and
    /// writes the next step's observations into batch.Obs. Calls finished(return) for every episode that ended.
    /// </summary>
    public void Step(StepBatch batch)
    {
        int n = _envs.Length, a = Math.Max(1, batch.ActionDim);
        for (int e = 0; e < n; e++)
        {
            for (int i = 0; i < Agents; i++)
                Mapping.Apply(_joint[e], i, batch.Actions[i * n + e], batch.Continuous.AsSpan((i * n + e) * a, a));
            var result = _envs[e].Step(_joint[e], _obs[e], _rewards[e]);
            Gather(_obs[e], e, batch.NextObs);
            for (int i = 0; i < Agents; i++) batch.Rewards[i * n + e] = _rewards[e][i];
            batch.Terminated[e] = result.Terminated;
            batch.Truncated[e] = result.Truncated;
            EpisodeReturn[e] += _rewards[e][0];
        }
    }

    /// <summary>After the learner has seen the step: finished copies start their next episode; batch.Obs becomes the next observation.</summary>
    public void Advance(StepBatch batch, Action<double> finished)
    {
        int n = _envs.Length;
        Array.Copy(batch.NextObs, batch.Obs, batch.Obs.Length);
        for (int e = 0; e < n; e++)
        {
            if (!batch.Terminated[e] && !batch.Truncated[e]) continue;
            finished(EpisodeReturn[e]);
            EpisodeIndex[e]++;
            EpisodeReturn[e] = 0;
            _envs[e].Reset(EpisodeSeed(_seed, e, EpisodeIndex[e]), _obs[e]);
            Gather(_obs[e], e, batch.Obs);
        }
    }

    public void Dispose()
    {
        foreach (var e in _envs) e.Dispose();
    }
}
