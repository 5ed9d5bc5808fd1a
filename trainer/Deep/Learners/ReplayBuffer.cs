using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// A ring buffer of N agents' own transitions (o_i, a_i, r_i, o_i', terminated), agent-major. A sample draws the same slots
/// for every agent: each agent's rows are still only its own data. One-hot observations are stored as their index (one float
/// instead of ObsDim) and sampled as int64 positions [N, B, 1] for <see cref="Nets.BatchedMlp.ForwardRows"/>.
/// </summary>
public sealed class ReplayBuffer
{
    readonly int _agents, _obsDim, _inputDim, _capacity;
    readonly bool _oneHot;
    readonly float[] _obs, _next, _rew, _done;
    readonly int[] _act;
    int _count, _head;

    /// <param name="obsDim">width of an observation row in the batches</param>
    /// <param name="oneHot">the rows are one-hot: keep only the index</param>
    public ReplayBuffer(int agents, int obsDim, int capacity, bool oneHot = false)
    {
        if (oneHot && obsDim > 1 << 24) throw new ArgumentException($"one-hot width {obsDim} does not fit a float index");
        _oneHot = oneHot; _inputDim = obsDim;
        _agents = agents; _obsDim = oneHot ? 1 : obsDim; _capacity = Math.Max(1, capacity);
        _obs = new float[agents * _capacity * obsDim];
        _next = new float[agents * _capacity * obsDim];
        _rew = new float[agents * _capacity];
        _act = new int[agents * _capacity];
        _done = new float[_capacity];
    }

    public int Count => _count;

    /// <summary>Forgets everything (MA2QL: a new turn faces new frozen partners, so old data is stale).</summary>
    public void Clear() { _count = 0; _head = 0; }

    public void Add(StepBatch b)
    {
        for (int e = 0; e < b.Envs; e++)
        {
            int slot = _head;
            _head = (_head + 1) % _capacity;
            _count = Math.Min(_count + 1, _capacity);
            _done[slot] = b.Terminated[e] ? 1f : 0f;                 // bootstrap through truncation, not through termination
            for (int i = 0; i < _agents; i++)
            {
                int src = (i * b.Envs + e), dst = i * _capacity + slot;
                Nets.OneHotRows.Store(b.Obs, src, _inputDim, _oneHot, _obs, dst);
                Nets.OneHotRows.Store(b.NextObs, src, _inputDim, _oneHot, _next, dst);
                _rew[dst] = b.Rewards[src];
                _act[dst] = b.Actions[src];
            }
        }
    }

    /// <summary>A minibatch as tensors: obs, next [N, B, D] (one-hot: int64 indices [N, B, 1]), actions [N, B, 1] (int64), rewards [N, B, 1], done [1, B, 1].</summary>
    public (Tensor Obs, Tensor Actions, Tensor Rewards, Tensor Next, Tensor Done) Sample(int batch, ref Rng rng)
    {
        var obs = new float[_agents * batch * _obsDim];
        var next = new float[_agents * batch * _obsDim];
        var rew = new float[_agents * batch];
        var act = new long[_agents * batch];
        var done = new float[batch];
        for (int k = 0; k < batch; k++)
        {
            int slot = rng.NextInt(_count);
            done[k] = _done[slot];
            for (int i = 0; i < _agents; i++)
            {
                int src = i * _capacity + slot, dst = i * batch + k;
                Array.Copy(_obs, src * _obsDim, obs, dst * _obsDim, _obsDim);
                Array.Copy(_next, src * _obsDim, next, dst * _obsDim, _obsDim);
                rew[dst] = _rew[src];
                act[dst] = _act[src];
            }
        }
        Tensor Rows(float[] x) => _oneHot ? tensor(Array.ConvertAll(x, v => (long)v), [_agents, batch, 1]) : tensor(x, [_agents, batch, _obsDim]);
        return (Rows(obs), tensor(act, [_agents, batch, 1]), tensor(rew, [_agents, batch, 1]), Rows(next), tensor(done, [1, batch, 1]));
    }

    public void Save(Checkpoint c, string prefix)
    {
        c.Put($"{prefix}.obs", _obs); c.Put($"{prefix}.next", _next); c.Put($"{prefix}.rew", _rew); c.Put($"{prefix}.done", _done);
        c.Put($"{prefix}.act", _act); c.Put($"{prefix}.count", _count); c.Put($"{prefix}.head", _head);
    }

    public void Load(Checkpoint c, string prefix)
    {
        c.Restore($"{prefix}.obs", _obs); c.Restore($"{prefix}.next", _next); c.Restore($"{prefix}.rew", _rew); c.Restore($"{prefix}.done", _done);
        c.Restore($"{prefix}.act", _act); _count = (int)c.Long($"{prefix}.count"); _head = (int)c.Long($"{prefix}.head");
    }
}
