using System.Diagnostics;
using MarlEdge.Runtime.Inference;
using MarlEdge.Runtime.Learning;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using Xunit;

namespace MarlEdge.Tests.Runtime;

[Collection(RealTimeCollection.Name)]
public class PersistenceTests
{
    static byte[] Perturbed(ActivePolicy p, float delta)
    {
        var net = (QNetwork)PolicyOnnxReader.Read(p.ModelBytes).Network;
        net.Mlp.Layers[0].Bias[0] += delta;
        return PolicyOnnxWriter.ToBytes(net, new PolicyModelInfo("agent-0", p.Features));
    }

    [Fact]
    public void Saved_versions_reload_with_lineage_and_a_corrupted_version_falls_back_to_its_parent()
    {
        using var dev = new SimDevice();
        var store = new PolicyStore(dev.BundleDir, "agent-0") { KeepVersions = 5 };
        var v0 = store.Load(null);
        Assert.Equal(0, v0.Version);
        var e1 = store.Save(Perturbed(v0, 0.5f), 0, v0.BundleSha256, 10, 1, 2);
        var v1 = store.Load(null);
        Assert.Equal(1, v1.Version);
        var e2 = store.Save(Perturbed(v1, 0.5f), 1, v0.BundleSha256, 20, 2, 3);
        Assert.Equal(2, store.Load(null).Version);
        Assert.Equal(e1.Sha256, e2.ParentSha256);
        Assert.Equal(v0.BundleSha256, e1.ParentSha256);

        var path = Path.Combine(dev.BundleDir, e2.File);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var fresh = new PolicyStore(dev.BundleDir, "agent-0");
        var back = fresh.Load(null);
        Assert.Equal(1, back.Version);
        Assert.Contains(fresh.LoadWarnings, w => w.Contains("version 2") && w.Contains("sha256"));
        using var runner = new OrtPolicyRunner(back.ModelBytes, back.Label);
        Assert.Equal(30, runner.ObservationDim);
    }

    [Fact]
    public void Old_versions_are_pruned_but_never_the_active_one()
    {
        using var dev = new SimDevice();
        var store = new PolicyStore(dev.BundleDir, "agent-0") { KeepVersions = 2 };
        var p = store.Load(null);
        for (int i = 0; i < 6; i++)
        {
            store.Save(Perturbed(p, 0.1f), p.Version, p.BundleSha256, i, 0, 0);
            p = store.Load(null);
        }
        Assert.Equal(6, p.Version);
        var files = Directory.GetFiles(dev.BundleDir, "*.learned-v*.onnx").Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["agent-0.learned-v5.onnx", "agent-0.learned-v6.onnx"], files);
    }

    static Mlp Critic(int seed) => Mlp.Create([30, 16, 16, 1], Activation.Tanh, new Random(seed));

    /// <summary>
    /// A DPO version saves its critic beside it: named by the lineage entry, read back weight for weight, a real ONNX model that
    /// ONNX Runtime runs to the managed value, refused as a policy, and pruned with its version.
    /// </summary>
    [Fact]
    public void A_critic_saved_with_a_version_reloads_exactly_runs_in_onnx_runtime_is_never_a_policy_and_is_pruned_with_it()
    {
        using var dev = new SimDevice();
        var store = new PolicyStore(dev.BundleDir, "agent-0") { KeepVersions = 1 };
        var v0 = store.Load(null);
        var critic = Critic(3);
        var e1 = store.Save(Perturbed(v0, 0.5f), 0, v0.BundleSha256, 10, 1, 2, CriticOnnx.ToBytes(critic, "agent-0"));
        Assert.Equal("agent-0.critic-v1.onnx", e1.Critic);
        var fresh = new PolicyStore(dev.BundleDir, "agent-0");
        Assert.Equal(1, fresh.Load(null).Version);
        var back = fresh.LoadCritic(1, [30, 16, 16, 1]);
        Assert.NotNull(back);
        Assert.Empty(fresh.LoadWarnings);
        for (int l = 0; l < critic.Layers.Count; l++)
        {
            Assert.Equal(critic.Layers[l].Weight, back.Layers[l].Weight);
            Assert.Equal(critic.Layers[l].Bias, back.Layers[l].Bias);
        }
        string criticPath = Path.Combine(dev.BundleDir, e1.Critic!);
        var obs = Enumerable.Range(0, 30).Select(i => MathF.Sin(i)).ToArray();
        var expected = new float[1];
        critic.Forward(obs, expected);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(criticPath))
        using (var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(CriticOnnx.Input,
                   new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(obs, [1, 30]))]))
            Assert.Equal(expected[0], results.Single(r => r.Name == CriticOnnx.Output).AsEnumerable<float>().Single(), 1e-5f);
        var notPolicy = Assert.Throws<OnnxFormatException>(() => PolicyOnnxReader.Read(criticPath));
        Assert.Contains("critic", notPolicy.Message);
        Assert.Throws<OnnxFormatException>(() => CriticOnnx.Read(File.ReadAllBytes(Path.Combine(dev.BundleDir, e1.File)), e1.File));

        var e2 = store.Save(Perturbed(v0, 0.25f), 1, v0.BundleSha256, 20, 1, 2, CriticOnnx.ToBytes(Critic(4), "agent-0"));
        Assert.False(File.Exists(criticPath), "the pruned version's critic is left behind");
        Assert.True(File.Exists(Path.Combine(dev.BundleDir, e2.Critic!)));
    }

    /// <summary>A corrupt, missing or differently shaped critic never blocks the policy: it loads, and one line says the critic starts fresh.</summary>
    [Theory]
    [InlineData("corrupt")]
    [InlineData("missing")]
    [InlineData("shape")]
    [InlineData("none saved")]
    public void A_bad_critic_file_leaves_the_policy_loading_with_one_warning(string fault)
    {
        using var dev = new SimDevice();
        var store = new PolicyStore(dev.BundleDir, "agent-0");
        var v0 = store.Load(null);
        var e1 = store.Save(Perturbed(v0, 0.5f), 0, v0.BundleSha256, 10, 1, 2, fault == "none saved" ? null : CriticOnnx.ToBytes(Critic(3), "agent-0"));
        int[] sizes = fault == "shape" ? [30, 64, 64, 1] : [30, 16, 16, 1];
        if (fault == "corrupt")
        {
            var path = Path.Combine(dev.BundleDir, e1.Critic!);
            var bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0xFF;
            File.WriteAllBytes(path, bytes);
        }
        if (fault == "missing") File.Delete(Path.Combine(dev.BundleDir, e1.Critic!));
        var fresh = new PolicyStore(dev.BundleDir, "agent-0");
        var policy = fresh.Load(null);
        Assert.Equal(1, policy.Version);
        Assert.Empty(fresh.LoadWarnings);
        Assert.Null(fresh.LoadCritic(1, sizes));
        var warning = Assert.Single(fresh.LoadWarnings);
        Assert.Contains("critic starts fresh", warning);
        Assert.Contains(fault switch { "corrupt" => "sha256", "missing" => "critic-v1.onnx", "shape" => "[30,16,16,1]", _ => "no saved critic" }, warning);
        Assert.DoesNotContain("\n", warning);
    }

    /// <summary>
    /// A power cut mid-save: a child process saves versions back to back (model file, then lineage, each temp+fsync+rename) and
    /// is killed with SIGKILL at a random moment, several times. Every time, what is on disk loads: the active version's file is
    /// complete, matches its sha256, and ONNX Runtime runs it.
    /// </summary>
    [Fact]
    public void Killing_the_process_mid_write_always_leaves_a_loadable_policy()
    {
        using var dev = new SimDevice();
        var rng = new Random(9);
        int lastVersion = 0;
        for (int round = 0; round < 4; round++)
        {
            using var p = EdgeProcess.Start("persist-stress", "--bundle", dev.BundleDir, "--agent", "agent-0");
            int saved = 0;
            var sw = Stopwatch.StartNew();
            while (saved < 3 && sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                var line = p.StandardOutput.ReadLine();
                if (line is null) break;
                if (line.StartsWith("saved v")) saved++;
            }
            if (saved < 3)
            {
                p.Kill();
                Assert.Fail($"round {round}: the writer saved {saved} versions: {p.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(rng.Next(0, 15)); // land somewhere inside a later save
            Net.kill(p.Id, Net.SIGKILL);
            p.WaitForExit();

            var store = new PolicyStore(dev.BundleDir, "agent-0");
            var active = store.Load(null);
            Assert.Empty(store.LoadWarnings);
            Assert.True(active.Version > lastVersion, $"round {round}: version {active.Version} after {lastVersion}");
            lastVersion = active.Version;
            // The critic saved beside the active version (written before it) is complete too.
            Assert.NotNull(store.LoadCritic(active.Version, [30, 8, 8, 1]));
            Assert.Empty(store.LoadWarnings);
            using var runner = new OrtPolicyRunner(active.ModelBytes, active.Label);
            var values = new float[4];
            int a = runner.Decide(new float[30], [1, 1, 1, 1], values);
            Assert.InRange(a, 0, 3);
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
            store.CleanTempFiles();
            Assert.Empty(Directory.GetFiles(dev.BundleDir, ".*.tmp"));
        }
    }
}
