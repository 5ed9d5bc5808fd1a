using Xunit;
using MarlEdge.Trainer.Sumo;

namespace MarlEdge.Tests.Sumo;

/// <summary>
/// Small scenarios generated at test time: a 2x2 signalized grid with lopsided demand (west-east about 4x
/// north-south; adaptive control gains over SUMO's 50/50 static program), and a grid without
/// traffic lights. Nothing comes from outside the project.
/// </summary>
public sealed class SumoScenarioFixture : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"marledge-sumo-tests-{Guid.NewGuid():N}");
    public string GridFolder => Path.Combine(Root, "grid");
    public string NoLightsFolder => Path.Combine(Root, "nolights");

    /// <summary>Ten simulated minutes: long enough for queues to form, short enough to run in about a second.</summary>
    public const double EpisodeSeconds = 600;

    public SumoScenarioFixture()
    {
        GridScenarioGenerator.Generate(GridFolder, 2, new GridDemand(WestEastPerHour: 300, NorthSouthPerHour: 80, DurationS: EpisodeSeconds, Seed: 7));
        GridScenarioGenerator.Generate(NoLightsFolder, 2, new GridDemand(100, 100, 60, 1), trafficLights: false);
    }

    public string GridSpec(string extra = "") => $"sumo:{GridFolder},episode_s={EpisodeSeconds}{extra}";

    public string NewRunFolder() => Path.Combine(Root, "runs", Guid.NewGuid().ToString("N"));

    /// <summary>A new RESCO-style folder holding the grid as its scenario "grid" (grid.net.xml and route grid_1), for resco-bench.</summary>
    public string NewRescoFolder()
    {
        string resco = Path.Combine(Root, "resco-" + Guid.NewGuid().ToString("N")), folder = Path.Combine(resco, "grid");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(GridFolder, "grid.net.xml"), Path.Combine(folder, "grid.net.xml"));
        File.Copy(Path.Combine(GridFolder, "grid.rou.xml"), Path.Combine(folder, "grid_1.rou.xml"));
        return resco;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}

[CollectionDefinition("Sumo", DisableParallelization = true)] // real SUMO processes and wall-clock timing: run alone, after the parallel tests
public sealed class SumoCollection : ICollectionFixture<SumoScenarioFixture>;
