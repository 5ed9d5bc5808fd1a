using Xunit;
using System.Diagnostics;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Sumo;

namespace MarlEdge.Tests.Sumo;

[Collection("Sumo")]
public sealed class SumoBadInputTests(SumoScenarioFixture scenario)
{
    static int RunCli(string[] args, out string stderr)
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try { return MarlEdge.Trainer.Program.Main(args); }
        finally
        {
            Console.SetError(previous);
            stderr = error.ToString();
        }
    }

    [Fact]
    public void Missing_sumo_names_the_install_command()
    {
        var e = Assert.Throws<SumoNotInstalledException>(() =>
            SumoEnvFactory.Create(scenario.GridSpec(), new SumoEnvOptions { SumoBinary = "/nonexistent/bin/sumo" }));
        Assert.Contains("apt-get install sumo", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Net_without_traffic_lights_is_refused_with_one_line()
    {
        int code = RunCli(["sumo-baseline", "--env", $"sumo:{scenario.NoLightsFolder}", "--algo", "static", "--out", scenario.NewRunFolder()], out string stderr);
        Assert.Equal(2, code);
        Assert.Contains("no traffic lights", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Broken_route_file_is_reported_from_sumo()
    {
        string folder = Path.Combine(scenario.Root, "broken-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(scenario.GridFolder, "grid.net.xml"), Path.Combine(folder, "grid.net.xml"));
        File.WriteAllText(Path.Combine(folder, "grid.rou.xml"), "<routes>\n  <vehicle id=\"x\" depart=\"0\"><route edges=\"no_such_edge\"/></vehicle>\n</routes>\n");
        string run = scenario.NewRunFolder();
        int code = RunCli(["sumo-baseline", "--env", $"sumo:{folder}", "--algo", "maxpressure", "--out", run], out string stderr);
        Assert.Equal(2, code);
        Assert.Contains("no_such_edge", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(run, "summary.json")));
    }

    [Fact]
    public void Resco_bench_refuses_a_bad_scenario_set_before_running_anything()
    {
        string resco = scenario.NewRescoFolder();
        string run = scenario.NewRunFolder();
        int code = RunCli(["resco-bench", "--resco", resco, "--scenarios", "grid", "--episodes", "1", "--learners", "iql",
            "--scenario-set", "reward=pressure,no_such_key=1", "--out", run], out string stderr);
        Assert.Equal(2, code);
        Assert.Contains("no_such_key", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Scenario_configs_ship_next_to_the_trainer()
    {
        // A copied or published trainer finds them there (walking up from a copy outside the repository finds nothing).
        string shipped = Path.Combine(AppContext.BaseDirectory, "Sumo", "Scenarios");
        foreach (string name in new[] { "grid4x4", "arterial4x4", "default" })
            Assert.True(File.Exists(Path.Combine(shipped, name + ".json")), $"{name}.json missing from {shipped}");
        Assert.Equal(-1, SumoScenarioConfig.Load(Path.Combine(shipped, "grid4x4.json")).TimeToTeleportS);
    }

    [Fact]
    public void Unknown_options_and_routes_are_named()
    {
        var e = Assert.Throws<SumoException>(() => SumoScenario.Resolve(scenario.GridSpec(",step=5")));
        Assert.Contains("unknown option 'step'", e.Message);
        e = Assert.Throws<SumoException>(() => SumoScenario.Resolve(scenario.GridSpec(",route=nope")));
        Assert.Contains("route 'nope' not found", e.Message);
        e = Assert.Throws<SumoException>(() => SumoScenario.Resolve(scenario.GridSpec(",yellow_s=12")));
        Assert.Contains("yellow_s", e.Message);
        e = Assert.Throws<SumoException>(() => SumoScenario.Resolve(scenario.GridSpec(",observe_pending=yes")));
        Assert.Contains("'observe_pending' must be true or false, got 'yes'", e.Message);
        e = Assert.Throws<SumoException>(() => SumoScenario.Resolve(scenario.GridSpec(",obs_scale_pending=0")));
        Assert.Contains("'obs_scale_pending' must be positive", e.Message);
        Assert.Null(SumoEnvFactory.TryCreate("lstage:L=3,seed=0"));
    }

    [Fact]
    public void Sumo_dying_mid_episode_is_a_clear_error_and_keeps_the_last_complete_tripinfo()
    {
        string run = scenario.NewRunFolder();
        using var env = SumoEnvFactory.Create(scenario.GridSpec(",episode_s=100"), new SumoEnvOptions { RunDirectory = run });
        var obs = env.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var rewards = new float[env.Agents.Count];
        var action = new JointAction(env.Agents);

        env.Reset(0, obs);
        while (!env.Step(action, obs, rewards).Done) { }
        string tripinfo = Path.Combine(run, "tripinfo.xml");
        byte[] complete = File.ReadAllBytes(tripinfo);

        env.Reset(1, obs);
        env.Step(action, obs, rewards);
        Process.GetProcessById(env.SumoProcessId!.Value).Kill();
        var e = Assert.Throws<SumoException>(() => { for (int k = 0; k < 5; k++) env.Step(action, obs, rewards); });
        Assert.Contains("sumo exited during the episode", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(complete, File.ReadAllBytes(tripinfo));
        Assert.False(Directory.Exists(Path.Combine(run, ".sumo-episode")));
        Assert.Null(env.SumoProcessId);

        // the environment recovers with the next reset
        env.Reset(2, obs);
        Assert.False(env.Step(action, obs, rewards).Done);
    }
}
