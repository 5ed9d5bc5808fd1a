using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Tabular;
using Xunit;

namespace MarlEdge.Tests.Foundation;

/// <summary>A tabular agent's WriteState / ReadState carry everything it has learned: a resumed agent continues exactly.</summary>
public class TabularCheckpointTests
{
    /// <summary>Trains on a stochastic game; at <paramref name="cut"/> every agent is written out and replaced by a fresh one read back.</summary>
    static (double[][] Policy, byte[] State) Run(string algo, long steps, long? cut, bool restore = true)
    {
        var game = BuiltInGames.FromSpec("random-sg:states=12,agents=2,actions=3,seed=4")!;
        var options = LearnerOptions.Default with { PolicyGradient = LearnerOptions.Default.PolicyGradient with { BatchSteps = 300 } };
        TabularAgent Make(int i) => options.Create(algo, new AgentTask(i, game.NumAgents, game.NumStates, game.NumActions[i], game.Gamma, steps, 7));
        var agents = Enumerable.Range(0, game.NumAgents).Select(Make).ToArray();
        var sampler = new TabularSampler(game);
        var rng = new Rng(7, 0);
        var actions = new int[game.NumAgents];
        int s = sampler.Reset(ref rng), t = 0;
        for (long step = 0; step < steps; step++)
        {
            if (step == cut)
                for (int i = 0; i < agents.Length; i++)
                {
                    using var buffer = new MemoryStream();
                    using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) agents[i].WriteState(w);
                    buffer.Position = 0;
                    agents[i] = Make(i);
                    using var r = new BinaryReader(buffer);
                    if (!restore) continue;
                    agents[i].ReadState(r);
                    Assert.Equal(buffer.Length, buffer.Position);   // read back exactly what was written
                }
            for (int i = 0; i < agents.Length; i++) actions[i] = agents[i].Act(s, step);
            int s2 = sampler.Step(s, game.JointIndex(actions), ref rng, out double reward);
            bool terminated = game.IsTerminal[s2], truncated = !terminated && ++t >= game.Horizon;
            for (int i = 0; i < agents.Length; i++) agents[i].Observe(new Experience(s, actions[i], reward, s2, terminated, truncated, step));
            if (terminated || truncated) { s = sampler.Reset(ref rng); t = 0; }
            else s = s2;
        }
        foreach (var a in agents) a.Finish();
        using var end = new MemoryStream();
        using (var w = new BinaryWriter(end, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (var a in agents) a.WriteState(w);
        return (agents.SelectMany(a => Enumerable.Range(0, game.NumStates).Select(st =>
        {
            var p = new double[game.NumActions[0]];
            a.WritePolicy(st, p);
            return p;
        })).ToArray(), end.ToArray());
    }

    [Theory]
    [InlineData("iql")]
    [InlineData("ma2ql")]
    [InlineData("i2q")]
    [InlineData("ippo")]
    [InlineData("dpo")]
    public void A_resumed_agent_ends_where_an_uninterrupted_one_ends(string algo)
    {
        const long steps = 6000;
        var whole = Run(algo, steps, cut: null);
        var resumed = Run(algo, steps, cut: 2345);   // mid-episode, mid-batch, mid-turn
        Assert.Equal(whole.Policy.Length, resumed.Policy.Length);
        for (int k = 0; k < whole.Policy.Length; k++) Assert.Equal(whole.Policy[k], resumed.Policy[k]);
        Assert.Equal(whole.State, resumed.State);                        // every value and the random state, bit for bit
        var forgotten = Run(algo, steps, cut: 2345, restore: false);   // fresh agents at the cut end elsewhere: the state mattered
        Assert.NotEqual(whole.State, forgotten.State);
    }

    [Fact]
    public void A_checkpoint_of_another_task_is_refused()
    {
        var small = new Iql(new AgentTask(0, 2, 4, 3, 0.9, 100, 1), new IqlOptions());
        var large = new Iql(new AgentTask(0, 2, 5, 3, 0.9, 100, 1), new IqlOptions());
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) small.WriteState(w);
        buffer.Position = 0;
        using var r = new BinaryReader(buffer);
        Assert.Throws<InvalidDataException>(() => large.ReadState(r));
    }
}
