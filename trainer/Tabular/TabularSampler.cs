using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;

namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// Samples a tabular game's transitions in O(1) with Walker's alias method: the environment side of training.
/// Learners never touch it; they receive their own <see cref="Experience"/>.
/// </summary>
public sealed class TabularSampler
{
    readonly TabularGame _game;
    readonly double[] _aliasProbability;
    readonly int[] _alias;

    public TabularSampler(TabularGame game)
    {
        _game = game;
        _aliasProbability = new double[game.NextStates.Length];
        _alias = new int[game.NextStates.Length];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int sj = 0; sj < game.NumStates * game.NumJoint; sj++)
        {
            int lo = game.TransitionStart[sj], n = game.TransitionStart[sj + 1] - lo;
            for (int k = 0; k < n; k++)
            {
                _aliasProbability[lo + k] = game.Probabilities[lo + k] * n;
                _alias[lo + k] = k;
                (_aliasProbability[lo + k] < 1 ? small : large).Push(k);
            }
            while (small.Count > 0 && large.Count > 0)
            {
                int s = small.Pop(), l = large.Pop();
                _alias[lo + s] = l;
                _aliasProbability[lo + l] -= 1 - _aliasProbability[lo + s];
                (_aliasProbability[lo + l] < 1 ? small : large).Push(l);
            }
            while (large.Count > 0) _aliasProbability[lo + large.Pop()] = 1;
            while (small.Count > 0) _aliasProbability[lo + small.Pop()] = 1;
        }
    }

    public TabularGame Game => _game;

    public int Reset(ref Rng rng) => rng.Categorical(_game.StartDistribution);

    /// <summary>One step from state s under joint action index j: the next state, with the reward in <paramref name="reward"/>.</summary>
    public int Step(int s, int joint, ref Rng rng, out double reward)
    {
        int sj = s * _game.NumJoint + joint;
        reward = _game.Rewards[sj];
        int lo = _game.TransitionStart[sj], n = _game.TransitionStart[sj + 1] - lo;
        if (n == 1) return _game.NextStates[lo];
        int k = rng.NextInt(n);
        if (rng.NextDouble() >= _aliasProbability[lo + k]) k = _alias[lo + k];
        return _game.NextStates[lo + k];
    }
}
