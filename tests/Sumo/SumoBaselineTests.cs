using Xunit;
using System.Text.Json;
using MarlEdge.Trainer.Sumo;
using MarlEdge.Trainer.Sumo.Baselines;

namespace MarlEdge.Tests.Sumo;

[Collection("Sumo")]
public sealed class SumoBaselineTests(SumoScenarioFixture scenario)
{
    [Fact]
    public void All_baselines_run_and_adaptive_control_beats_the_static_program_on_lopsided_demand()
    {
        var spec = SumoScenario.Resolve(scenario.GridSpec());
        var delay = new Dictionary<string, TripInfoMetrics>();
        foreach (string name in SignalControllers.Names)
        {
            string run = scenario.NewRunFolder();
            var episode = BaselineRunner.Run(spec, SignalControllers.Create(name, spec.Config), episodes: 1, firstSeed: 0, run).Single();
            var m = episode.Metrics;
            Assert.True(m.Throughput > 50, $"{name}: throughput {m.Throughput}");
            Assert.True(double.IsFinite(m.AvgDelay) && m.AvgDelay > 0, $"{name}: avg_delay {m.AvgDelay}");
            Assert.True(m.AvgTimeLoss < m.AvgTripTime && m.AvgWait <= m.AvgTimeLoss + 1e-9, $"{name}: {m}");
            Assert.True(m.AvgDelay >= m.AvgTimeLoss - 1e-9 || m.VehiclesInNetwork > 0, $"{name}: RESCO delay below the completed trips' timeLoss: {m}");
            Assert.True(m.VehiclesInNetwork >= 0);
            Assert.Equal(m, TripInfoMetrics.Read(Path.Combine(run, "tripinfo.xml"), ScheduledDepartures.Read(spec.RouteFiles), spec.Config.EpisodeS)
                with { VehiclesInNetwork = m.VehiclesInNetwork });
            delay[name] = m;
        }
        // SUMO's static program splits green 50/50 although west-east carries ~4x the traffic.
        Assert.True(delay["maxpressure"].AvgDelay < delay["static"].AvgDelay, $"maxpressure {delay["maxpressure"].AvgDelay:F1} vs static {delay["static"].AvgDelay:F1}");
        Assert.True(delay["maxpressure"].Throughput >= delay["static"].Throughput);
        Assert.True(delay["greedy"].AvgDelay < delay["static"].AvgDelay, $"greedy {delay["greedy"].AvgDelay:F1} vs static {delay["static"].AvgDelay:F1}");
    }

    [Fact]
    public void Command_writes_summary_and_tripinfo_and_prints_json()
    {
        string run = scenario.NewRunFolder();
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = MarlEdge.Trainer.Program.Main(["sumo-baseline", "--env", scenario.GridSpec(",episode_s=300"), "--algo", "maxpressure", "--out", run, "--episodes", "2", "--json"]);
        }
        finally { Console.SetOut(previous); }
        Assert.Equal(0, code);
        using var printed = JsonDocument.Parse(output.ToString());
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        foreach (var doc in new[] { printed, saved })
        {
            var root = doc.RootElement;
            Assert.Equal("maxpressure", root.GetProperty("algo").GetString());
            Assert.Equal(2, root.GetProperty("episodes").GetInt32());
            Assert.Equal(2, root.GetProperty("per_episode").GetArrayLength());
            Assert.True(root.GetProperty("avg_delay").GetDouble() > 0);
            Assert.True(root.GetProperty("throughput").GetDouble() > 0);
            foreach (string key in new[] { "avg_trip_time", "avg_wait", "vehicles_in_network" }) Assert.True(root.TryGetProperty(key, out _), key);
        }
        Assert.True(File.Exists(Path.Combine(run, "tripinfo.xml")));
    }
}
