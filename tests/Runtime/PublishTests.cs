using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MarlEdge.Shared.Bundle;
using Xunit;

namespace MarlEdge.Tests.Runtime;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishCollection
{
    public const string Name = "Publish"; // a whole Release publish: runs alone, after the parallel tests
}

/// <summary>
/// The device build as shipped: the self-contained Native AOT publish (runtime/README.md), one native executable beside ONNX Runtime's
/// library, fully trimmed. Trimming and AOT remove code reached only by reflection, so a passing Debug build says nothing about it;
/// this runs the published binary on the simulated intersection with telemetry (the embedded MQTTnet broker) and on-device learning
/// on, and requires the policy, not the fallback plan, to decide every period, the learner to update, and telemetry to reach the
/// broker. One publish (1.5-2 min of CPU, 3-4 min on the loaded CI box), one 4 s run. The composite-ReadyToRun form
/// (-p:EdgePublish=r2r) is not published here: it would double this test's time for a form devices are not told to ship.
/// </summary>
[Collection(PublishCollection.Name)]
public class PublishTests
{
    [Fact]
    public void The_native_AOT_publish_runs_policy_learning_and_telemetry()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        // 50 ms periods: the learner has its first batch of 32 transitions after 1.6 s.
        using var dev = new SimDevice(t => t.Replace("period_ms: 100", "period_ms: 50"));
        string outDir = Path.Combine(dev.Root, "publish");
        var (code, output) = Exec("dotnet", TimeSpan.FromMinutes(15), "publish", Path.Combine(SimDevice.RepoRoot, "runtime", "MarlEdge.Runtime.csproj"),
            "-c", "Release", "-r", rid, "-o", outDir, "-nologo", "-v", "quiet", "-clp:ErrorsOnly");
        Assert.True(code == 0, "dotnet publish failed (Native AOT needs clang and zlib1g-dev: setup.sh installs them):\n" + output);
        // Native AOT: marl-edge is an ELF executable with the runtime compiled in: no IL, no CoreCLR, no JIT, no ReadyToRun image.
        string exe = Path.Combine(outDir, "marl-edge");
        byte[] head = File.ReadAllBytes(exe)[..4];
        Assert.True(head.SequenceEqual(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }), "marl-edge is not a native (ELF) executable");
        foreach (var managed in new[] { "marl-edge.dll", "System.Private.CoreLib.dll", "libcoreclr.so", "libclrjit.so", "marl-edge.r2r.dll" })
            Assert.False(File.Exists(Path.Combine(outDir, managed)), $"{managed} in a Native AOT publish");
        Assert.Empty(Directory.GetFiles(outDir, "*.dll"));
        Assert.True(File.Exists(Path.Combine(outDir, "libonnxruntime.so")), "ONNX Runtime's library is missing from the publish");

        (code, output) = Exec(exe, TimeSpan.FromMinutes(2), "run", "--config", dev.ConfigPath, "--periods", "80");
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

        // The other commands go through other code (the YAML schema checker, the bundle validator's SHA-256 and JSON contracts).
        (code, output) = Exec(exe, TimeSpan.FromMinutes(1), "config", "check", dev.ConfigPath);
        Assert.True(code == 0, "marl-edge config check failed:\n" + output);
        // A signed bundle: the ECDSA P-256 signature checked through the published binary's crypto (libcrypto), and a wrong key refused.
        string key = Path.Combine(dev.Root, "trust");
        BundleKeys.Generate(key);
        using (var signer = BundleKeys.LoadPrivate(key + ".pem"))
            ManifestSignature.Sign(File.ReadAllBytes(Path.Combine(dev.BundleDir, BundleManifest.FileName)), signer)
                .Write(Path.Combine(dev.BundleDir, ManifestSignature.FileName));
        (code, output) = Exec(exe, TimeSpan.FromMinutes(1), "validate", dev.BundleDir, "--trust-key", key + ".pub.pem");
        Assert.True(code == 0 && output.StartsWith("OK ") && !output.Contains("unsigned"), "marl-edge validate of a signed bundle failed:\n" + output);
        BundleKeys.Generate(key + "-other");
        (code, output) = Exec(exe, TimeSpan.FromMinutes(1), "validate", dev.BundleDir, "--trust-key", key + "-other.pub.pem");
        Assert.True(code != 0, "a bundle signed by another key passed validation:\n" + output);
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
