using System.Text.RegularExpressions;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Hosting;
using MarlEdge.Runtime.Learning;
using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Export;
using Xunit;
using Xunit.Abstractions;

namespace MarlEdge.Tests.Runtime;

/// <summary>
/// On-device DPO for a categorical-actor bundle made by the trainer's own export path (`marl export` of a deep run folder whose
/// networks/agent-0.onnx is a Tanh categorical actor, as IPPO/DPO save it), run through the whole device: sampled actions under
/// the safety layer, the learner thread's DPO, guarded promotion, persistence with lineage, rollback and restart.
/// </summary>
[Collection(RealTimeCollection.Name)]
public class ActorLearningTests(ITestOutputHelper output)
{
    const string DpoKeys = "  dpo:\n    rollout_steps: 64\n    epochs: 4\n    target_kl: 0.05\n    critic_warmup: 1\n    critic_lr: 0.003\n";

    /// <summary>A device whose bundle is a categorical actor exported by `marl export` (the trainer's last layer gain 0.01: near-uniform).</summary>
    static SimDevice ActorDevice(Func<string, string> edit)
    {
        var dev = new SimDevice(t => edit(t.Replace("  schedule: always\n", "  schedule: always\n" + DpoKeys)), writeBundle: false);
        string run = Path.Combine(dev.Root, "deep-run"), nets = Path.Combine(run, RunPolicies.NetworksFolder);
        Directory.CreateDirectory(nets);
        File.WriteAllText(Path.Combine(run, "config.json"),
            """{"env": "sim-intersection", "algo": "dpo", "seed": 0, "steps": 10, "tabular": false, "run_id": "dpo-sim-0", "created": "2026-01-01T00:00:00Z", "options": {}}""");
        var mlp = Mlp.Create([dev.Config.Observation.Count, 64, 64, DevBundleCommand.ActionCount(dev.Config)], Activation.Tanh, new Random(4));
        for (int i = 0; i < mlp.Layers[^1].Weight.Length; i++) mlp.Layers[^1].Weight[i] *= 0.01f;
        PolicyOnnxWriter.Write(Path.Combine(nets, "agent-0.onnx"), new CategoricalActor(mlp),
            new PolicyModelInfo("agent-0", dev.Config.Observation.Select(f => f.Feature).ToArray()));
        var export = new ExportCommand();
        Assert.Equal(0, export.Run(new CommandArgs(["--run", run, "--out", dev.BundleDir], export.Flags)));
        return dev;
    }

    [Fact]
    public void An_exported_actor_bundle_learns_by_dpo_and_a_control_period_allocates_nothing_with_it_on()
    {
        using var dev = ActorDevice(t => t);
        using var rt = dev.Start();
        Assert.IsType<CategoricalActor>(rt.Policy!.Policy.Network);
        var dpo = Assert.IsType<DpoAlgorithm>(rt.Learner!.Algorithm);
        Assert.True(rt.Loop.SampleActions);
        var gpio = rt.Board.SimulatedGpio!;
        for (int i = 0; i < 400; i++) { gpio.Pulse(32 + i % 24); rt.Loop.Step(); rt.Learner.Pump(); }
        Assert.True(dpo.Dpo.Iterations >= 4, $"{dpo.Dpo.Iterations} DPO iterations in 400 periods of 64-step rollouts");
        Assert.True(rt.Metrics.Updates > 0 && float.IsFinite(rt.Metrics.LastLoss));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) rt.Loop.Step(); // (the simulated pulses themselves allocate, so none here)
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 500 periods");
    }

    [Fact]
    public void With_the_alternate_schedule_dpo_learns_only_in_the_devices_own_slots()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000); // slot % 3 == 2
        using var dev = ActorDevice(t => t.Replace("schedule: always", "schedule: alternate\n  slot_s: 10\n  fleet_size: 3\n  fleet_index: 1")
            .Replace("min_green_s: 5", "min_green_s: 1"));
        using var rt = dev.Start(clock: () => now);
        var learner = rt.Learner!;
        var dpo = (DpoAlgorithm)learner.Algorithm;
        var gpio = rt.Board.SimulatedGpio!;
        var rng = new Random(1);
        var schedule = new AlternateSchedule(10, 3, 1);
        var iterationsBySlot = new Dictionary<long, long>();
        for (int i = 0; i < 1200; i++) // 120 s of 100 ms periods: 12 slots, 4 of them this device's
        {
            if (rng.NextDouble() < 0.5) gpio.Pulse(32 + rng.Next(24));
            long before = dpo.Dpo.Iterations;
            rt.Loop.Step();
            learner.Pump();
            long slot = schedule.Slot(now);
            iterationsBySlot[slot] = iterationsBySlot.GetValueOrDefault(slot) + dpo.Dpo.Iterations - before;
            now = now.AddMilliseconds(100);
        }
        foreach (var (slot, n) in iterationsBySlot)
        {
            if (slot % 3 == 1) Assert.True(n >= 1, $"slot {slot} is ours but had no DPO iteration");
            else Assert.True(n == 0, $"slot {slot} is another device's but had {n} DPO iterations");
        }
        Assert.True(dpo.DiscardedRollouts > 0, "rollouts collected in other devices' slots are discarded, not learned from later");
        Assert.True(rt.Metrics.Updates > 0);
    }

    [Fact]
    public void Config_check_names_dpo_errors_by_key_and_line()
    {
        string text = SimDevice.SimConfigText.Replace("  schedule: always\n",
            "  schedule: alternate\n  slot_s: 5\n  dpo:\n    rollout_steps: 64\n    tolerance: 1\n    critic_hidden: 0\n");
        var lines = text.Split('\n');
        int Line(string s) => Array.FindIndex(lines, l => l.Contains(s)) + 1;
        var (_, schema) = MarlEdge.Runtime.Config.DeviceConfig.Check(text, "x.yaml");
        Assert.Contains(schema, e => e.Key == "learning.dpo.tolerance" && e.Line == Line("tolerance: 1"));
        Assert.Contains(schema, e => e.Key == "learning.dpo.critic_hidden" && e.Line == Line("critic_hidden: 0"));
        var (_, errors) = MarlEdge.Runtime.Config.DeviceConfig.Check(text.Replace("    tolerance: 1\n    critic_hidden: 0\n", ""), "x.yaml");
        var e = Assert.Single(errors);
        Assert.Equal(("learning.dpo.rollout_steps", Line("rollout_steps: 64")), (e.Key, e.Line));
        Assert.Contains("do not fit in one slot of 5 s", e.Message);
    }

    [Fact]
    public void Dpo_on_the_device_improves_the_served_policy_from_its_own_rewards_through_guarded_promotions()
    {
        // The reward is the cabinet temperature, which the test sets from the action the device requested: 30 for ew_through
        // (action 2), 20 otherwise - a stand-in for traffic responding to the policy. Nothing but the device's own reward is used.
        using var dev = ActorDevice(t => Regex.Replace(t, "reward: .*", "reward: i2c.cabinet.temperature / 10")
            .Replace("eval_periods: 300", "eval_periods: 64").Replace("batch_size: 32", "batch_size: 32\n  lr: 0.003\n  gamma: 0.5"));
        using var rt = dev.Start();
        var learner = rt.Learner!;
        var lm75 = rt.Board.SimulatedI2c!.Device(1, 0x48);
        var mask = new float[4];
        var free = new List<(int Period, int Action)>();
        const int periods = 6000;
        for (int i = 0; i < periods; i++)
        {
            rt.Controller.FillMask(mask);
            rt.Loop.Step();
            if (mask.Count(m => m > 0) >= 2) free.Add((i, rt.Metrics.LastAction));
            lm75.SetLm75Temperature(rt.Metrics.LastAction == 2 ? 30 : 20);
            learner.Pump();
        }
        double Rate(int from, int to)
        {
            var window = free.Where(e => e.Period >= from && e.Period < to).ToArray();
            return (double)window.Count(e => e.Action == 2) / Math.Max(1, window.Length);
        }
        double early = Rate(0, 1000), late = Rate(periods - 1000, periods);
        output.WriteLine($"device: free choices of the rewarded phase {early:P0} in the first 1000 periods, {late:P0} in the last 1000 of {periods}; {rt.Metrics.Promotions} promotions, {rt.Metrics.Rollbacks} rollbacks");
        Assert.True(rt.Metrics.Promotions >= 3, $"{rt.Metrics.Promotions} promotions, {rt.Metrics.Rollbacks} rollbacks");
        Assert.True(late > 0.7 && late > early + 0.25, $"free choices of the rewarded phase: {early:P0} early, {late:P0} late ({rt.Metrics.Promotions} promotions)");
        Assert.True(new PolicyStore(dev.BundleDir, "agent-0").ReadLineage()!.Active >= 1, "no learned version is active at the end");
    }

    [Fact]
    public void An_actor_candidate_is_promoted_persisted_with_lineage_reloaded_after_a_restart_and_rolled_back_on_degradation()
    {
        using var dev = ActorDevice(t => Regex.Replace(t, "reward: .*", "reward: i2c.cabinet.temperature")
            .Replace("eval_periods: 300", "eval_periods: 80").Replace("batch_size: 32", "batch_size: 16"));
        using var rt = dev.Start();
        var learner = rt.Learner!;
        var lm75 = rt.Board.SimulatedI2c!.Device(1, 0x48);
        double active = 20, candidate = 25;
        void Run(Func<bool> until, int max = 3000)
        {
            for (int i = 0; i < max && !until(); i++)
            {
                lm75.SetLm75Temperature(rt.Metrics.PolicyVersion.StartsWith("candidate") ? candidate : active);
                rt.Loop.Step();
                learner.Pump();
            }
        }
        Run(() => rt.Metrics.Promotions == 1);
        Assert.Equal(1, rt.Metrics.Promotions);
        Assert.Equal(1, learner.ActiveVersion);
        var lineage = new PolicyStore(dev.BundleDir, "agent-0").ReadLineage()!;
        Assert.Equal(1, lineage.Active);
        Assert.Equal(0, lineage.Versions[0].Parent);
        Assert.True(lineage.Versions[0].Updates > 0);
        var saved = PolicyOnnxReader.Read(Path.Combine(dev.BundleDir, lineage.Versions[0].File));
        Assert.Equal(NetworkKind.CategoricalActor, saved.Network.Kind);
        // The saved version holds the learned weights, not the bundle's.
        var bundleNet = (CategoricalActor)rt.Policy!.Policy.Network;
        var learned = (CategoricalActor)saved.Network;
        double diff = Enumerable.Range(0, 3).Max(l => bundleNet.Mlp.Layers[l].Weight.Zip(learned.Mlp.Layers[l].Weight, (a, b) => Math.Abs(a - b)).Max());
        Assert.True(diff > 1e-6, $"the saved weights differ from the bundle's by at most {diff} after {lineage.Versions[0].Updates} updates");
        rt.Loop.Step();
        Assert.Equal("learned:v1", rt.Metrics.PolicyVersion);

        // The critic learned with v1 is saved beside it and is not the fresh one a device starts with.
        Assert.Equal("agent-0.critic-v1.onnx", lineage.Versions[0].Critic);
        var savedCritic = CriticOnnx.Read(File.ReadAllBytes(Path.Combine(dev.BundleDir, lineage.Versions[0].Critic!)), "critic");
        var startCritic = Mlp.Create(CriticOnnx.Sizes(savedCritic), Activation.Tanh, new Random(1));
        Assert.NotEqual(startCritic.Layers[0].Weight, savedCritic.Layers[0].Weight);

        using (var again = dev.Start())
        {
            Assert.Equal("learned:v1", again.Metrics.PolicyVersion);
            var dpo = Assert.IsType<DpoAlgorithm>(again.Learner!.Algorithm).Dpo;
            Assert.Equal(learned.Mlp.Layers[0].Weight, dpo.Actor.Mlp.Layers[0].Weight);
            // After the restart the critic is v1's, weight for weight, and the actor learns from the first iteration (no warm-up).
            Assert.Empty(again.Store.LoadWarnings);
            Assert.True(dpo.CriticResumed);
            for (int l = 0; l < savedCritic.Layers.Count; l++)
            {
                Assert.Equal(savedCritic.Layers[l].Weight, dpo.Critic.Layers[l].Weight);
                Assert.Equal(savedCritic.Layers[l].Bias, dpo.Critic.Layers[l].Bias);
            }
            var lm = again.Board.SimulatedI2c!.Device(1, 0x48);
            for (int i = 0; i < 400 && dpo.Iterations == 0; i++) { lm.SetLm75Temperature(active); again.Loop.Step(); again.Learner.Pump(); }
            Assert.Equal(1, dpo.Iterations);
            Assert.True(dpo.Updates > 0, "the actor waited for a warm-up although the critic was resumed");
        }
        // A corrupt critic file: v1 still serves, the critic starts fresh (warm-up again), and one line says so.
        string criticPath = Path.Combine(dev.BundleDir, lineage.Versions[0].Critic!);
        byte[] criticBytes = File.ReadAllBytes(criticPath);
        File.WriteAllBytes(criticPath, criticBytes.AsSpan(0, criticBytes.Length / 2).ToArray());
        using (var again = dev.Start())
        {
            Assert.Equal("learned:v1", again.Metrics.PolicyVersion);
            var dpo = ((DpoAlgorithm)again.Learner!.Algorithm).Dpo;
            Assert.False(dpo.CriticResumed);
            Assert.Equal(startCritic.Layers[0].Weight, dpo.Critic.Layers[0].Weight);
            Assert.Contains("critic starts fresh", Assert.Single(again.Store.LoadWarnings));
        }
        File.WriteAllBytes(criticPath, criticBytes);

        active = 5; // the promoted version degrades below its predecessor's 20
        Run(() => rt.Metrics.Rollbacks >= 1 && !learner.InTrial && learner.ActiveVersion == 0);
        Assert.Equal(0, learner.ActiveVersion);
        Assert.Equal(0, new PolicyStore(dev.BundleDir, "agent-0").ReadLineage()!.Active);
        rt.Loop.Step();
        Assert.StartsWith("bundle", rt.Metrics.PolicyVersion);
        using (var again = dev.Start()) Assert.StartsWith("bundle", again.Metrics.PolicyVersion);
    }
}
