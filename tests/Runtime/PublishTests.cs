using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace MarlEdge.Tests.Runtime;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishCollection
{
    public const string Name = "Publish"; // a whole Release publish: runs alone, after the parallel tests
}

/// <summary>
/// The device build as shipped: a self-contained, trimmed, composite ReadyToRun publish. Trimming removes code reached only by
/// reflection, so a passing Debug build says nothing about it; this runs the published binary on the simulated intersection with
/// telemetry (the embedded MQTTnet broker) and on-device learning on, and requires the policy, not the fallback plan, to decide
/// every period, the learner to update, and telemetry to reach the broker. One publish (1-2 min of CPU), one 4 s run.
/// </summary>
[Collection(PublishCollection.Name)]
public class PublishTests
{
    [Fact]
    public void The_trimmed_self_contained_publish_runs_policy_learning_and_telemetry()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        // 50 ms periods: the learner has its first batch of 32 transitions after 1.6 s.
        using var dev = new SimDevice(t => t.Replace("period_ms: 100", "period_ms: 50"));
        string outDir = Path.Combine(dev.Root, "publish");
        var (code, output) = Exec("dotnet", TimeSpan.FromMinutes(15), "publish", Path.Combine(SimDevice.RepoRoot, "runtime", "MarlEdge.Runtime.csproj"),
            "-c", "Release", "-r", rid, "-o", outDir, "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        Assert.True(code == 0, "dotnet publish failed:\n" + output);
        // Trimmed: framework assemblies nothing references are gone; composite ReadyToRun: one native image for framework and app.
        Assert.False(File.Exists(Path.Combine(outDir, "System.Private.Xml.dll")), "the framework was not trimmed");
        Assert.True(File.Exists(Path.Combine(outDir, "marl-edge.r2r.dll")), "no composite ReadyToRun image");
        Assert.False(File.Exists(Path.Combine(outDir, "onnxruntime.dll")), "Windows ONNX Runtime binaries in a linux publish");
        AssertUnitsNetConversionsKept(Path.Combine(outDir, "UnitsNet.dll"));

        (code, output) = Exec(Path.Combine(outDir, "marl-edge"), TimeSpan.FromMinutes(2), "run", "--config", dev.ConfigPath, "--periods", "80");
        Assert.True(code == 0, "marl-edge run failed:\n" + output);
        Assert.DoesNotContain("policy not in control", output);
        Assert.DoesNotContain("did not start", output);
        var counts = Regex.Match(output, @"periods (\d+), decisions (\d+), overruns \d+, fallback entries (\d+), updates (\d+),");
        Assert.True(counts.Success, "no counters line:\n" + output);
        Assert.Equal("80", counts.Groups[1].Value);
        Assert.Equal("80", counts.Groups[2].Value);
        Assert.Equal("0", counts.Groups[3].Value);
        Assert.True(int.Parse(counts.Groups[4].Value) > 0, "the learner made no update:\n" + output);
        var telemetry = Regex.Match(output, @"telemetry: (\d+) messages published");
        Assert.True(telemetry.Success && int.Parse(telemetry.Groups[1].Value) > 0, "no telemetry reached the embedded broker:\n" + output);
    }

    /// <summary>
    /// UnitsNet is trimmed; its UnitConverter finds each quantity's private static RegisterDefaultConversions by reflection (trim
    /// warning IL2075), so every quantity type (a UnitsNet struct with a static Info) must still have that method.
    /// </summary>
    static void AssertUnitsNetConversionsKept(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        int quantities = 0;
        var missing = new List<string>();
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if (md.GetString(type.Namespace) != "UnitsNet" || (type.Attributes & TypeAttributes.Interface) != 0) continue;
            var methods = type.GetMethods().Select(m => md.GetString(md.GetMethodDefinition(m).Name)).ToHashSet();
            if (!methods.Contains("get_Info")) continue;
            quantities++;
            if (!methods.Contains("RegisterDefaultConversions")) missing.Add(md.GetString(type.Name));
        }
        Assert.True(quantities > 100, $"only {quantities} UnitsNet quantity types found in the trimmed UnitsNet.dll");
        Assert.True(missing.Count == 0, "trimming removed RegisterDefaultConversions from: " + string.Join(", ", missing));
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
