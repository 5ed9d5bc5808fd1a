using MarlEdge.Shared.Numerics;

namespace MarlEdge.Shared.Games;

/// <summary>A tabular game as a parallel environment: each agent observes the one-hot state and receives the shared reward.</summary>
public sealed class TabularEnv : IParallelEnv
{
    readonly TabularGame _game;
    readonly int[] _actions;
    Rng _rng;
    int _state, _t;

    public TabularEnv(TabularGame game, string spec)
    {
        _game = game;
        Spec = spec;
        _actions = new int[game.NumAgents];
        var obs = ObservationSpec.OneHot(game.NumStates);
        Agents = Enumerable.Range(0, game.NumAgents).Select(i => new AgentSpec($"agent-{i}", obs, ActionSpec.Discrete(game.NumActions[i]))).ToArray();
        _rng = new Rng(0);
    }

    public string Spec { get; }
    public IReadOnlyList<AgentSpec> Agents { get; }
    public double Gamma => _game.Gamma;
    public int EpisodeLimit => _game.Horizon;
    public StepInfo Info { get; } = new();
    public TabularGame Game => _game;

    public void Reset(int? seed, float[][] observations)
    {
        if (seed is int s) _rng = new Rng((ulong)s, 0xE4);
        _state = _rng.Categorical(_game.StartDistribution);
        _t = 0;
        Write(observations);
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        for (int i = 0; i < _actions.Length; i++)
        {
            int a = action.Discrete[i];
            if ((uint)a >= (uint)_game.NumActions[i]) throw new ArgumentOutOfRangeException(nameof(action), $"agent {i} chose action {a}, outside 0..{_game.NumActions[i] - 1}");
            _actions[i] = a;
        }
        int sj = _state * _game.NumJoint + _game.JointIndex(_actions);
        double r = _game.Rewards[sj];
        int lo = _game.TransitionStart[sj];
        _state = _game.NextStates[lo + _rng.Categorical(_game.Probabilities.AsSpan(lo, _game.TransitionStart[sj + 1] - lo))];
        _t++;
        for (int i = 0; i < rewards.Length; i++) rewards[i] = (float)r;
        Write(observations);
        bool terminated = _game.IsTerminal[_state];
        return new StepResult(terminated, !terminated && _t >= _game.Horizon);
    }

    void Write(float[][] observations)
    {
        foreach (var o in observations)
        {
            Array.Clear(o);
            o[_state] = 1f;
        }
        Info.GlobalState = _state;
    }

    public void Dispose() { }
}
