namespace MarlEdge.Shared.Games;

/// <summary>
/// A cooperative tabular stochastic game in the <c>marledge-tabular-game/1</c> model: every agent observes the state,
/// picks its own action, and all share one reward. Joint actions are indexed row-major, agent 0 most significant.
/// Transitions are stored sparsely (CSR over state × joint action). Only the exact evaluator reads the model;
/// learners go through the sampled interface.
/// </summary>
public sealed class TabularGame
{
    public string Name { get; }
    public int NumAgents => NumActions.Length;
    public int[] NumActions { get; }
    public int NumStates { get; }
    public int NumJoint { get; }
    public double[] StartDistribution { get; }
    public double Gamma { get; }
    public int Horizon { get; }
    public bool[] IsTerminal { get; }
    /// <summary>Reward of (state, joint action) at [s * NumJoint + j].</summary>
    public double[] Rewards { get; }
    /// <summary>Successors of (s, j) are NextStates[k], Probabilities[k] for k in [TransitionStart[s*J+j], TransitionStart[s*J+j+1]).</summary>
    public int[] TransitionStart { get; }
    public int[] NextStates { get; }
    public double[] Probabilities { get; }

    public TabularGame(string name, int[] numActions, int numStates, double[] startDistribution, double gamma, int horizon,
        bool[] isTerminal, double[] rewards, int[] transitionStart, int[] nextStates, double[] probabilities)
    {
        Name = name; NumActions = numActions; NumStates = numStates; StartDistribution = startDistribution;
        Gamma = gamma; Horizon = horizon; IsTerminal = isTerminal; Rewards = rewards;
        TransitionStart = transitionStart; NextStates = nextStates; Probabilities = probabilities;
        NumJoint = 1;
        foreach (int a in numActions) NumJoint = checked(NumJoint * a);
        Validate();
    }

    public int JointIndex(ReadOnlySpan<int> actions)
    {
        int j = 0;
        for (int i = 0; i < NumActions.Length; i++) j = j * NumActions[i] + actions[i];
        return j;
    }

    public void DecodeJoint(int joint, Span<int> actions)
    {
        for (int i = NumActions.Length - 1; i >= 0; i--)
        {
            actions[i] = joint % NumActions[i];
            joint /= NumActions[i];
        }
    }

    public double Reward(int s, int joint) => Rewards[s * NumJoint + joint];

    void Validate()
    {
        if (NumActions.Length < 1) throw new GameFormatException("num_agents must be at least 1");
        for (int i = 0; i < NumActions.Length; i++)
            if (NumActions[i] < 1) throw new GameFormatException($"num_actions[{i}] is {NumActions[i]}; each agent needs at least 1 action");
        if (NumStates < 1) throw new GameFormatException("num_states must be at least 1");
        if (!(Gamma > 0 && Gamma <= 1)) throw new GameFormatException($"gamma is {Gamma}; it must lie in (0, 1]");
        if (Horizon < 1) throw new GameFormatException($"horizon is {Horizon}; it must be at least 1");
        if (StartDistribution.Length != NumStates) throw new GameFormatException($"start_distribution has {StartDistribution.Length} entries, not num_states = {NumStates}");
        CheckDistribution(StartDistribution, "start_distribution");
        if (IsTerminal.Length != NumStates) throw new GameFormatException("terminal flags do not cover every state");
        if (Rewards.Length != NumStates * NumJoint) throw new GameFormatException($"rewards has {Rewards.Length} entries, not num_states × joint actions = {NumStates * NumJoint}");
        if (TransitionStart.Length != NumStates * NumJoint + 1) throw new GameFormatException("transitions do not cover every (state, joint action)");
        for (int k = 0; k < Rewards.Length; k++)
            if (!double.IsFinite(Rewards[k])) throw new GameFormatException($"rewards[{k / NumJoint}][{k % NumJoint}] is not a finite number");
        for (int sj = 0; sj < NumStates * NumJoint; sj++)
        {
            int lo = TransitionStart[sj], hi = TransitionStart[sj + 1];
            if (hi <= lo) throw new GameFormatException($"transitions[{sj / NumJoint}][{sj % NumJoint}] is empty");
            double sum = 0;
            for (int k = lo; k < hi; k++)
            {
                if (NextStates[k] < 0 || NextStates[k] >= NumStates)
                    throw new GameFormatException($"transitions[{sj / NumJoint}][{sj % NumJoint}] names state {NextStates[k]}, outside 0..{NumStates - 1}");
                if (!(Probabilities[k] >= 0)) throw new GameFormatException($"transitions[{sj / NumJoint}][{sj % NumJoint}] has a negative or NaN probability");
                sum += Probabilities[k];
            }
            if (Math.Abs(sum - 1) > 1e-6)
                throw new GameFormatException($"transitions[{sj / NumJoint}][{sj % NumJoint}]: probabilities sum to {sum:G9}, not 1");
        }
        if (Gamma >= 1) CheckEveryPolicyTerminates();
    }

    static void CheckDistribution(double[] p, string what)
    {
        double sum = 0;
        foreach (double x in p)
        {
            if (!(x >= 0)) throw new GameFormatException($"{what} has a negative or NaN probability");
            sum += x;
        }
        if (Math.Abs(sum - 1) > 1e-6) throw new GameFormatException($"{what} sums to {sum:G9}, not 1");
    }

    /// <summary>
    /// With gamma = 1 the objective is finite only if every policy reaches a terminal state. A policy can avoid them
    /// forever exactly when some non-empty set W of non-terminal states has, in each state, a joint action that stays in W.
    /// </summary>
    void CheckEveryPolicyTerminates()
    {
        var inW = new bool[NumStates];
        for (int s = 0; s < NumStates; s++) inW[s] = !IsTerminal[s];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int s = 0; s < NumStates; s++)
            {
                if (!inW[s]) continue;
                bool canStay = false;
                for (int j = 0; j < NumJoint && !canStay; j++)
                {
                    int sj = s * NumJoint + j;
                    bool allIn = true;
                    for (int k = TransitionStart[sj]; k < TransitionStart[sj + 1]; k++)
                        if (Probabilities[k] > 0 && !inW[NextStates[k]]) { allIn = false; break; }
                    canStay = allIn;
                }
                if (!canStay) { inW[s] = false; changed = true; }
            }
        }
        int trapped = Array.IndexOf(inW, true);
        if (trapped >= 0)
            throw new GameFormatException($"gamma is 1 but a policy can stay forever in non-terminal states (state {trapped} among them); use gamma < 1 or add terminal states");
    }

    /// <summary>Builds the CSR arrays from one successor list per (state, joint action).</summary>
    public static (int[] start, int[] next, double[] prob) Pack(IReadOnlyList<IReadOnlyList<(int next, double p)>> perStateJoint)
    {
        var start = new int[perStateJoint.Count + 1];
        var next = new List<int>();
        var prob = new List<double>();
        for (int sj = 0; sj < perStateJoint.Count; sj++)
        {
            start[sj] = next.Count;
            foreach (var (n, p) in perStateJoint[sj]) { next.Add(n); prob.Add(p); }
        }
        start[^1] = next.Count;
        return (start, next.ToArray(), prob.ToArray());
    }
}
