using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace MarlEdge.Tests.Foundation;

/// <summary>The ./marl command line as a user runs it: a separate process, its exit code and its output.</summary>
public class CliTests
{
    public static (int Code, string Out, string Err) Marl(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "marl.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"marl {string.Join(' ', args)} timed out"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("train --env nosuch:x --algo iql --tabular --steps 10 --out {tmp}", "unknown environment 'nosuch:x'")]
    [InlineData("train --env matrix:climbing --algo sarsa --tabular --steps 10 --out {tmp}", "unknown algorithm 'sarsa'")]
    [InlineData("train --env matrix:climbing --algo iql --tabular --steps -3 --out {tmp}", "--steps must not be negative")]
    [InlineData("train --env matrix:climbing --algo iql --tabular --steps 10 --out {tmp} --frobnicate 1", "unknown option --frobnicate")]
    [InlineData("optimum --env tabular:{tmp}/missing.json", "does not exist")]
    [InlineData("eval --run {tmp}", "is not a run folder")]
    [InlineData("nosuchcommand", "unknown command 'nosuchcommand'")]
    public void BadInputGetsOneLineAndExitCode2(string command, string expected)
    {
        string tmp = TestPaths.TempDir();
        var (code, _, err) = Marl(command.Replace("{tmp}", tmp).Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err); // no stack trace
    }

    [Fact]
    public void MalformedGameFileIsRefusedByName()
    {
        string tmp = TestPaths.TempDir(), file = Path.Combine(tmp, "bad.json");
        File.WriteAllText(file, File.ReadAllText(Path.Combine(TestPaths.SharedGames, "climbing.json")).Replace("[[1, 1.0]], [[1, 1.0]]", "[[1, 0.5]], [[1, 1.0]]"));
        var (code, _, err) = Marl("optimum", "--env", $"tabular:{file}");
        Assert.Equal(2, code);
        Assert.Contains("probabilities sum to 0.5, not 1", err);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("optimum")]
    [InlineData("dump-game")]
    [InlineData("bench")]
    public void EveryCommandHasHelp(string command)
    {
        var (code, output, _) = Marl(command, "--help");
        Assert.Equal(0, code);
        Assert.StartsWith("usage: marl " + command, output.TrimStart());
    }

    [Fact]
    public void TrainWritesARunFolderThatEvalReproduces()
    {
        string dir = Path.Combine(TestPaths.TempDir(), "run");
        var (code, output, err) = Marl("train", "--env", "lstage:L=2,seed=3", "--algo", "i2q", "--tabular", "--steps", "5000", "--seed", "1", "--out", dir, "--quiet");
        Assert.True(code == 0, err);
        foreach (var f in new[] { "config.json", "metrics.csv", "summary.json", "curve.png", "policy.json" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var png = File.ReadAllBytes(Path.Combine(dir, "curve.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var (evalCode, evalOut, _) = Marl("eval", "--run", dir, "--json");
        Assert.Equal(0, evalCode);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        using var printed = JsonDocument.Parse(evalOut);
        Assert.Equal(summary.RootElement.ToString(), JsonSerializer.Serialize(printed.RootElement, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var key in new[] { "env", "algo", "seed", "steps", "mean_return", "normalized_score", "optimality_gap", "exploitability" })
            Assert.True(printed.RootElement.TryGetProperty(key, out _), key);
        Assert.Equal(1.0, printed.RootElement.GetProperty("normalized_score").GetDouble(), 9);
        Assert.Equal(output.Trim(), evalOut.Trim());
    }

    [Fact]
    public void OptimumPrintsJsonAndDumpGameWritesTheFormat()
    {
        var (code, output, _) = Marl("optimum", "--env", "matrix:climbing", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(11.0, doc.RootElement.GetProperty("optimal").GetDouble());
        string file = Path.Combine(TestPaths.TempDir(), "l.json");
        Assert.Equal(0, Marl("dump-game", "--env", "lstage:L=2,seed=0", "--out", file).Code);
        var (c2, o2, _) = Marl("optimum", "--env", "tabular:" + file, "--json");
        var (c3, o3, _) = Marl("optimum", "--env", "lstage:L=2,seed=0", "--json");
        Assert.Equal((0, 0), (c2, c3));
        Assert.Equal(o3, o2);
    }
}
