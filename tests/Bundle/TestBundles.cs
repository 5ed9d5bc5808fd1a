using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Tests.Bundle;

/// <summary>A fresh temp folder per test, a signing key, and a two-agent bundle (an MLP Q-network and a GRU Q-network) written in it.</summary>
sealed class TestBundle : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("marledge-bundle-").FullName;
    public string Dir => Path.Combine(Root, "bundle");
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public static readonly BundleOrigin Origin = new("test-env", "iql", "run-1", null);

    public TestBundle(bool sign = true)
    {
        var rng = new Random(11);
        var agents = new[]
        {
            new BundleAgent("agent-0", new QNetwork(Mlp.Create([4, 16, 5], Activation.ReLU, rng)), ["x", "y", "vx", "vy"], ActionEntry.Discrete(5)),
            new BundleAgent("agent-1", GruQNetwork.Create(3, 8, 8, 2, rng), ["a", "b", "c"], ActionEntry.Discrete(2)),
        };
        BundleWriter.Write(Dir, Origin, agents, sign ? Key : null);
    }

    public string PathOf(string file) => Path.Combine(Dir, file);

    public void FlipByte(string file, int offset)
    {
        var bytes = File.ReadAllBytes(PathOf(file));
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(PathOf(file), bytes);
    }

    /// <summary>Edits manifest.json as JSON (for unsigned-bundle checks that come after the signature).</summary>
    public void EditManifest(Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(PathOf(BundleManifest.FileName)))!;
        edit(node);
        File.WriteAllText(PathOf(BundleManifest.FileName), node.ToJsonString());
    }

    /// <summary>Replaces a file and records its new sha256 in the manifest, as a careless tool (or an attacker without the key) would.</summary>
    public void ReplaceAndRehash(string file, byte[] bytes)
    {
        File.WriteAllBytes(PathOf(file), bytes);
        EditManifest(m => m["files"]![file] = Sha256Hex.Of(bytes));
    }

    public void Dispose()
    {
        Key.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
