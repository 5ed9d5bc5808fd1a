namespace MarlEdge.Trainer.Tabular;

/// <param name="EpsilonStart">exploration at the start; untried own actions are always tried first</param>
/// <param name="EpsilonDecayFraction">share of the budget over which exploration decays to EpsilonEnd</param>
/// <param name="SweepTolerance">full value sweeps over the agent's own transition graph stop below this change</param>
public sealed record I2qOptions(double EpsilonStart = 1.0, double EpsilonEnd = 0.5, double EpsilonDecayFraction = 1.0, double SweepTolerance = 1e-9);

/// <summary>
/// I2Q (Jiang and Lu 2022), tabular. Each agent learns, from its own (o, a_i, r, o') only:
///   Q^ss(s, s') = r(s, s') + γ max_{s'' seen after s'} Q^ss(s', s'')            (value of the state-to-state move)
///   f(s, a_i)   = argmax_{s' seen after own action a_i in s} Q^ss(s, s')         (the ideal transition)
///   Q(s, a_i)   = r(s, f(s, a_i)) + γ max_{a'} Q(f(s, a_i), a')                  (Q-learning against the ideal transition)
/// In a deterministic game every agent sees the same (s, r, s') stream, so all agents' Q^ss agree and their greedy
/// actions meet at the same best next state: independent learners reach the global optimum.
/// A "next state" here is the outcome (s', r): where the reward depends only on (s, s'), as in I2Q's setting, that is
/// s' itself; where it depends on the joint action (matrix games), the outcome still tells the joint moves apart.
/// Values are refreshed backward along each finished episode, and by full sweeps over the agent's own transition
/// graph at doubling intervals and at the end.
/// </summary>
public sealed class I2q : TabularAgent
{
    readonly I2qOptions _options;
    readonly SuccessorTable _moves;        // rows s: outcomes (s', r) seen from s (for r(s, s') and Q^ss)
    readonly SuccessorTable _ownMoves;     // rows s * A + a_i: outcomes seen after own action a_i
    readonly double[][] _qss;              // Q^ss(s, ·), aligned with _moves' entries of row s
    readonly int[][] _firstAction;         // the own action taken when each outcome of s was first seen
    readonly double[] _q;                  // Q(s, a_i)
    readonly double[] _moveValue;          // max_{s'} Q^ss(s, s'), cached
    readonly double[] _actionValue;        // max_{a_i tried} Q(s, a_i), cached
    readonly bool[] _terminal;
    readonly List<Experience> _episode = new();
    long _nextSweep = 1024;

    public I2q(AgentTask task, I2qOptions options) : base(task)
    {
        _options = options;
        _moves = new SuccessorTable(task.NumStates, keyByReward: true);
        _ownMoves = new SuccessorTable(task.NumStates * task.NumActions, keyByReward: true);
        _qss = new double[task.NumStates][];
        Array.Fill(_qss, Array.Empty<double>());
        _firstAction = new int[task.NumStates][];
        Array.Fill(_firstAction, Array.Empty<int>());
        _q = new double[task.NumStates * task.NumActions];
        _moveValue = new double[task.NumStates];
        _actionValue = new double[task.NumStates];
        _terminal = new bool[task.NumStates];
    }

    Span<double> Q(int s) => _q.AsSpan(s * Task.NumActions, Task.NumActions);

    public override void WriteState(BinaryWriter w)
    {
        base.WriteState(w);
        _moves.WriteState(w); _ownMoves.WriteState(w);
        AgentStateIo.Write(w, _qss); AgentStateIo.Write(w, _firstAction);
        AgentStateIo.Write(w, _q); AgentStateIo.Write(w, _moveValue); AgentStateIo.Write(w, _actionValue); AgentStateIo.Write(w, _terminal);
        w.Write(_nextSweep);
        w.Write(_episode.Count);
        foreach (var e in _episode)
        {
            w.Write(e.State); w.Write(e.Action); w.Write(e.Reward); w.Write(e.NextState); w.Write(e.Terminated); w.Write(e.Truncated); w.Write(e.Step);
        }
    }

    public override void ReadState(BinaryReader r)
    {
        base.ReadState(r);
        _moves.ReadState(r); _ownMoves.ReadState(r);
        AgentStateIo.ReadInto(r, _qss); AgentStateIo.ReadInto(r, _firstAction);
        AgentStateIo.ReadInto(r, _q); AgentStateIo.ReadInto(r, _moveValue); AgentStateIo.ReadInto(r, _actionValue); AgentStateIo.ReadInto(r, _terminal);
        _nextSweep = r.ReadInt64();
        _episode.Clear();
        for (int k = r.ReadInt32(); k > 0; k--)
            _episode.Add(new Experience(r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadInt32(), r.ReadBoolean(), r.ReadBoolean(), r.ReadInt64()));
    }

    public override int Act(int state, long step)
    {
        // Optimism for untried own actions: each is tried once before anything else.
        int untried = -1, seen = 0;
        for (int a = 0; a < Task.NumActions; a++)
            if (_ownMoves.Visits(state * Task.NumActions + a) == 0 && Rng.NextInt(++seen) == 0) untried = a;
        if (untried >= 0) return untried;
        double epsilon = LinearSchedule(step, _options.EpsilonStart, _options.EpsilonEnd, _options.EpsilonDecayFraction);
        return Rng.NextDouble() < epsilon ? LeastTried(state) : Greedy(state);
    }

    /// <summary>Exploration: the own action tried least often in this state (ties at random), so coverage stays even.</summary>
    int LeastTried(int state)
    {
        int best = 0, ties = 0, fewest = int.MaxValue;
        for (int a = 0; a < Task.NumActions; a++)
        {
            int n = _ownMoves.Visits(state * Task.NumActions + a);
            if (n < fewest) { fewest = n; best = a; ties = 1; }
            else if (n == fewest && Rng.NextInt(++ties) == 0) best = a;
        }
        return best;
    }

    public override void Observe(in Experience e)
    {
        int entry = _moves.Add(e.State, e.NextState, e.Reward);
        if (_moves.Length(e.State) > _qss[e.State].Length)
        {
            Array.Resize(ref _qss[e.State], Math.Max(4, 2 * _qss[e.State].Length));
            Array.Resize(ref _firstAction[e.State], _qss[e.State].Length);
        }
        if (_moves.Counts(e.State)[entry] == 1) _firstAction[e.State][entry] = e.Action;
        int ownRow = e.State * Task.NumActions + e.Action;
        _ownMoves.SetLink(ownRow, _ownMoves.Add(ownRow, e.NextState, e.Reward), entry); // each own outcome knows its entry in _moves
        if (e.Terminated) _terminal[e.NextState] = true;
        _episode.Add(e);
        if (e.EpisodeEnd)
        {
            for (int t = _episode.Count - 1; t >= 0; t--) Backup(_episode[t].State); // backward along the episode
            _episode.Clear();
        }
        if (e.Step + 1 >= _nextSweep)
        {
            Sweep();
            _nextSweep *= 2;
        }
    }

    public override void Finish() => Sweep();

    /// <summary>max_{s''} Q^ss(s', s''), 0 in terminal states and in states with no recorded successor (kept up to date by Backup).</summary>
    double MoveValue(int s) => _terminal[s] ? 0 : _moveValue[s];

    /// <summary>max over own actions tried in s of Q(s, ·), 0 where none or terminal (kept up to date by Backup).</summary>
    double ActionValue(int s) => _terminal[s] ? 0 : _actionValue[s];

    /// <summary>Recomputes Q^ss(s, ·) and Q(s, ·) from their successors; returns the largest change.</summary>
    double Backup(int s)
    {
        double gamma = Task.Gamma, delta = 0;
        var next = _moves.Successors(s);
        var qss = _qss[s];
        double bestMove = double.NegativeInfinity;
        for (int k = 0; k < next.Length; k++)
        {
            double v = _moves.MeanReward(s, k) + gamma * MoveValue(next[k]);     // Q^ss(s,s') = r + γ max Q^ss(s', ·)
            delta = Math.Max(delta, Math.Abs(v - qss[k]));
            qss[k] = v;
            bestMove = Math.Max(bestMove, v);
        }
        if (next.Length > 0) _moveValue[s] = bestMove;
        double bestAction = double.NegativeInfinity;
        for (int a = 0; a < Task.NumActions; a++)
        {
            int row = s * Task.NumActions + a;
            var own = _ownMoves.Successors(row);
            if (own.Length == 0) continue;
            int ideal = -1, idealEntry = -1;
            for (int k = 0; k < own.Length; k++)                                  // f(s, a_i) = argmax over seen s' of Q^ss(s, s')
            {
                int entry = _ownMoves.Link(row, k);
                if (ideal < 0 || qss[entry] > qss[idealEntry] || (qss[entry] == qss[idealEntry] && entry < idealEntry))
                {
                    ideal = own[k];
                    idealEntry = entry;
                }
            }
            double q = _moves.MeanReward(s, idealEntry) + gamma * ActionValue(ideal); // Q(s,a_i) = r(s,f) + γ max Q(f, ·)
            delta = Math.Max(delta, Math.Abs(q - _q[row]));
            _q[row] = q;
            bestAction = Math.Max(bestAction, q);
        }
        if (!double.IsNegativeInfinity(bestAction)) _actionValue[s] = bestAction;
        return delta;
    }

    /// <summary>Gauss-Seidel sweeps over every state the agent has left, until the values settle.</summary>
    void Sweep()
    {
        double scale = 1;
        for (int iteration = 0; iteration < 100_000; iteration++)
        {
            double delta = 0;
            for (int s = Task.NumStates - 1; s >= 0; s--)
                if (_moves.Length(s) > 0) delta = Math.Max(delta, Backup(s));
            foreach (double q in _q) scale = Math.Max(scale, Math.Abs(q));
            if (delta <= _options.SweepTolerance * scale) return;
        }
    }

    public override void WritePolicy(int state, Span<double> probs) => OneHot(Greedy(state), probs);

    /// <summary>
    /// argmax over tried own actions of Q(s, a_i). Where several actions tie (two joint moves reach the same best outcome,
    /// as in the penalty game), the agent takes the action it played when that outcome was first seen: every agent
    /// remembers its part of that same joint move, so their choices meet without any message.
    /// </summary>
    int Greedy(int state)
    {
        int row = state * Task.NumActions, best = -1, ties = 0;
        for (int a = 0; a < Task.NumActions; a++)
        {
            if (_ownMoves.Visits(row + a) == 0) continue;
            if (best < 0 || _q[row + a] > _q[row + best]) { best = a; ties = 1; }
            else if (_q[row + a] == _q[row + best]) ties++;
        }
        if (best < 0) return 0;
        if (ties == 1) return best;
        int target = 0;
        var qss = _qss[state];
        for (int k = 1; k < _moves.Length(state); k++) if (qss[k] > qss[target]) target = k;
        int remembered = _firstAction[state][target];
        return _ownMoves.Visits(row + remembered) > 0 && _q[row + remembered] == _q[row + best] ? remembered : best;
    }
}
