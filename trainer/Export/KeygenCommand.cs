using MarlEdge.Shared.Bundle;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Export;

public sealed class KeygenCommand : ICommand
{
    public string Name => "keygen";
    public string Summary => "make an ECDSA P-256 key pair for signing policy bundles";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "force", "help" };
    public string Help => """
        usage: marl keygen --out KEY [--force]

        Writes KEY.pem (the private key, PKCS#8 PEM, mode 600: keep it off devices) and KEY.pub.pem (the public key, to
        install on devices as `marl-edge validate --trust-key KEY.pub.pem`). Prints the key id.

          --out KEY   path prefix of the two files
          --force     overwrite an existing KEY.pem
        """;

    public int Run(CommandArgs args)
    {
        string prefix = args.RequiredString("out");
        bool force = args.Flag("force");
        args.RejectUnknown();
        if (prefix.EndsWith(".pem", StringComparison.Ordinal)) prefix = prefix[..^4];
        if (File.Exists(prefix + ".pem") && !force) throw new UsageException($"{prefix}.pem exists; refusing to overwrite a private key (use --force)");
        string id = BundleKeys.Generate(prefix);
        Console.WriteLine($"wrote {prefix}.pem (private) and {prefix}.pub.pem (public), key id {id}");
        return 0;
    }
}
