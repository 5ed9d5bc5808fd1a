using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// The entry point for `./marl train/eval`: <c>TryCreate("sumo:...")</c> returns a SUMO environment, or null when
/// the spec is not a sumo: spec. Problems (SUMO missing, bad scenario) throw <see cref="SumoException"/> with a
/// one-line message.
/// </summary>
public static class SumoEnvFactory
{
    public static IParallelEnv? TryCreate(string spec, string? runDirectory = null) =>
        SumoScenario.IsSumoSpec(spec) ? Create(spec, new SumoEnvOptions { RunDirectory = runDirectory }) : null;

    public static SumoEnv Create(string spec, SumoEnvOptions options)
    {
        var scenario = SumoScenario.Resolve(spec);
        Traci.SumoBinary.Locate(options.SumoBinary);  // fail early and clearly when SUMO is missing
        return new SumoEnv(scenario, options);
    }
}
