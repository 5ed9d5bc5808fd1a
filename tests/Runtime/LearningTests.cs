using System.Text.RegularExpressions;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Learning;
using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Policy;
using Xunit;

namespace MarlEdge.Tests.Runtime;

[Collection(RealTimeCollection.Name)]
public class LearningTests
{
    [Theory]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.Tanh)]
    public void Backward_matches_finite_differences(Activation activation)
    {
        var mlp = Mlp.Create([5, 7, 6, 3], activation, new Random(3));
        var trainer = new MlpTrainer(mlp, 4, 1e-3f);
        var rng = new Random(4);
        var x = Enumerable.Range(0, 4 * 5).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var c = Enumerable.Range(0, 4 * 3).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        double Loss()
        {
            var y = trainer.Forward(x, 4);
            double l = 0;
            for (int i = 0; i < c.Length; i++) l += c[i] * y[i];
            return l;
        }
        Loss();
        c.CopyTo(trainer.OutputGradient(4));
        trainer.Backward(4);
        for (int layer = 0; layer < 3; layer++)
        {
            var grad = trainer.WeightGradient(layer).ToArray();
            var w = mlp.Layers[layer].Weight;
            foreach (int i in new[] { 0, w.Length / 2, w.Length - 1 })
            {
                float keep = w[i];
                w[i] = keep + 1e-3f; double up = Loss();
                w[i] = keep - 1e-3f; double down = Loss();
                w[i] = keep;
                double numeric = (up - down) / 2e-3;
                Assert.True(Math.Abs(numeric - grad[i]) < 2e-3 + 1e-2 * Math.Abs(numeric), $"layer {layer} w[{i}]: numeric {numeric}, backprop {grad[i]}");
            }
        }
    }

    [Fact]
    public void Double_dqn_learns_a_contextual_bandit_and_an_update_allocates_nothing()
    {
        var net = new QNetwork(Mlp.Create([4, 32, 32, 3], Activation.ReLU, new Random(1)));
        var dqn = new DoubleDqn(net, 32, 3e-3f, 0f, 50);
        var replay = new ReplayBuffer(2000, 4, 3);
        var rng = new Random(2);
        float[] mask = [1, 1, 1];
        for (int i = 0; i < 2000; i++)
        {
            int s = rng.Next(3), a = rng.Next(3);
            var obs = new float[4];
            obs[s] = 1;
            replay.Add(obs, a, a == s ? 1 : 0, obs, mask);
        }
        for (int u = 0; u < 50; u++) dqn.Update(replay);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int u = 0; u < 1500; u++) dqn.Update(replay);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var q = new float[3];
        for (int s = 0; s < 3; s++)
        {
            var obs = new float[4];
            obs[s] = 1;
            Assert.Equal(s, net.Act(obs, mask, q));
        }
    }

    [Fact]
    public void Alternate_schedule_gives_each_device_its_own_wall_clock_slots()
    {
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000); // slot 170000000 of 10 s: 170000000 % 3 == 2
        var devices = Enumerable.Range(0, 3).Select(k => new AlternateSchedule(10, 3, k)).ToArray();
        for (int s = 0; s < 90; s++)
        {
            var now = t0.AddSeconds(s + 0.5);
            var turns = devices.Where(d => d.IsMyTurn(now)).ToArray();
            Assert.Single(turns); // exactly one device learns at any moment, without any message
            Assert.Equal((int)((1_700_000_000 + s) / 10 % 3), turns[0].FleetIndex);
        }
    }

    [Fact]
    public void A_device_learns_only_in_its_own_slot_and_acts_frozen_otherwise()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000); // slot % 3 == 2
        using var dev = new SimDevice(t => t.Replace("schedule: always", "schedule: alternate\n  slot_s: 10\n  fleet_size: 3\n  fleet_index: 0")
            .Replace("batch_size: 32", "batch_size: 8"));
        using var rt = dev.Start(clock: () => now);
        var learner = rt.Learner!;
        var gpio = rt.Board.SimulatedGpio!;
        var rng = new Random(1);
        var updatesBySlot = new Dictionary<long, long>();
        var schedule = new AlternateSchedule(10, 3, 0);
        for (int i = 0; i < 900; i++) // 90 s of 100 ms periods: 9 slots, 3 of them ours
        {
            if (rng.NextDouble() < 0.5) gpio.Pulse(32 + rng.Next(24));
            long before = rt.Metrics.Updates;
            rt.Loop.Step();
            learner.Pump();
            long slot = schedule.Slot(now);
            updatesBySlot[slot] = updatesBySlot.GetValueOrDefault(slot) + rt.Metrics.Updates - before;
            now = now.AddMilliseconds(100);
        }
        foreach (var (slot, updates) in updatesBySlot)
        {
            if (slot % 3 == 0) Assert.True(updates > 50, $"slot {slot} is ours but had only {updates} updates");
            else Assert.True(updates == 0, $"slot {slot} is another device's but had {updates} updates");
        }
        Assert.Equal(3, updatesBySlot.Keys.Count(s => s % 3 == 0));
    }

    [Fact]
    public void Guarded_promotion_rejects_a_worse_candidate_promotes_a_better_one_and_rolls_back_a_degraded_version()
    {
        using var dev = new SimDevice(t => Regex.Replace(t, "reward: .*", "reward: i2c.cabinet.temperature")
            .Replace("eval_periods: 300", "eval_periods: 40").Replace("batch_size: 32", "batch_size: 16"));
        using var rt = dev.Start();
        var learner = rt.Learner!;
        var lm75 = rt.Board.SimulatedI2c!.Device(1, 0x48);
        // The reward is the cabinet temperature, which the test sets from the policy in control: a stand-in for traffic
        // responding to the policy, under the test's control.
        double active = 20, candidate = 10;
        void Run(Func<bool> until, int max = 2000)
        {
            for (int i = 0; i < max && !until(); i++)
            {
                lm75.SetLm75Temperature(rt.Metrics.PolicyVersion.StartsWith("candidate") ? candidate : active);
                rt.Loop.Step();
                learner.Pump();
            }
        }
        Run(() => learner.InTrial);
        Assert.True(learner.InTrial, "no candidate went on trial");
        Assert.Equal(20, learner.Baseline, 3);
        Run(() => !learner.InTrial);
        Assert.Equal(1, rt.Metrics.Rollbacks);       // 10 < 20: rejected
        Assert.Equal(0, rt.Metrics.Promotions);
        Assert.False(File.Exists(Path.Combine(dev.BundleDir, "lineage-agent-0.json")));

        candidate = 25;
        Run(() => rt.Metrics.Promotions == 1);
        Assert.Equal(1, rt.Metrics.Promotions);
        Assert.Equal(1, learner.ActiveVersion);
        var lineage = new PolicyStore(dev.BundleDir, "agent-0").ReadLineage()!;
        Assert.Equal(1, lineage.Active);
        Assert.Equal(0, lineage.Versions[0].Parent);
        Assert.True(File.Exists(Path.Combine(dev.BundleDir, lineage.Versions[0].File)));
        rt.Loop.Step();
        Assert.Equal("learned:v1", rt.Metrics.PolicyVersion);

        // A restart picks the promoted version up.
        using (var again = dev.Start()) Assert.Equal("learned:v1", again.Metrics.PolicyVersion);

        active = 5; // the promoted version degrades below its predecessor's 20
        Run(() => rt.Metrics.Rollbacks == 2);
        Assert.Equal(2, rt.Metrics.Rollbacks);
        Assert.Equal(0, learner.ActiveVersion);
        Assert.Equal(0, new PolicyStore(dev.BundleDir, "agent-0").ReadLineage()!.Active);
        rt.Loop.Step();
        Assert.StartsWith("bundle", rt.Metrics.PolicyVersion);
        using (var again = dev.Start()) Assert.StartsWith("bundle", again.Metrics.PolicyVersion);
    }

    [Fact]
    public void A_control_period_allocates_nothing_in_steady_state_with_learning_on()
    {
        using var dev = new SimDevice();
        using var rt = dev.Start();
        var gpio = rt.Board.SimulatedGpio!;
        for (int i = 0; i < 300; i++) { gpio.Pulse(32 + i % 24); rt.Loop.Step(); rt.Learner!.Pump(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) rt.Loop.Step(); // (the simulated pulses themselves allocate, so none here)
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 500 periods");
    }
}
