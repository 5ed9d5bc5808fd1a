using System.Security.Cryptography;
using MarlEdge.Shared.Bundle;

namespace MarlEdge.Runtime.Validate;

/// <summary><c>marl-edge validate BUNDLE [--trust-key PUB.pem]</c>: prints one OK line, or one line naming what is wrong (exit 2).</summary>
public static class ValidateCommand
{
    public const string Help = """
        usage: marl-edge validate BUNDLE [--trust-key PUB.pem]

        Checks a policy bundle (from `marl export`) before a device runs it, and prints one line: OK, or what is wrong.
        Refuses (exit code 2): a missing file or sha256 mismatch; with --trust-key, a missing or bad manifest.sig or a
        manifest changed after signing; an unknown contract version; a model that is not ONNX, that ONNX Runtime cannot
        load, whose inputs/outputs disagree with manifest.json, or whose weights are NaN or infinite.

          BUNDLE               the bundle folder (manifest.json, agent-<i>.onnx, manifest.sig)
          --trust-key PUB.pem  the public key (from `marl keygen`) the bundle must be signed with
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? bundle = null, trustKey = null;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    stdout.WriteLine(Help);
                    return 0;
                case "--trust-key":
                    if (i + 1 >= args.Count) return Fail(stderr, "option --trust-key needs a value");
                    trustKey = args[++i];
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    return Fail(stderr, $"unknown option {a}");
                case var a when bundle is null:
                    bundle = a;
                    break;
                default:
                    return Fail(stderr, $"unexpected argument '{args[i]}' (one BUNDLE only)");
            }
        }
        if (bundle is null) return Fail(stderr, "missing BUNDLE (see marl-edge validate --help)");
        try
        {
            using ECDsa? key = trustKey is null ? null : BundleKeys.LoadPublic(trustKey);
            var verified = BundleValidator.Validate(bundle, key);
            string signature = verified.SignedBy is not null ? $"signature verified (key {verified.SignedBy})"
                : verified.HasSignature ? "signed, but the signature was not checked (no --trust-key)"
                : "unsigned";
            var m = verified.Manifest;
            stdout.WriteLine($"OK {bundle}: {m.Contract}, {verified.Agents.Count} agent(s) [{string.Join(", ", verified.Agents.Select(a => $"{a.Entry.Id}: {a.Entry.Network}"))}], env {m.Env}, algo {m.Algorithm}, run {m.RunId}, {signature}");
            return 0;
        }
        catch (BundleException e) { return Fail(stderr, e.Message); }
    }

    static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"marl-edge validate: {message}");
        return 2;
    }
}
