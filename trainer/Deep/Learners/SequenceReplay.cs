using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Replay of consecutive steps for recurrent learners: one ring per environment copy, so a sample is L consecutive steps of
/// one copy (DRQN's "random updates"). Each step keeps (o, a, r, o', terminated) of every agent — each agent's own rows — and
/// whether it began an episode, so the unroll can reset the hidden state there. One-hot observations are stored as indices.
/// </summary>
public sealed class SequenceReplay
{
    readonly int _agents, _envs, _width, _inputDim, _capacity;
    readonly bool _oneHot;
    readonly float[] _obs, _next, _rew, _term, _first;
    readonly int[] _act;
    readonly bool[] _endedBefore;      // per copy: the previous step ended an episode (or there was none)
    int _count, _head;

    /// <param name="capacity">steps of all copies together (each copy keeps capacity / envs)</param>
    public SequenceReplay(int agents, int envs, int obsDim, int capacity, int sequence, bool oneHot)
    {
        _agents = agents; _envs = envs; _oneHot = oneHot; _inputDim = obsDim; _width = oneHot ? 1 : obsDim;
        _capacity = Math.Max(sequence, capacity / envs);
        _obs = new float[agents * envs * _capacity * _width];
        _next = new float[agents * envs * _capacity * _width];
        _rew = new float[agents * envs * _capacity];
        _act = new int[agents * envs * _capacity];
        _term = new float[envs * _capacity];
        _first = new float[envs * _capacity];
        _endedBefore = Enumerable.Repeat(true, envs).ToArray();
    }

    /// <summary>Steps stored per copy.</summary>
    public int Count => _count;

    public void Add(StepBatch b)
    {
        int t = _head;
        _head = (_head + 1) % _capacity;
        _count = Math.Min(_count + 1, _capacity);
        for (int e = 0; e < _envs; e++)
        {
            _term[e * _capacity + t] = b.Terminated[e] ? 1f : 0f;
            _first[e * _capacity + t] = _endedBefore[e] ? 1f : 0f;
            _endedBefore[e] = b.Terminated[e] || b.Truncated[e];
            for (int i = 0; i < _agents; i++)
            {
                int src = i * _envs + e, dst = (i * _envs + e) * _capacity + t;
                Nets.OneHotRows.Store(b.Obs, src, _inputDim, _oneHot, _obs, dst);
                Nets.OneHotRows.Store(b.NextObs, src, _inputDim, _oneHot, _next, dst);
                _rew[dst] = b.Rewards[src];
                _act[dst] = b.Actions[src];
            }
        }
    }

    /// <summary>
    /// B sequences of L steps, time-major: obs, next [L, N, B, D] (one-hot: int64 [L, N, B, 1]), actions [L, N, B, 1] (int64),
    /// rewards [L, N, B, 1], terminated and first [L, 1, B, 1]. The first step of every sequence counts as an episode start
    /// (the hidden state starts at zero).
    /// </summary>
    public (Tensor Obs, Tensor Actions, Tensor Rewards, Tensor Next, Tensor Terminated, Tensor First) Sample(int batch, int length, ref Rng rng)
    {
        int n = _agents, w = _width;
        var obs = new float[length * n * batch * w];
        var next = new float[length * n * batch * w];
        var rew = new float[length * n * batch];
        var act = new long[length * n * batch];
        var term = new float[length * batch];
        var first = new float[length * batch];
        int oldest = _count < _capacity ? 0 : _head;
        for (int k = 0; k < batch; k++)
        {
            int e = rng.NextInt(_envs), start = rng.NextInt(_count - length + 1);
            for (int s = 0; s < length; s++)
            {
                int t = (oldest + start + s) % _capacity;
                term[s * batch + k] = _term[e * _capacity + t];
                first[s * batch + k] = s == 0 ? 1f : _first[e * _capacity + t];
                for (int i = 0; i < n; i++)
                {
                    int src = (i * _envs + e) * _capacity + t, dst = (s * n + i) * batch + k;
                    Array.Copy(_obs, src * w, obs, dst * w, w);
                    Array.Copy(_next, src * w, next, dst * w, w);
                    rew[dst] = _rew[src];
                    act[dst] = _act[src];
                }
            }
        }
        Tensor Rows(float[] x) => _oneHot ? tensor(Array.ConvertAll(x, v => (long)v), [length, n, batch, 1]) : tensor(x, [length, n, batch, w]);
        return (Rows(obs), tensor(act, [length, n, batch, 1]), tensor(rew, [length, n, batch, 1]), Rows(next),
            tensor(term, [length, 1, batch, 1]), tensor(first, [length, 1, batch, 1]));
    }

    public void Save(Checkpoint c, string prefix)
    {
        c.Put($"{prefix}.obs", _obs); c.Put($"{prefix}.next", _next); c.Put($"{prefix}.rew", _rew); c.Put($"{prefix}.term", _term);
        c.Put($"{prefix}.first", _first); c.Put($"{prefix}.act", _act); c.Put($"{prefix}.count", _count); c.Put($"{prefix}.head", _head);
        c.Put($"{prefix}.ended", _endedBefore.Select(x => x ? 1f : 0f).ToArray());
    }

    public void Load(Checkpoint c, string prefix)
    {
        c.Restore($"{prefix}.obs", _obs); c.Restore($"{prefix}.next", _next); c.Restore($"{prefix}.rew", _rew); c.Restore($"{prefix}.term", _term);
        c.Restore($"{prefix}.first", _first); c.Restore($"{prefix}.act", _act);
        _count = (int)c.Long($"{prefix}.count"); _head = (int)c.Long($"{prefix}.head");
        var ended = new float[_envs];
        c.Restore($"{prefix}.ended", ended);
        for (int e = 0; e < _envs; e++) _endedBefore[e] = ended[e] != 0;
    }
}
