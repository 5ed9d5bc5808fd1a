using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Evaluation;

/// <summary>
/// A finite MDP with the same number of actions K in every state, solved exactly. The evaluator builds three kinds from a
/// game: the joint MDP (K = joint actions, for V*), one agent's MDP with the others' policies fixed (K = its actions, for
/// best responses), and the Markov chain of a joint policy (K = 1, for V^π).
/// </summary>
public sealed class FiniteMdp
{
    public int States { get; }
    public int Actions { get; }
    public double Gamma { get; }
    public bool[] Terminal { get; }
    public double[] Reward { get; }          // [s * Actions + k]
    public int[] SuccessorStart { get; }     // CSR over s * Actions + k
    public int[] Successor { get; }
    public double[] Probability { get; }

    public FiniteMdp(int states, int actions, double gamma, bool[] terminal, double[] reward, int[] successorStart, int[] successor, double[] probability)
    {
        States = states; Actions = actions; Gamma = gamma; Terminal = terminal; Reward = reward;
        SuccessorStart = successorStart; Successor = successor; Probability = probability;
    }

    public static FiniteMdp JointOf(TabularGame g) =>
        new(g.NumStates, g.NumJoint, g.Gamma, g.IsTerminal, g.Rewards, g.TransitionStart, g.NextStates, g.Probabilities);

    /// <summary>
    /// The MDP that agent <paramref name="freeAgent"/> faces when every other agent follows <paramref name="policy"/>;
    /// with freeAgent = -1, the Markov chain of the joint policy itself.
    /// </summary>
    public static FiniteMdp Marginal(TabularGame g, TabularPolicy policy, int freeAgent)
    {
        int k = freeAgent < 0 ? 1 : g.NumActions[freeAgent];
        var reward = new double[g.NumStates * k];
        var start = new int[g.NumStates * k + 1];
        var succ = new List<int>();
        var prob = new List<double>();
        var acc = new double[g.NumStates];
        var touched = new List<int>();
        var actions = new int[g.NumAgents];
        var weightOfJoint = new double[g.NumJoint];
        for (int s = 0; s < g.NumStates; s++)
        {
            for (int j = 0; j < g.NumJoint; j++)
            {
                g.DecodeJoint(j, actions);
                double w = 1;
                for (int i = 0; i < g.NumAgents; i++)
                    if (i != freeAgent) w *= policy.Row(i, s)[actions[i]];
                weightOfJoint[j] = w;
            }
            for (int a = 0; a < k; a++)
            {
                int row = s * k + a;
                start[row] = succ.Count;
                for (int j = 0; j < g.NumJoint; j++)
                {
                    double w = weightOfJoint[j];
                    if (w == 0) continue;
                    if (freeAgent >= 0)
                    {
                        g.DecodeJoint(j, actions);
                        if (actions[freeAgent] != a) continue;
                    }
                    int sj = s * g.NumJoint + j;
                    reward[row] += w * g.Rewards[sj];
                    for (int t = g.TransitionStart[sj]; t < g.TransitionStart[sj + 1]; t++)
                    {
                        int n = g.NextStates[t];
                        if (acc[n] == 0) touched.Add(n);
                        acc[n] += w * g.Probabilities[t];
                    }
                }
                touched.Sort();
                foreach (int n in touched)
                {
                    succ.Add(n);
                    prob.Add(acc[n]);
                    acc[n] = 0;
                }
                if (touched.Count == 0) { succ.Add(s); prob.Add(1); } // an action with probability 0 everywhere: a harmless self-loop
                touched.Clear();
            }
        }
        start[^1] = succ.Count;
        return new FiniteMdp(g.NumStates, k, g.Gamma, g.IsTerminal, reward, start, succ.ToArray(), prob.ToArray());
    }

    double QValue(int s, int a, double[] v)
    {
        int row = s * Actions + a;
        double q = Reward[row], future = 0;
        for (int t = SuccessorStart[row]; t < SuccessorStart[row + 1]; t++) future += Probability[t] * v[Successor[t]];
        return q + Gamma * future;
    }

    /// <summary>The optimal value of every state (terminal states are worth 0).</summary>
    public double[] SolveOptimal()
    {
        var order = TopologicalOrder();
        if (order is not null) return BackwardPass(order);
        return States <= 1500 ? PolicyIteration() : ValueIteration();
    }

    /// <summary>Non-terminal states ordered so every successor comes later, or null if the support graph has a cycle.</summary>
    int[]? TopologicalOrder()
    {
        var indegree = new int[States];
        for (int s = 0; s < States; s++)
        {
            if (Terminal[s]) continue;
            for (int t = SuccessorStart[s * Actions]; t < SuccessorStart[(s + 1) * Actions]; t++)
                if (Probability[t] > 0 && !Terminal[Successor[t]]) indegree[Successor[t]]++;
        }
        var order = new int[States];
        int head = 0, tail = 0, live = 0;
        for (int s = 0; s < States; s++)
        {
            if (Terminal[s]) continue;
            live++;
            if (indegree[s] == 0) order[tail++] = s;
        }
        while (head < tail)
        {
            int s = order[head++];
            for (int t = SuccessorStart[s * Actions]; t < SuccessorStart[(s + 1) * Actions]; t++)
            {
                int n = Successor[t];
                if (Probability[t] > 0 && !Terminal[n] && --indegree[n] == 0) order[tail++] = n;
            }
        }
        return tail == live ? order[..tail] : null;
    }

    double[] BackwardPass(int[] order)
    {
        var v = new double[States];
        for (int i = order.Length - 1; i >= 0; i--)
        {
            int s = order[i];
            double best = double.NegativeInfinity;
            for (int a = 0; a < Actions; a++) best = Math.Max(best, QValue(s, a, v));
            v[s] = best;
        }
        return v;
    }

    /// <summary>Howard's policy iteration with exact evaluation by Gaussian elimination.</summary>
    double[] PolicyIteration()
    {
        var policy = new int[States];
        for (int s = 0; s < States; s++)
        {
            int best = 0;
            for (int a = 1; a < Actions; a++) if (Reward[s * Actions + a] > Reward[s * Actions + best]) best = a;
            policy[s] = best;
        }
        for (int iteration = 0; iteration < 10_000; iteration++)
        {
            var v = Evaluate(policy);
            bool changed = false;
            for (int s = 0; s < States; s++)
            {
                if (Terminal[s]) continue;
                double current = QValue(s, policy[s], v);
                for (int a = 0; a < Actions; a++)
                {
                    double q = QValue(s, a, v);
                    if (q > current + 1e-12 * (1 + Math.Abs(current))) { current = q; policy[s] = a; changed = true; }
                }
            }
            if (!changed) return v;
        }
        throw new InvalidOperationException("policy iteration did not converge");
    }

    /// <summary>Solves (I - γ P_π) v = r_π over the non-terminal states.</summary>
    double[] Evaluate(int[] policy)
    {
        int n = States;
        var m = new double[n, n + 1];
        for (int s = 0; s < n; s++)
        {
            m[s, s] = 1;
            if (Terminal[s]) continue;
            int row = s * Actions + policy[s];
            m[s, n] = Reward[row];
            for (int t = SuccessorStart[row]; t < SuccessorStart[row + 1]; t++)
                if (!Terminal[Successor[t]]) m[s, Successor[t]] -= Gamma * Probability[t];
        }
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c])) pivot = r;
            if (Math.Abs(m[pivot, c]) < 1e-300) throw new InvalidOperationException("the policy's value is not finite (singular system)");
            if (pivot != c) for (int k = c; k <= n; k++) (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            for (int r = 0; r < n; r++)
            {
                if (r == c || m[r, c] == 0) continue;
                double f = m[r, c] / m[c, c];
                for (int k = c; k <= n; k++) m[r, k] -= f * m[c, k];
            }
        }
        var v = new double[n];
        for (int s = 0; s < n; s++) v[s] = Terminal[s] ? 0 : m[s, n] / m[s, s];
        return v;
    }

    /// <summary>Gauss-Seidel value iteration, for large cyclic MDPs, to 1e-12 relative.</summary>
    double[] ValueIteration()
    {
        var v = new double[States];
        for (int sweep = 0; sweep < 1_000_000; sweep++)
        {
            double delta = 0, scale = 0;
            for (int s = 0; s < States; s++)
            {
                if (Terminal[s]) continue;
                double best = double.NegativeInfinity;
                for (int a = 0; a < Actions; a++) best = Math.Max(best, QValue(s, a, v));
                delta = Math.Max(delta, Math.Abs(best - v[s]));
                scale = Math.Max(scale, Math.Abs(best));
                v[s] = best;
            }
            if (delta <= 1e-13 * (1 + scale)) return v;
        }
        throw new InvalidOperationException("value iteration did not converge");
    }
}
