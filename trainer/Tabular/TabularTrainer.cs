using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;
using MarlEdge.Trainer.Evaluation;

namespace MarlEdge.Trainer.Tabular;

/// <summary>One row of a tabular run's learning curve.</summary>
public sealed record CurvePoint(long Step, long Episodes, double MeanReturn, double PolicyValue, double NormalizedScore);

public sealed record TabularRun(TabularPolicy Policy, IReadOnlyList<CurvePoint> Curve, long Episodes, double Seconds);

/// <summary>
/// The decentralized training loop on a tabular game. Each step every agent picks its own action from its own
/// observation; the sampler applies the joint action; each agent then receives only its own experience.
/// </summary>
public static class TabularTrainer
{
    public static TabularRun Train(TabularGame game, string algo, LearnerOptions options, long steps, int seed,
        int curvePoints = 40, Action<long, double>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var agents = Enumerable.Range(0, game.NumAgents)
            .Select(i => options.Create(algo, new AgentTask(i, game.NumAgents, game.NumStates, game.NumActions[i], game.Gamma, steps, (ulong)seed)))
            .ToArray();
        var sampler = new TabularSampler(game);
        var envRng = new Rng((ulong)seed, 0);
        double optimal = ExactEvaluator.Optimal(game), uniform = ExactEvaluator.Uniform(game);
        var curve = new List<CurvePoint>();
        long every = Math.Max(1, steps / Math.Max(1, curvePoints));

        var actions = new int[game.NumAgents];
        int s = sampler.Reset(ref envRng), t = 0;
        double episodeReturn = 0, windowReturn = 0;
        long episodes = 0, windowEpisodes = 0;
        for (long step = 0; step < steps; step++)
        {
            for (int i = 0; i < agents.Length; i++) actions[i] = agents[i].Act(s, step);
            int s2 = sampler.Step(s, game.JointIndex(actions), ref envRng, out double r);
            t++;
            bool terminated = game.IsTerminal[s2];
            bool truncated = !terminated && t >= game.Horizon;
            for (int i = 0; i < agents.Length; i++)
                agents[i].Observe(new Experience(s, actions[i], r, s2, terminated, truncated, step));
            episodeReturn += r;
            if (terminated || truncated)
            {
                episodes++; windowEpisodes++; windowReturn += episodeReturn;
                episodeReturn = 0; t = 0;
                s = sampler.Reset(ref envRng);
            }
            else s = s2;

            if ((step + 1) % every == 0 || step + 1 == steps)
            {
                if (step + 1 == steps) foreach (var agent in agents) agent.Finish();
                double value = ExactEvaluator.Value(game, PolicyOf(game, agents));
                double mean = windowEpisodes > 0 ? windowReturn / windowEpisodes : double.NaN;
                curve.Add(new CurvePoint(step + 1, episodes, mean, value, optimal - uniform > 1e-12 ? (value - uniform) / (optimal - uniform) : 1));
                progress?.Invoke(step + 1, mean);
                windowReturn = 0; windowEpisodes = 0;
            }
        }
        if (steps == 0) foreach (var agent in agents) agent.Finish();
        return new TabularRun(PolicyOf(game, agents), curve, episodes, clock.Elapsed.TotalSeconds);
    }

    static TabularPolicy PolicyOf(TabularGame game, TabularAgent[] agents)
    {
        var policy = new TabularPolicy(game.NumStates, game.NumActions);
        for (int i = 0; i < agents.Length; i++)
            for (int s = 0; s < game.NumStates; s++) agents[i].WritePolicy(s, policy.Row(i, s));
        return policy;
    }

    /// <summary>Mean undiscounted return of sampled episodes (cut at the horizon) under a fixed policy.</summary>
    public static double SampledReturn(TabularGame game, TabularPolicy policy, int episodes, int seed)
    {
        var sampler = new TabularSampler(game);
        var rng = new Rng((ulong)seed, 0xE7A1);
        var actions = new int[game.NumAgents];
        double total = 0;
        for (int e = 0; e < episodes; e++)
        {
            int s = sampler.Reset(ref rng);
            for (int t = 0; t < game.Horizon && !game.IsTerminal[s]; t++)
            {
                for (int i = 0; i < game.NumAgents; i++) actions[i] = rng.Categorical(policy.Row(i, s));
                s = sampler.Step(s, game.JointIndex(actions), ref rng, out double r);
                total += r;
            }
        }
        return total / Math.Max(1, episodes);
    }
}
