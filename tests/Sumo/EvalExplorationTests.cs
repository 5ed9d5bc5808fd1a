using Xunit;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Sumo.Learning;

namespace MarlEdge.Tests.Sumo;

/// <summary>ε-greedy evaluation on SUMO (`marl eval --eval-epsilon`): greedy at 0, uniform over the valid phases at 1, seeded.</summary>
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
}
