using MarlEdge.Shared.Learning;
using MarlEdge.Shared.Numerics;
using MarlEdge.Shared.Policy;
using Xunit;
using Xunit.Abstractions;

namespace MarlEdge.Tests.Runtime;

/// <summary>shared/Learning/OnDeviceDpo: the DPO bound's gradient, learning from its own experience, and no allocation.</summary>
public class DpoTests(ITestOutputHelper output)
{
    static float[] Random01(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();

    [Fact]
    public void The_dpo_bound_gradient_matches_finite_differences_with_masks_and_a_behaviour_policy_unlike_the_actor()
    {
        var rng = new Random(7);
        const int d = 5, A = 4, T = 12;
        var actor = new CategoricalActor(Mlp.Create([d, 8, 7, A], Activation.Tanh, new Random(3)),
            new ObservationNormalizer(Random01(rng, d), Enumerable.Range(0, d).Select(_ => 0.5f + (float)rng.NextDouble()).ToArray()));
        var dpo = new OnDeviceDpo(actor, T, new DpoSettings { Minibatch = 8, Agents = 2, Beta1 = 0.3f, Beta2 = 0.7f, CriticHidden = 6 }, seed: 5);
        var rollout = new PolicyRollout(T, d, A);
        for (int t = 0; t < T; t++)
        {
            var mask = new float[] { 1, t % 3 == 0 ? 0 : 1, 1, t % 4 == 1 ? 0 : 1 };
            var mu = Random01(rng, A).Select(x => 2 * x).ToArray();   // behaviour logits far from the actor's: KL > 0
            int a;
            do a = rng.Next(A); while (mask[a] == 0);
            rollout.Add(Random01(rng, d), mask, mu, a, (float)rng.NextDouble(), Random01(rng, d), t % 5 != 0);
        }
        dpo.Prepare(rollout);
        int[] idx = [0, 3, 4, 7, 9, 10, 11, 1];
        double Loss() => dpo.PolicyLoss(rollout, idx);
        Loss();
        for (int layer = 0; layer < 3; layer++)
        {
            var grad = dpo.ActorTrainer.WeightGradient(layer).ToArray();
            var gradB = dpo.ActorTrainer.BiasGradient(layer).ToArray();
            var w = actor.Mlp.Layers[layer].Weight;
            var bias = actor.Mlp.Layers[layer].Bias;
            void Check(float[] p, float[] g, int i, string what)
            {
                float keep = p[i];
                p[i] = keep + 1e-3f; double up = Loss();
                p[i] = keep - 1e-3f; double down = Loss();
                p[i] = keep;
                double numeric = (up - down) / 2e-3;
                Assert.True(Math.Abs(numeric - g[i]) < 2e-3 + 2e-2 * Math.Abs(numeric), $"layer {layer} {what}[{i}]: numeric {numeric}, analytic {g[i]}");
            }
            foreach (int i in new[] { 0, 5, w.Length / 2, w.Length - 1 }) Check(w, grad, i, "w");
            Check(bias, gradB, 0, "b");
            Check(bias, gradB, bias.Length - 1, "b");
        }
        Assert.True(Math.Abs(dpo.ActorTrainer.WeightGradient(2)[0]) > 1e-5, "the gradient checked is not zero everywhere");
    }

    /// <summary>
    /// A 5-state chain (one-hot observations): "right" moves up, "left" down; staying at the top by moving right pays 1. The reward
    /// is delayed by up to four steps, so the critic and GAE must carry it. Every 16 steps the agent restarts in a random state.
    /// </summary>
    sealed class Chain(int seed)
    {
        public const int States = 5;
        Rng _rng = new((ulong)seed);
        public int State, Steps;
        public bool Restarted;
        public void Obs(Span<float> o) { o.Clear(); o[State] = 1; }
        public float Step(int action)
        {
            float r = State == States - 1 && action == 1 ? 1 : 0;
            State = Math.Clamp(State + (action == 1 ? 1 : -1), 0, States - 1);
            Restarted = ++Steps % 16 == 0;
            return r;
        }
        public void RestartIfDue() { if (Restarted) State = _rng.NextInt(States); }
    }

    [Fact]
    public void Dpo_improves_a_policy_from_its_own_experience_on_a_delayed_reward_chain_and_an_iteration_allocates_nothing()
    {
        var actor = new CategoricalActor(Mlp.Create([Chain.States, 16, 16, 2], Activation.Tanh, new Random(11)));
        var settings = new DpoSettings { Gamma = 0.9f, ActorLr = 3e-3f, CriticLr = 3e-3f, Minibatch = 32, Epochs = 4, CriticWarmupIterations = 2 };
        var dpo = new OnDeviceDpo(actor, 128, settings, seed: 3);
        var rollout = new PolicyRollout(128, Chain.States, 2);
        var env = new Chain(5);
        var act = new Rng(9);
        float[] obs = new float[Chain.States], next = new float[Chain.States], logits = new float[2], mask = [1, 1];
        bool follows = false;
        double RunIteration()
        {
            double reward = 0;
            rollout.Clear();
            while (!rollout.IsFull)
            {
                env.Obs(obs);
                actor.Mlp.Forward(obs, logits);                          // the serving policy's logits (μ = π_θ here)
                int a = MaskedSoftmax.Sample(logits, mask, ref act);
                float r = env.Step(a);
                env.Obs(next);
                rollout.Add(obs, mask, logits, a, r, next, follows);
                follows = !env.Restarted;
                env.RestartIfDue();
                reward += r;
            }
            Assert.True(dpo.Update(rollout));
            return reward / rollout.Count;
        }
        double first = RunIteration();
        for (int i = 0; i < 3; i++) RunIteration();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 8; i++) RunIteration();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 8 DPO iterations");
        double last = 0;
        for (int i = 0; i < 60; i++) last = 0.8 * last + 0.2 * RunIteration();
        output.WriteLine($"chain: mean reward per step {first:F3} in the first rollout, {last:F3} (smoothed) after 72 DPO iterations");
        Assert.True(last > 0.6 && last > first + 0.3, $"mean reward per step went from {first:F3} to {last:F3}");
        for (int s = 0; s < Chain.States; s++)
        {
            obs.AsSpan().Clear();
            obs[s] = 1;
            actor.Mlp.Forward(obs, logits);
            Assert.True(logits[1] > logits[0], $"state {s}: the greedy action is not 'right' (logits {logits[0]:F3}, {logits[1]:F3})");
        }
        Assert.True(float.IsFinite(dpo.LastKl) && dpo.LastKl >= 0);
        Assert.Equal((72 - 2) * 4 * 4, dpo.Updates);  // 72 iterations of 4 epochs × 4 minibatches, the first 2 critic-only
        Assert.Equal(72 * 4 * 4, dpo.CriticUpdates);
    }

    [Fact]
    public void The_betas_grow_when_the_kl_overshoots_and_shrink_when_it_undershoots()
    {
        var actor = new CategoricalActor(Mlp.Create([3, 8, 3], Activation.Tanh, new Random(1)));
        var rollout = new PolicyRollout(64, 3, 3);
        var rng = new Random(2);
        float[] logits = new float[3], mask = [1, 1, 1];
        void Fill(float behaviourShift)
        {
            rollout.Clear();
            while (!rollout.IsFull)
            {
                var o = Random01(rng, 3);
                actor.Mlp.Forward(o, logits);
                logits[0] += behaviourShift;                                  // μ differs from π_θ by this much in one logit
                rollout.Add(o, mask, logits, rng.Next(3), (float)rng.NextDouble(), Random01(rng, 3), true);
            }
        }
        // A behaviour policy far from the actor: D̄_KL ≫ δ·d_target → ×ω (the actor does not move during critic warm-up).
        var far = new OnDeviceDpo(actor, 64, new DpoSettings { CriticWarmupIterations = 10 });
        Fill(3f);
        far.Update(rollout);
        Assert.True(far.LastKl > 0.1, $"KL {far.LastKl}");
        Assert.Equal(0.2f, far.Beta1, 5);
        Assert.Equal(0.2f, far.Beta2, 5);
        // The behaviour is the actor itself and the actor does not move: D̄_KL = 0 < d_target/δ → ÷ω.
        var near = new OnDeviceDpo(actor, 64, new DpoSettings { CriticWarmupIterations = 10 });
        Fill(0f);
        near.Update(rollout);
        Assert.True(near.LastKl < 1e-6, $"KL {near.LastKl}");
        Assert.Equal(0.05f, near.Beta1, 5);
    }
}
