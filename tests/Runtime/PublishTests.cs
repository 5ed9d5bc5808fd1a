using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace MarlEdge.Tests.Runtime;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishCollection
{
    public const string Name = "Publish"; // a whole Release publish: runs alone, after the parallel tests
}

/// <summary>
/// The device build as shipped: a self-contained, trimmed, ReadyToRun publish. Trimming removes code reached only by reflection, so a
/// passing Debug build says nothing about it; this runs the published binary on the simulated intersection, with telemetry (the embedded
/// broker) and on-device learning on, and requires the policy, not the fallback plan, to decide every period.
/// </summary>
[Collection(PublishCollection.Name)]
public class PublishTests
{
    [Fact]
    public void The_trimmed_self_contained_publish_runs_the_policy_every_period()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        using var dev = new SimDevice();
        string outDir = Path.Combine(dev.Root, "publish");
        var (code, output) = Exec("dotnet", TimeSpan.FromMinutes(8), "publish", Path.Combine(SimDevice.RepoRoot, "runtime", "MarlEdge.Runtime.csproj"),
            "-c", "Release", "-r", rid, "-o", outDir, "-nologo", "-v", "quiet");
        Assert.True(code == 0, "dotnet publish failed:\n" + output);
        Assert.True(new FileInfo(Path.Combine(outDir, "System.Private.CoreLib.dll")).Length < 12_000_000, "the framework was not trimmed");

        (code, output) = Exec(Path.Combine(outDir, "marl-edge"), TimeSpan.FromMinutes(2), "run", "--config", dev.ConfigPath, "--periods", "30");
        Assert.True(code == 0, "marl-edge run failed:\n" + output);
        Assert.Contains("periods 30, decisions 30,", output);
        Assert.Contains("fallback entries 0,", output);
        Assert.DoesNotContain("policy not in control", output);
    }

    static (int Code, string Output) Exec(string file, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{Path.GetFileName(file)} {args[0]} took over {timeout}"); }
        p.WaitForExit();
        return (p.ExitCode, so.Result + se.Result);
    }
}
