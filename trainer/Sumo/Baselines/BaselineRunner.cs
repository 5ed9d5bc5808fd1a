using System.Diagnostics;
using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Sumo.Baselines;

/// <summary>One evaluated episode: its seed, the tripinfo metrics and the wall time it took.</summary>
public sealed record BaselineEpisode(int Seed, TripInfoMetrics Metrics, double WallSeconds);

/// <summary>Runs a baseline controller for whole episodes through <see cref="SumoEnv"/>, exactly as a learner would act.</summary>
public static class BaselineRunner
{
    public static List<BaselineEpisode> Run(SumoScenario scenario, ISignalController controller, int episodes, int firstSeed,
        string runDirectory, string? sumoBinary = null)
    {
        var options = new SumoEnvOptions { RunDirectory = runDirectory, SumoBinary = sumoBinary, StaticLights = controller.UsesStaticProgram };
        using var env = new SumoEnv(scenario, options);
        var observations = env.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var rewards = new float[env.Agents.Count];
        var action = new JointAction(env.Agents);
        var results = new List<BaselineEpisode>();
        for (int e = 0; e < episodes; e++)
        {
            var clock = Stopwatch.StartNew();
            int seed = firstSeed + e;
            env.Reset(seed, observations);
            while (true)
            {
                for (int i = 0; i < env.Intersections.Count; i++)
                    action.Discrete[i] = controller.ChooseGreen(env.Intersections[i], env.Time);
                if (env.Step(action, observations, rewards).Done) break;
            }
            results.Add(new BaselineEpisode(seed, env.LastEpisode!, clock.Elapsed.TotalSeconds));
        }
        return results;
    }
}
