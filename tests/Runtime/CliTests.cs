using MarlEdge.Runtime.Config;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>marl-edge's commands in-process: config check names each error by key and line; every command has --help; bad input is one line and a non-zero exit.</summary>
public class CliTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = args[0] switch
        {
            "config" => ConfigCommand.Run(args[1..], o, e),
            "run" => MarlEdge.Runtime.Hosting.RunCommand.Run(args[1..], o, e),
            "dev-bundle" => MarlEdge.Runtime.Hosting.DevBundleCommand.Run(args[1..], o, e),
            _ => throw new ArgumentException(args[0]),
        };
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Every_shipped_device_config_passes_the_check()
    {
        var files = Directory.GetFiles(Path.Combine(SimDevice.RepoRoot, "firmware-config"), "*.yaml");
        Assert.True(files.Length >= 3);
        var (code, stdout, stderr) = Run(["config", "check", .. files]);
        Assert.True(code == 0, stderr);
        Assert.Contains("traffic_signal 'tsc-main-and-5th' on raspberry_pi", stdout);
        Assert.Contains("base_station 'bs-site-42' on jetson", stdout);
    }

    [Fact]
    public void Config_check_names_each_schema_error_by_key_and_line()
    {
        string text = SimDevice.SimConfigText
            .Replace("board: simulated", "board: toaster")
            .Replace("period_ms: 100", "period_ms: fast")
            .Replace("  yellow_s: 3", "  yellow_s: 3\n  amber_s: 3")
            .Replace("  agent: agent-0\n", "");
        var lines = text.Split('\n');
        int Line(string s) => Array.FindIndex(lines, l => l.Contains(s)) + 1;
        var (_, errors) = DeviceConfig.Check(text, "x.yaml");
        Assert.Contains(new ConfigError("device.board", Line("board: toaster"), "is 'toaster', must be one of: raspberry_pi, jetson, simulated"), errors);
        Assert.Contains(errors, e => e.Key == "period_ms" && e.Line == Line("period_ms: fast") && e.Message.Contains("must be a number"));
        Assert.Contains(errors, e => e.Key == "signal.amber_s" && e.Line == Line("amber_s") && e.Message.StartsWith("unknown key"));
        Assert.Contains(errors, e => e.Key == "bundle.agent" && e.Message == "is required but missing");
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Config_check_names_cross_reference_errors_by_key_and_line()
    {
        string text = SimDevice.SimConfigText
            .Replace("- { name: ns_left, greens: [nb_l, sb_l] }", "- { name: ns_left, greens: [nb_l, eb_t] }")
            .Replace("source: detector.wb_l_queue.count", "source: detector.wb_x_queue.count")
            .Replace("min_green_s: 5", "min_green_s: 50")
            .Replace("- { name: wb_l, red: 21, yellow: 22, green: 23 }", "- { name: wb_l, red: 21, yellow: 22, green: 20 }");
        var lines = text.Split('\n');
        int Line(string s) => Array.FindIndex(lines, l => l.Contains(s)) + 1;
        var (_, errors) = DeviceConfig.Check(text, "x.yaml");
        Assert.Contains(errors, e => e.Key == "signal.phases[1].greens" && e.Line == Line("greens: [nb_l, eb_t]") && e.Message.Contains("conflicting groups 'nb_l' and 'eb_t'"));
        Assert.Contains(errors, e => e.Key == "observation[23].source" && e.Line == Line("wb_x_queue") && e.Message.Contains("unknown source"));
        Assert.Contains(errors, e => e.Key == "signal.min_green_s" && e.Line == Line("min_green_s: 50"));
        Assert.Contains(errors, e => e.Key == "signal.groups[7].green" && e.Message.Contains("pin 20 is already used"));
        // min_green_s 50 also puts each of the four fallback plan steps below the minimum green
        Assert.Equal(4, errors.Count(e => e.Key.StartsWith("signal.fallback_plan[") && e.Message.Contains("below min_green_s 50")));
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public void Cli_prints_the_errors_one_per_line_with_file_line_and_key_and_exits_2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "device:\n  id: x\n  kind: signal\n");
        try
        {
            var (code, _, stderr) = Run("config", "check", path);
            Assert.Equal(2, code);
            var errLines = stderr.Trim().Split('\n');
            Assert.Contains($"{path}:3: device.kind: is 'signal', must be one of: traffic_signal, base_station", errLines);
            Assert.All(errLines, l => Assert.StartsWith(path + ":", l));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("config")]
    [InlineData("run")]
    [InlineData("dev-bundle")]
    public void Every_command_has_help(string command)
    {
        var (code, stdout, _) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.StartsWith("usage: marl-edge " + command, stdout);
    }

    [Theory]
    [InlineData("run", "--config")]
    [InlineData("run", "--bogus")]
    [InlineData("run", "--config", "/nonexistent.yaml")]
    [InlineData("config", "frobnicate")]
    [InlineData("dev-bundle", "--config", "x.yaml")]
    public void Bad_input_is_one_clear_line_and_a_nonzero_exit(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("marl-edge", stderr);
    }

    [Fact]
    public void The_binary_exits_nonzero_on_an_unknown_command()
    {
        var (code, _, err) = EdgeProcess.Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Equal("marl-edge: unknown command 'frobnicate' (see marl-edge --help)", err.Trim());
    }
}
