using System.Security.Cryptography;
using MarlEdge.Shared.Bundle;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Export;

public sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "export a run's policies as a (signed) ONNX policy bundle for the edge runtime";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "help" };
    public string Help => """
        usage: marl export --run DIR --out BUNDLE [--sign-key KEY.pem]

        Writes BUNDLE/agent-<i>.onnx for every agent (ONNX IR 8, opset 17; inputs obs [batch, obs_dim] and action_mask
        [batch, n_actions], outputs q_values or logits and the masked greedy action), BUNDLE/manifest.json (contract version,
        env, algorithm, run id, git commit, creation time, each agent's observation features and action spec, sha256 of every
        model) and, with --sign-key, BUNDLE/manifest.sig (ECDSA P-256). The bundle is read back and verified before exit.

          --run DIR           a run folder written by `marl train` (tabular runs: config.json + policy.json)
          --out BUNDLE        the bundle folder to write
          --sign-key KEY.pem  a private key from `marl keygen`
        """;

    public int Run(CommandArgs args)
    {
        var run = new RunFolder(args.RequiredString("run"));
        string outDir = args.RequiredString("out");
        string? keyPath = args.String("sign-key");
        args.RejectUnknown();
        try
        {
            var config = run.ReadConfig();
            var agents = RunPolicies.Load(run, config);
            using ECDsa? key = keyPath is null ? null : BundleKeys.LoadPrivate(keyPath);
            BundleWriter.Write(outDir, new BundleOrigin(config.Env, config.Algo, config.RunId, ProjectCommit.Find()), agents, key);
            var verified = BundleReader.Read(outDir, key);
            Console.WriteLine($"wrote {outDir}: {verified.Agents.Count} agent(s), {string.Join(", ", verified.Manifest.Files.Keys)}" +
                              (verified.SignedBy is null ? ", unsigned" : $", signed with key {verified.SignedBy}"));
            return 0;
        }
        catch (BundleException e) { throw new UsageException(e.Message); }
    }
}
