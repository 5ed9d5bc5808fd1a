using Xunit;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Sumo.Learning;

namespace MarlEdge.Tests.Sumo;

/// <summary>
/// Acting at evaluation on SUMO: ε-greedy (`marl eval --eval-epsilon`), greedy at 0, uniform over the valid phases at 1;
/// sampled (`--eval-sample`), a draw from the actor's masked softmax; both seeded by the episode.
/// </summary>
public sealed class EvalExplorationTests
{
    [Fact]
    public void Zero_epsilon_is_greedy_and_one_is_uniform_over_the_valid_phases()
    {
        var greedy = new EvalExploration(0);
        greedy.StartEpisode(1000003);
        for (int k = 0; k < 1000; k++) Assert.Equal(2, greedy.Choose(2, 4));

        var random = new EvalExploration(1);
        random.StartEpisode(1000003);
        var counts = new int[3];
        for (int k = 0; k < 3000; k++) counts[random.Choose(0, 3)]++;
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));   // 1000 each expected, never an action past the valid ones
    }

    [Fact]
    public void A_small_epsilon_departs_from_greedy_at_about_that_rate_and_the_same_seed_repeats()
    {
        int[] Run(int seed)
        {
            var e = new EvalExploration(0.05);
            e.StartEpisode(seed);
            return Enumerable.Range(0, 4000).Select(_ => e.Choose(1, 4)).ToArray();
        }
        var first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
        int departures = first.Count(a => a != 1);   // ε · 3/4 of the decisions: 150 expected
        Assert.InRange(departures, 100, 200);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Epsilon_outside_zero_to_one_is_refused(double epsilon) =>
        Assert.Contains("--eval-epsilon", Assert.Throws<UsageException>(() => new EvalExploration(epsilon)).Message);

    [Fact]
    public void Sampling_draws_at_the_softmax_frequencies_only_among_the_allowed_actions_and_the_same_seed_repeats()
    {
        float[] logits = [0f, MathF.Log(3f), 5f, MathF.Log(6f)];   // action 2 is masked: softmax over {0, 1, 3} = 1/10, 3/10, 6/10
        float[] mask = [1f, 1f, 0f, 1f];
        int[] Draws(int seed)
        {
            var sampled = new EvalExploration(0, sampled: true);
            sampled.StartEpisode(seed);
            return Enumerable.Range(0, 10000).Select(_ => sampled.Choose(greedy: 3, logits, mask, validActions: 4)).ToArray();
        }
        var first = Draws(1000003);
        Assert.Equal(first, Draws(1000003));
        Assert.NotEqual(first, Draws(1000004));
        Assert.DoesNotContain(2, first);
        Assert.InRange(first.Count(a => a == 0), 900, 1100);    // 1000 expected; binomial sd 30
        Assert.InRange(first.Count(a => a == 1), 2850, 3150);   // 3000 expected; sd 46
        Assert.InRange(first.Count(a => a == 3), 5850, 6150);   // 6000 expected; sd 49
        Assert.Equal("sampled", new EvalExploration(0, sampled: true).Rule);
    }

    [Fact]
    public void Without_sampling_the_logits_overload_is_the_greedy_or_epsilon_rule()
    {
        float[] logits = [9f, 0f, 0f];
        float[] mask = [1f, 1f, 1f];
        var greedy = new EvalExploration(0);
        greedy.StartEpisode(5);
        for (int k = 0; k < 500; k++) Assert.Equal(1, greedy.Choose(greedy: 1, logits, mask, validActions: 3));
        Assert.Equal("greedy", greedy.Rule);
        Assert.Equal("epsilon-greedy", new EvalExploration(0.05).Rule);
    }

    [Fact]
    public void Sampling_and_epsilon_together_are_refused() =>
        Assert.Contains("--eval-sample and --eval-epsilon exclude each other",
            Assert.Throws<UsageException>(() => new EvalExploration(0.1, sampled: true)).Message);
}
