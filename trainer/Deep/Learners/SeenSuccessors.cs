using MarlEdge.Trainer.Deep.Training;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// Deep I2Q on one-hot observation spaces: each agent's memory of the next observations it has seen after each
/// (observation, own action), by index, and which observations ended an episode (a transition into them terminated).
/// This is the support N(o, a_i) of the agent's own transitions, among which f picks the ideal one (I2Q's tabular
/// definition f(s, a_i) = argmax_{s' ∈ N(s, a_i)} Q^ss(s, s')). Each agent's rows hold only its own data. Rows grow by
/// doubling; nothing is allocated once a row has room.
/// </summary>
public sealed class SeenSuccessors
{
    readonly int _agents, _states, _actions;
    readonly int[][] _next;    // row (agent, o, a_i): the distinct o' seen, in the order first seen
    readonly int[] _length;
    readonly bool[] _terminal; // (agent, o'): a transition into o' terminated the episode

    public SeenSuccessors(int agents, int states, int actions)
    {
        _agents = agents; _states = states; _actions = actions;
        _next = new int[agents * states * actions][];
        Array.Fill(_next, Array.Empty<int>());
        _length = new int[_next.Length];
        _terminal = new bool[agents * states];
    }

    int Row(int agent, int obs, int action) => (agent * _states + obs) * _actions + action;

    /// <summary>Records agent i's transition (o, a_i) → o'.</summary>
    public void Add(int agent, int obs, int action, int next, bool terminated)
    {
        if (terminated) _terminal[agent * _states + next] = true;
        int row = Row(agent, obs, action), n = _length[row];
        var list = _next[row];
        for (int k = 0; k < n; k++) if (list[k] == next) return;
        if (n == list.Length) Array.Resize(ref _next[row], Math.Max(2, 2 * n));
        _next[row][n] = next;
        _length[row] = n + 1;
    }

    /// <summary>The next observations agent i has seen after own action a_i in o (empty if it never took a_i there).</summary>
    public ReadOnlySpan<int> Of(int agent, int obs, int action)
    {
        int row = Row(agent, obs, action);
        return _next[row].AsSpan(0, _length[row]);
    }

    /// <summary>Whether agent i has seen an episode terminate on entering o.</summary>
    public bool Terminal(int agent, int obs) => _terminal[agent * _states + obs];

    /// <summary>Flattened as (length, entries...) per row.</summary>
    public void Save(Checkpoint c, string prefix)
    {
        var flat = new List<int>(_length.Length + _length.Sum());
        for (int row = 0; row < _length.Length; row++)
        {
            flat.Add(_length[row]);
            for (int k = 0; k < _length[row]; k++) flat.Add(_next[row][k]);
        }
        c.Put($"{prefix}.rows", flat.ToArray());
        c.Put($"{prefix}.terminal", _terminal);
    }

    public void Load(Checkpoint c, string prefix)
    {
        var flat = c.Ints($"{prefix}.rows");
        int at = 0;
        for (int row = 0; row < _length.Length; row++)
        {
            int n = flat[at++];
            _next[row] = flat.AsSpan(at, n).ToArray();
            _length[row] = n;
            at += n;
        }
        if (at != flat.Length) throw new InvalidDataException($"checkpoint '{prefix}.rows' has {flat.Length - at} values too many");
        var terminal = c.Bools($"{prefix}.terminal");
        if (terminal.Length != _terminal.Length) throw new InvalidDataException($"checkpoint '{prefix}.terminal' has {terminal.Length} values, expected {_terminal.Length}");
        terminal.CopyTo(_terminal, 0);
    }
}
