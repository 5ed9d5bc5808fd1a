using System.Diagnostics;
using System.Globalization;
using MarlEdge.Trainer.Sumo.Traci;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// Runs SUMO by itself, without TraCI, on a scenario's static programs for one episode: the reference wall time the
/// TraCI coupling is measured against. Same options as the environment, so the simulations are identical.
/// </summary>
public static class StandaloneSumo
{
    public static (TripInfoMetrics Metrics, double WallSeconds) Run(SumoScenario scenario, string tripInfoPath, int seed, string? sumoBinary = null)
    {
        var config = scenario.Config;
        var info = new ProcessStartInfo(SumoBinary.Locate(sumoBinary)) { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] args =
        [
            "-n", scenario.NetFile, "-r", string.Join(",", scenario.RouteFiles),
            "--end", config.EpisodeS.ToString(CultureInfo.InvariantCulture),
            "--xml-validation", "never", "--no-step-log", "true", "--duration-log.disable", "true",
            "--tripinfo-output", tripInfoPath, "--tripinfo-output.write-unfinished", "true", "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--time-to-teleport", config.TimeToTeleportS.ToString(CultureInfo.InvariantCulture), "--no-warnings", "true",
        ];
        foreach (string a in args) info.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        double wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new SumoException($"sumo alone failed on {scenario.Name}: {stderr.Result.Split('\n').FirstOrDefault(l => l.Contains("Error")) ?? $"exit code {process.ExitCode}"}");
        return (TripInfoMetrics.Read(tripInfoPath, ScheduledDepartures.Read(scenario.RouteFiles), config.EpisodeS), wall);
    }
}
