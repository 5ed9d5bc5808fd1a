using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using MarlEdge.Runtime.Validate;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Onnx.Proto;
using Xunit;

namespace MarlEdge.Tests.Bundle;

/// <summary>
/// Issue 4's tampering acceptance: every way a bundle can be wrong is refused by `marl-edge validate` with exit code 2 and its own
/// one-line message.
/// </summary>
public class BundleTamperTests
{
    /// <summary>Runs `marl-edge validate` in-process; returns the exit code and the single line it printed.</summary>
    static (int Code, string Line) Validate(TestBundle b, ECDsa? trust = null, string? trustPath = null)
    {
        var args = new List<string> { b.Dir };
        if (trust is not null)
        {
            trustPath = Path.Combine(b.Root, "trusted.pub.pem");
            File.WriteAllText(trustPath, trust.ExportSubjectPublicKeyInfoPem());
        }
        if (trustPath is not null) args.AddRange(["--trust-key", trustPath]);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ValidateCommand.Run(args, stdout, stderr);
        string text = (code == 0 ? stdout : stderr).ToString().TrimEnd('\n');
        Assert.DoesNotContain('\n', text);
        return (code, text);
    }

    static string Refused(TestBundle b, ECDsa? trust = null)
    {
        var (code, line) = Validate(b, trust);
        Assert.Equal(2, code);
        Assert.StartsWith("marl-edge validate: ", line);
        return line;
    }

    [Fact]
    public void IntactSignedBundleIsAccepted()
    {
        using var b = new TestBundle();
        var (code, line) = Validate(b, b.Key);
        Assert.Equal(0, code);
        Assert.Contains($"signature verified (key {BundleKeys.KeyId(b.Key)})", line);
        Assert.Contains("agent-0: q_network, agent-1: gru_q_network", line);
    }

    [Fact]
    public void OneByteOfAModelIsRefused()
    {
        using var b = new TestBundle();
        b.FlipByte("agent-0.onnx", 200);
        Assert.Contains("agent-0.onnx: sha256 mismatch", Refused(b, b.Key));
        Assert.Contains("agent-0.onnx: sha256 mismatch", Refused(b)); // hashes are checked with or without a trust key
    }

    [Fact]
    public void OneByteOfTheManifestIsRefused()
    {
        using var b = new TestBundle();
        int offset = File.ReadAllText(b.PathOf("manifest.json")).IndexOf("run-1", StringComparison.Ordinal) + 4;
        b.FlipByte("manifest.json", offset); // run-1 → run-0: still valid JSON, still a sensible manifest
        Assert.Contains("manifest.json was modified after it was signed", Refused(b, b.Key));
    }

    [Fact]
    public void OneByteOfTheSignatureIsRefused()
    {
        using var b = new TestBundle();
        var sig = JsonNode.Parse(File.ReadAllText(b.PathOf("manifest.sig")))!;
        var raw = Convert.FromBase64String(sig["signature"]!.GetValue<string>());
        raw[10] ^= 0x01;
        sig["signature"] = Convert.ToBase64String(raw);
        File.WriteAllText(b.PathOf("manifest.sig"), sig.ToJsonString());
        Assert.Contains("manifest.sig: the signature does not verify with the trusted key", Refused(b, b.Key));
    }

    [Fact]
    public void AnotherKeysSignatureIsRefused()
    {
        using var b = new TestBundle();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Contains($"not with the trusted key {BundleKeys.KeyId(other)}", Refused(b, other));
    }

    [Fact]
    public void MissingSignatureIsRefusedOnlyWhenATrustKeyIsGiven()
    {
        using var b = new TestBundle(sign: false);
        Assert.Contains("manifest.sig is missing", Refused(b, b.Key));
        Assert.Equal(0, Validate(b).Code);
    }

    [Fact]
    public void MissingModelIsRefused()
    {
        using var b = new TestBundle();
        File.Delete(b.PathOf("agent-1.onnx"));
        Assert.Contains("agent-1.onnx is missing", Refused(b, b.Key));
    }

    [Fact]
    public void UnknownContractVersionIsRefused()
    {
        using var b = new TestBundle(sign: false);
        b.EditManifest(m => m["contract"] = "marledge-policy-bundle/99");
        Assert.Contains("unknown contract version 'marledge-policy-bundle/99'", Refused(b));
    }

    [Fact]
    public void ShapesDisagreeingWithTheManifestAreRefused()
    {
        using var b = new TestBundle(sign: false);
        b.EditManifest(m => m["agents"]![0]!["action"]!["count"] = 6);
        Assert.Contains("agent-0.onnx: input 'action_mask' has shape [batch, 5], manifest.json says [batch, 6]", Refused(b));
    }

    [Fact]
    public void NaNAndInfiniteWeightsAreRefused()
    {
        foreach (var (bad, word) in new[] { (float.NaN, "NaN"), (float.PositiveInfinity, "+Infinity") })
        {
            using var b = new TestBundle(sign: false);
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(b.PathOf("agent-1.onnx")));
            var head = model.Graph.Initializer.Single(t => t.Name == "head.weight");
            var w = MemoryMarshal.Cast<byte, float>(head.RawData.Span).ToArray();
            w[3] = bad;
            head.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(w.AsSpan()));
            b.ReplaceAndRehash("agent-1.onnx", model.ToByteArray());
            Assert.Contains($"agent-1.onnx: weight 'head.weight'[3] is {word}", Refused(b));
        }
    }

    [Fact]
    public void AFileThatIsNotOnnxIsRefused()
    {
        using var b = new TestBundle(sign: false);
        b.ReplaceAndRehash("agent-0.onnx", Encoding.UTF8.GetBytes("this is not an ONNX model, just text\n"));
        Assert.Contains("agent-0.onnx is not an ONNX model", Refused(b));
    }

    [Fact]
    public void EachTamperingHasItsOwnMessage()
    {
        var messages = new List<string>();
        using (var b = new TestBundle()) { b.FlipByte("agent-0.onnx", 200); messages.Add(Refused(b, b.Key)); }
        using (var b = new TestBundle())
        {
            b.FlipByte("manifest.json", File.ReadAllText(b.PathOf("manifest.json")).IndexOf("run-1", StringComparison.Ordinal) + 4);
            messages.Add(Refused(b, b.Key));
        }
        using (var b = new TestBundle())
        {
            var sig = JsonNode.Parse(File.ReadAllText(b.PathOf("manifest.sig")))!;
            var raw = Convert.FromBase64String(sig["signature"]!.GetValue<string>());
            raw[40] ^= 0x80;
            sig["signature"] = Convert.ToBase64String(raw);
            File.WriteAllText(b.PathOf("manifest.sig"), sig.ToJsonString());
            messages.Add(Refused(b, b.Key));
        }
        Assert.Equal(3, messages.Distinct().Count());
    }

    [Fact]
    public void UsageErrorsAreOneLineWithExitCode2()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, ValidateCommand.Run(["/nonexistent/bundle"], TextWriter.Null, stderr));
        Assert.Equal("marl-edge validate: bundle '/nonexistent/bundle' does not exist or is not a directory", stderr.ToString().TrimEnd());
        Assert.Equal(2, ValidateCommand.Run([], TextWriter.Null, TextWriter.Null));
        Assert.Equal(2, ValidateCommand.Run(["x", "--bogus"], TextWriter.Null, TextWriter.Null));
        var help = new StringWriter();
        Assert.Equal(0, ValidateCommand.Run(["--help"], help, TextWriter.Null));
        Assert.Contains("usage: marl-edge validate BUNDLE", help.ToString());
    }
}
