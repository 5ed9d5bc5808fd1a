namespace MarlEdge.Trainer.Tabular;

/// <param name="Rounds">how many times each agent gets a turn</param>
/// <param name="Growth">each round's turns are this much longer than the last round's (early turns are rough, late ones precise)</param>
/// <param name="TurnEpsilon">exploration of the learning agent during its turn (1 = uniform over its own actions)</param>
/// <param name="Epsilon">Q-iteration stops once its result is within this of the fixed point</param>
public sealed record Ma2qlOptions(int Rounds = 5, double Growth = 1.5, double TurnEpsilon = 1.0, double Epsilon = 1e-6);

/// <summary>
/// MA2QL (Su, Zhou and Lu 2022): agents take turns, and while agent i learns the others are frozen. Agent i then faces a
/// stationary MDP, and its turn runs Q-iteration on its own experience (o, a_i, r, o') to an ε-convergent best response:
///   Q_{k+1}(s, a_i) = R̂(s, a_i) + γ Σ_{s'} P̂(s' | s, a_i) max_{a'} Q_k(s', a')        (Q-iteration on the empirical MDP)
/// With exact best responses every turn improves the joint value, so the turns converge to a Nash equilibrium.
/// The turn schedule is a function of the shared wall clock and each agent's own index: no messages are exchanged.
/// </summary>
public sealed class Ma2ql : TabularAgent
{
    readonly Ma2qlOptions _options;
    readonly double[] _q;
    readonly int[] _policy;                // the frozen greedy action per state, once the agent has had a turn
    readonly SuccessorTable _data;         // this turn's experience, rows s * A + a_i
    readonly bool[] _terminal;             // states the agent has seen episodes end in
    readonly (long Start, long End)[] _myTurns;
    bool _hadTurn;
    double _rewardScale = 1;

    public Ma2ql(AgentTask task, Ma2qlOptions options) : base(task)
    {
        _options = options;
        _q = new double[task.NumStates * task.NumActions];
        _policy = new int[task.NumStates];
        _data = new SuccessorTable(task.NumStates * task.NumActions);
        _terminal = new bool[task.NumStates];
        _myTurns = TurnSchedule(task.TotalSteps, task.NumAgents, options.Rounds, options.Growth)
            .Where(t => t.Agent == task.Index).Select(t => (t.Start, t.End)).ToArray();
    }

    /// <summary>The shared turn schedule: rounds of one turn per agent, each round Growth times longer than the last.</summary>
    public static List<(int Agent, long Start, long End)> TurnSchedule(long totalSteps, int agents, int rounds, double growth)
    {
        double weights = 0;
        for (int r = 0; r < rounds; r++) weights += Math.Pow(growth, r);
        var turns = new List<(int, long, long)>();
        long start = 0;
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < agents; i++)
            {
                bool last = r == rounds - 1 && i == agents - 1;
                long end = last ? totalSteps : Math.Min(totalSteps, start + (long)(totalSteps * Math.Pow(growth, r) / (weights * agents)));
                turns.Add((i, start, end));
                start = end;
            }
        return turns;
    }

    bool MyTurn(long step, out long end)
    {
        foreach (var (s, e) in _myTurns)
            if (step >= s && step < e) { end = e; return true; }
        end = 0;
        return false;
    }

    Span<double> Q(int s) => _q.AsSpan(s * Task.NumActions, Task.NumActions);

    public override int Act(int state, long step)
    {
        if (MyTurn(step, out _))
            return Rng.NextDouble() < _options.TurnEpsilon ? Rng.NextInt(Task.NumActions) : _policy[state];
        return _hadTurn ? _policy[state] : Rng.NextInt(Task.NumActions); // frozen: the last greedy policy (uniform before the first turn)
    }

    public override void Observe(in Experience e)
    {
        if (!MyTurn(e.Step, out long end)) return;
        _data.Add(e.State * Task.NumActions + e.Action, e.NextState, e.Reward);
        _rewardScale = Math.Max(_rewardScale, Math.Abs(e.Reward));
        if (e.Terminated) _terminal[e.NextState] = true;
        if (e.Step == end - 1) EndTurn();
    }

    void EndTurn()
    {
        QIteration();
        for (int s = 0; s < Task.NumStates; s++)
        {
            var q = Q(s);
            int best = -1;
            for (int a = 0; a < q.Length; a++)
                if (_data.Visits(s * Task.NumActions + a) > 0 && (best < 0 || q[a] > q[best])) best = a;
            if (best < 0) continue;                                              // no data in this state: keep the old action
            int old = _policy[s];
            if (_hadTurn && _data.Visits(s * Task.NumActions + old) > 0 && q[old] >= q[best]) continue; // keep ties stable
            _policy[s] = best;
        }
        _hadTurn = true;
        _data.Clear();
    }

    /// <summary>V(s) = max over the actions tried this turn (over all, if none was tried in s); 0 in terminal states.</summary>
    double StateValue(int s)
    {
        if (_terminal[s]) return 0;
        var q = Q(s);
        double best = double.NegativeInfinity, any = double.NegativeInfinity;
        for (int a = 0; a < q.Length; a++)
        {
            any = Math.Max(any, q[a]);
            if (_data.Visits(s * Task.NumActions + a) > 0) best = Math.Max(best, q[a]);
        }
        return double.IsNegativeInfinity(best) ? any : best;
    }

    void QIteration()
    {
        double gamma = Task.Gamma;
        // Truncation bound: ||Q_K − Q*|| ≤ γ^K · 2 R_max / (1 − γ), so K = ⌈ln(ε(1−γ) / 2R_max) / ln γ⌉ iterations suffice.
        int maxIterations = gamma < 1
            ? (int)Math.Ceiling(Math.Log(_options.Epsilon * (1 - gamma) / (2 * _rewardScale)) / Math.Log(gamma)) + 1
            : 100_000;
        double stopDelta = gamma < 1 ? _options.Epsilon * (1 - gamma) / gamma : 0; // sup-norm change that certifies ε-convergence
        for (int k = 0; k < maxIterations; k++)
        {
            double delta = 0;
            for (int row = 0; row < _data.Rows; row++)
            {
                int n = _data.Visits(row);
                if (n == 0) continue;
                var next = _data.Successors(row);
                var counts = _data.Counts(row);
                double target = 0;
                for (int e = 0; e < next.Length; e++)
                    target += counts[e] * (_data.MeanReward(row, e) + gamma * StateValue(next[e])); // R̂ + γ Σ P̂ max Q
                target /= n;
                delta = Math.Max(delta, Math.Abs(target - _q[row]));
                _q[row] = target;
            }
            if (delta <= stopDelta) break;
        }
    }

    public override void WriteState(BinaryWriter w)
    {
        base.WriteState(w);
        AgentStateIo.Write(w, _q); AgentStateIo.Write(w, _policy); AgentStateIo.Write(w, _terminal);
        w.Write(_hadTurn); w.Write(_rewardScale);
        _data.WriteState(w);
    }

    public override void ReadState(BinaryReader r)
    {
        base.ReadState(r);
        AgentStateIo.ReadInto(r, _q); AgentStateIo.ReadInto(r, _policy); AgentStateIo.ReadInto(r, _terminal);
        _hadTurn = r.ReadBoolean(); _rewardScale = r.ReadDouble();
        _data.ReadState(r);
    }

    public override void WritePolicy(int state, Span<double> probs)
    {
        if (_hadTurn) OneHot(_policy[state], probs);
        else probs.Fill(1.0 / probs.Length);
    }
}
