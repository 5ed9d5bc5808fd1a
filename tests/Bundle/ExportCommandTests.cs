using System.Security.Cryptography;
using MarlEdge.Runtime.Onnx;
using MarlEdge.Runtime.Validate;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Export;
using Xunit;

namespace MarlEdge.Tests.Bundle;

/// <summary>`marl keygen` and `marl export` on a tabular run folder, end to end: the exported models act like policy.json.</summary>
public class ExportCommandTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("marledge-export-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static int Run(ICommand command, params string[] args) => command.Run(new CommandArgs(args, command.Flags));

    /// <summary>A tabular run folder as `marl train` writes it: config.json and a policy.json for the 2-agent 3-action matrix game.</summary>
    string WriteRun(TabularPolicy policy)
    {
        string run = Path.Combine(_root, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"),
            """{"env": "matrix:climbing", "algo": "i2q", "seed": 3, "steps": 1000, "tabular": true, "run_id": "i2q-climbing-3", "created": "2026-01-01T00:00:00Z", "options": {}}""");
        policy.Write(Path.Combine(run, "policy.json"));
        return run;
    }

    [Fact]
    public void TabularRunExportsToASignedBundleWhoseModelsActLikePolicyJson()
    {
        var game = BuiltInGames.FromSpec("matrix:climbing")!;
        var policy = new TabularPolicy(game.NumStates, game.NumActions);
        var rng = new Random(2);
        for (int i = 0; i < game.NumAgents; i++)
            for (int s = 0; s < game.NumStates; s++)
                policy.Row(i, s)[rng.Next(game.NumActions[i])] = 1; // deterministic greedy policies
        string run = WriteRun(policy);
        string key = Path.Combine(_root, "key");
        Assert.Equal(0, Run(new KeygenCommand(), "--out", key));
        Assert.Throws<UsageException>(() => Run(new KeygenCommand(), "--out", key)); // never overwrites a private key silently
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key + ".pem")); // private from its first byte
        string bundle = Path.Combine(_root, "bundle");
        Assert.Equal(0, Run(new ExportCommand(), "--run", run, "--out", bundle, "--sign-key", key + ".pem"));

        using var trusted = BundleKeys.LoadPublic(key + ".pub.pem");
        var v = BundleValidator.Validate(bundle, trusted);
        Assert.Equal("matrix:climbing", v.Manifest.Env);
        Assert.Equal("i2q", v.Manifest.Algorithm);
        Assert.Equal("i2q-climbing-3", v.Manifest.RunId);
        Assert.Equal(["agent-0.onnx", "agent-1.onnx"], v.Manifest.Files.Keys.ToArray());
        Assert.Equal(ObservationSpec.OneHot(game.NumStates).FeatureNames, v.Manifest.Agents[0].Observation.Features);

        for (int i = 0; i < game.NumAgents; i++)
        {
            int s = game.NumStates, a = game.NumActions[i];
            var obs = new float[s * s];
            for (int k = 0; k < s; k++) obs[k * s + k] = 1;
            using var session = new OrtPolicySession(File.ReadAllBytes(Path.Combine(bundle, $"agent-{i}.onnx")));
            var o = session.Run(s, obs, Enumerable.Repeat(1f, s * a).ToArray());
            for (int k = 0; k < s; k++)
                Assert.Equal(1.0, policy.Row(i, k)[(int)o.Action![k]]);
        }
    }

    [Fact]
    public void DeepRunExportsTheNetworksItsLearnerSaved()
    {
        string run = Path.Combine(_root, "deep-run");
        Directory.CreateDirectory(Path.Combine(run, RunPolicies.NetworksFolder));
        File.WriteAllText(Path.Combine(run, "config.json"),
            """{"env": "some-env", "algo": "ippo", "seed": 0, "steps": 10, "tabular": false, "run_id": "deep-1", "created": "2026-01-01T00:00:00Z", "options": {}}""");
        var rng = new Random(4);
        for (int i = 0; i < 2; i++)
            Shared.Onnx.PolicyOnnxWriter.Write(Path.Combine(run, RunPolicies.NetworksFolder, $"agent-{i}.onnx"),
                new Shared.Policy.CategoricalActor(Shared.Policy.Mlp.Create([3, 8, 4], Shared.Policy.Activation.Tanh, rng)),
                new Shared.Onnx.PolicyModelInfo($"agent-{i}", ["p", "q", "r"]));
        string bundle = Path.Combine(_root, "deep-bundle");
        Assert.Equal(0, Run(new ExportCommand(), "--run", run, "--out", bundle));
        var v = BundleValidator.Validate(bundle, null);
        Assert.Equal(["agent-0", "agent-1"], v.Manifest.Agents.Select(a => a.Id).ToArray());
        Assert.All(v.Manifest.Agents, a => Assert.Equal("categorical_actor", a.Network));
        Assert.False(v.HasSignature);
    }

    [Fact]
    public void ContinuousDeepRunExportsItsBoundsFromActionsJson()
    {
        string run = Path.Combine(_root, "gauss-run"), nets = Path.Combine(run, RunPolicies.NetworksFolder);
        Directory.CreateDirectory(nets);
        File.WriteAllText(Path.Combine(run, "config.json"),
            """{"env": "diff-dpo", "algo": "dpo", "seed": 0, "steps": 10, "tabular": false, "run_id": "deep-2", "created": "2026-01-01T00:00:00Z", "options": {}}""");
        var rng = new Random(5);
        Shared.Onnx.PolicyOnnxWriter.Write(Path.Combine(nets, "agent-0.onnx"),
            new Shared.Policy.GaussianActor(Shared.Policy.Mlp.Create([1, 8, 1], Shared.Policy.Activation.Tanh, rng), [-0.5f]),
            new Shared.Onnx.PolicyModelInfo("agent-0", ["x"]));
        string bundle = Path.Combine(_root, "gauss-bundle");
        Assert.Contains("actions.json", Assert.Throws<UsageException>(() => Run(new ExportCommand(), "--run", run, "--out", bundle)).Message);
        File.WriteAllText(Path.Combine(nets, "actions.json"),
            """[{"agent_id": "agent-0", "mapping": {"kind": "gaussian", "count": 0, "dim": 1, "low": -10, "high": 10}}]""");
        Assert.Equal(0, Run(new ExportCommand(), "--run", run, "--out", bundle));
        var action = BundleValidator.Validate(bundle, null).Manifest.Agents.Single().Action;
        Assert.Equal(("box", 1, -10f, 10f), (action.Type, action.Dim!.Value, action.Low!.Value, action.High!.Value));
    }

    [Fact]
    public void BadInputIsAUsageError()
    {
        Assert.Contains("not a run folder", Assert.Throws<UsageException>(() => Run(new ExportCommand(), "--run", Path.Combine(_root, "none"), "--out", Path.Combine(_root, "b"))).Message);
        string run = WriteRun(TabularPolicy.Uniform(BuiltInGames.FromSpec("matrix:climbing")!));
        string pub = Path.Combine(_root, "k.pub.pem");
        using (var k = ECDsa.Create(ECCurve.NamedCurves.nistP256)) File.WriteAllText(pub, k.ExportSubjectPublicKeyInfoPem());
        Assert.Contains("holds a public key", Assert.Throws<UsageException>(() => Run(new ExportCommand(), "--run", run, "--out", Path.Combine(_root, "b"), "--sign-key", pub)).Message);
        Assert.Contains("unknown option --bogus", Assert.Throws<UsageException>(() => Run(new ExportCommand(), "--run", run, "--out", "x", "--bogus", "1")).Message);
    }
}
