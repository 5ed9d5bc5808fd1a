using System.Globalization;
using MarlEdge.Shared.Numerics;

namespace MarlEdge.Shared.Games;

/// <summary>The built-in tabular games, each named by a spec string (see <see cref="FromSpec"/>).</summary>
public static class BuiltInGames
{
    public const string SpecHelp = """
          lstage:L=<L>,seed=<k>                      I2Q's L-stage matrix game (2 agents, 3 actions, a tree of states)
          random-sg:states=S,agents=N,actions=A,seed=<k>[,deterministic]
                                                     a random cooperative stochastic game after DPO's recipe
          matrix:climbing | matrix:penalty[:k=<k>] | matrix:<r00>,<r01>,...;<r10>,...
                                                     one-shot two-agent matrix games
          tabular:<file>                             any game in the marledge-tabular-game/1 format
        """;

    /// <summary>The tabular game a spec names, or null when the spec is not a tabular game.</summary>
    public static TabularGame? FromSpec(string text)
    {
        var spec = EnvSpec.Parse(text);
        switch (spec.Name)
        {
            case "lstage":
            {
                spec.WithKeyValues();
                int l = spec.Int("L"), seed = spec.Int("seed", 0);
                spec.RejectUnknown();
                return LStage(l, seed);
            }
            case "random-sg":
            {
                spec.WithKeyValues();
                int s = spec.Int("states"), n = spec.Int("agents", 2), a = spec.Int("actions"), seed = spec.Int("seed", 0);
                bool det = spec.Flag("deterministic");
                spec.RejectUnknown();
                return det ? RandomDeterministic(s, n, a, seed) : RandomStochastic(s, n, a, seed);
            }
            case "matrix":
                return Matrix(spec.Argument);
            case "tabular":
                if (spec.Argument.Length == 0) throw new GameFormatException("env 'tabular:' needs a file path, as in tabular:games/climbing.json");
                return GameFile.Read(spec.Argument);
            default:
                return null;
        }
    }

    /// <summary>
    /// I2Q's L-stage game: 2 agents × 3 actions; joint action (a0, a1) moves s to 9s + 3a0 + a1 + 1; every step pays r[s] ~ U[-1, 1]
    /// of the current state; the states of depth L are terminal; gamma = 1.
    /// </summary>
    public static TabularGame LStage(int stages, int seed)
    {
        if (stages < 1 || stages > 6) throw new GameFormatException($"lstage: L is {stages}; it must lie in 1..6");
        int firstLeaf = 0, width = 1; // states of depth < L come first, in breadth-first order
        for (int d = 0; d < stages; d++) { firstLeaf += width; width *= 9; }
        int states = firstLeaf + width;
        var rng = new Rng((ulong)seed, 0x15A6E);
        var terminal = new bool[states];
        var rewards = new double[states * 9];
        var lists = new List<(int, double)>[states * 9];
        for (int s = 0; s < states; s++)
        {
            terminal[s] = s >= firstLeaf;
            double r = terminal[s] ? 0 : rng.Uniform(-1, 1);
            for (int j = 0; j < 9; j++)
            {
                rewards[s * 9 + j] = r;
                lists[s * 9 + j] = [(terminal[s] ? s : 9 * s + j + 1, 1.0)];
            }
        }
        var (ts, next, prob) = TabularGame.Pack(lists);
        var start = new double[states];
        start[0] = 1;
        return new TabularGame($"lstage-L{stages}-seed{seed}", [3, 3], states, start, 1.0, stages, terminal, rewards, ts, next, prob);
    }

    /// <summary>DPO's random cooperative game: rewards U[-5, 5] per (state, joint action), next-state distributions from a flat Dirichlet.</summary>
    public static TabularGame RandomStochastic(int states, int agents, int actions, int seed)
    {
        CheckRandomSize(states, agents, actions);
        int joint = Pow(actions, agents);
        var rng = new Rng((ulong)seed, 0x5706);
        var rewards = new double[states * joint];
        var lists = new List<(int, double)>[states * joint];
        var weights = new double[states];
        for (int sj = 0; sj < states * joint; sj++)
        {
            rewards[sj] = rng.Uniform(-5, 5);
            double sum = 0;
            for (int k = 0; k < states; k++) sum += weights[k] = rng.Exponential();
            var list = new List<(int, double)>(states);
            for (int k = 0; k < states; k++) list.Add((k, weights[k] / sum));
            lists[sj] = list;
        }
        return Finish($"random-sg-S{states}-N{agents}-A{actions}-seed{seed}", agents, actions, states, rewards, lists);
    }

    /// <summary>
    /// The deterministic variant: from each state, each joint action leads to its own next state (a random injection of
    /// joint actions into states), and the reward depends only on (state, next state), U[-5, 5].
    /// </summary>
    public static TabularGame RandomDeterministic(int states, int agents, int actions, int seed)
    {
        CheckRandomSize(states, agents, actions);
        int joint = Pow(actions, agents);
        if (states < joint) throw new GameFormatException($"random-sg deterministic needs states ≥ joint actions ({joint}), got {states}");
        var rng = new Rng((ulong)seed, 0xDE7);
        var pairReward = new double[states * states];
        for (int k = 0; k < pairReward.Length; k++) pairReward[k] = rng.Uniform(-5, 5);
        var rewards = new double[states * joint];
        var lists = new List<(int, double)>[states * joint];
        var perm = Enumerable.Range(0, states).ToArray();
        for (int s = 0; s < states; s++)
        {
            for (int k = states - 1; k > 0; k--) { int m = rng.NextInt(k + 1); (perm[k], perm[m]) = (perm[m], perm[k]); }
            for (int j = 0; j < joint; j++)
            {
                rewards[s * joint + j] = pairReward[s * states + perm[j]];
                lists[s * joint + j] = [(perm[j], 1.0)];
            }
        }
        return Finish($"random-sg-det-S{states}-N{agents}-A{actions}-seed{seed}", agents, actions, states, rewards, lists);
    }

    static TabularGame Finish(string name, int agents, int actions, int states, double[] rewards, List<(int, double)>[] lists)
    {
        var (ts, next, prob) = TabularGame.Pack(lists);
        var start = new double[states];
        start[0] = 1;
        return new TabularGame(name, Enumerable.Repeat(actions, agents).ToArray(), states, start, 0.99, 30, new bool[states], rewards, ts, next, prob);
    }

    static void CheckRandomSize(int states, int agents, int actions)
    {
        if (states < 1) throw new GameFormatException($"random-sg: states is {states}; it must be at least 1");
        if (agents < 1) throw new GameFormatException($"random-sg: agents is {agents}; it must be at least 1");
        if (actions < 1) throw new GameFormatException($"random-sg: actions is {actions}; it must be at least 1");
        if (Math.Pow(actions, agents) * states > 5e7) throw new GameFormatException("random-sg: states × joint actions is too large for a table (over 5e7)");
    }

    static int Pow(int b, int e)
    {
        int r = 1;
        for (int i = 0; i < e; i++) r = checked(r * b);
        return r;
    }

    /// <summary>
    /// One-shot two-agent matrix games: <c>climbing</c>, <c>penalty</c> (k = -100 unless <c>penalty:k=K</c>), or rows of
    /// payoffs separated by ';' with entries separated by ','. State 0 plays the matrix, state 1 is terminal.
    /// </summary>
    public static TabularGame Matrix(string argument)
    {
        double[][] rows;
        string name;
        if (argument == "climbing")
        {
            rows = [[11, -30, 0], [-30, 7, 6], [0, 0, 5]];
            name = "climbing";
        }
        else if (argument == "penalty" || argument.StartsWith("penalty:", StringComparison.Ordinal))
        {
            double k = -100;
            if (argument.Length > "penalty".Length)
            {
                string kv = argument["penalty:".Length..];
                if (!kv.StartsWith("k=", StringComparison.Ordinal) || !double.TryParse(kv[2..], NumberStyles.Float, CultureInfo.InvariantCulture, out k))
                    throw new GameFormatException($"matrix:{argument}: expected penalty:k=<number>");
            }
            rows = [[k, 0, 10], [0, 2, 0], [10, 0, k]];
            name = $"penalty-k{k.ToString(CultureInfo.InvariantCulture)}";
        }
        else
        {
            if (argument.Length == 0) throw new GameFormatException("matrix: needs a payoff: climbing, penalty, or rows like 1,0;0,1");
            try
            {
                rows = argument.Split(';').Select(r => r.Split(',').Select(x => double.Parse(x, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray()).ToArray();
            }
            catch (FormatException)
            {
                throw new GameFormatException($"matrix:{argument}: payoffs must be numbers, rows separated by ';' and entries by ','");
            }
            if (rows.Any(r => r.Length != rows[0].Length)) throw new GameFormatException($"matrix:{argument}: every row needs the same number of entries");
            name = "matrix";
        }
        int a0 = rows.Length, a1 = rows[0].Length, joint = a0 * a1;
        var rewards = new double[2 * joint];
        var lists = new List<(int, double)>[2 * joint];
        for (int j = 0; j < joint; j++)
        {
            rewards[j] = rows[j / a1][j % a1];
            lists[j] = [(1, 1.0)];
            lists[joint + j] = [(1, 1.0)];
        }
        var (ts, next, prob) = TabularGame.Pack(lists);
        return new TabularGame(name, [a0, a1], 2, [1.0, 0.0], 1.0, 1, [false, true], rewards, ts, next, prob);
    }
}
