using System.Diagnostics;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Bench;

/// <summary>
/// Tabular update throughput: IQL Q-updates per second on one core, on transitions sampled beforehand from the
/// 30-state, 3-agent, 5-action game (so the figure is the update alone, not the simulator).
/// </summary>
public static class UpdateThroughput
{
    public static double Measure(int transitions = 1 << 20, int repeats = 8)
    {
        var game = BuiltInGames.RandomStochastic(30, 3, 5, 0);
        var sampler = new TabularSampler(game);
        var rng = new Rng(1);
        var s = new int[transitions]; var a = new int[transitions]; var r = new double[transitions]; var s2 = new int[transitions];
        int state = 0;
        var joint = new int[3];
        for (int k = 0; k < transitions; k++)
        {
            for (int i = 0; i < 3; i++) joint[i] = rng.NextInt(5);
            s[k] = state; a[k] = joint[0];
            state = s2[k] = sampler.Step(state, game.JointIndex(joint), ref rng, out r[k]);
        }
        var agent = new Iql(new AgentTask(0, 3, 30, 5, 0.99, transitions, 1), new IqlOptions());
        for (int k = 0; k < transitions; k++) agent.Update(s[k], a[k], r[k], s2[k], false); // warm-up (JIT)
        double best = 0;
        for (int rep = 0; rep < repeats; rep++)
        {
            var clock = Stopwatch.StartNew();
            for (int k = 0; k < transitions; k++) agent.Update(s[k], a[k], r[k], s2[k], false);
            best = Math.Max(best, transitions / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
