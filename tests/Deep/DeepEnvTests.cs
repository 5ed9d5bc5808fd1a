using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Training;
using Xunit;

namespace MarlEdge.Tests.Deep;

public class DeepEnvTests
{
    [Theory]
    [InlineData(5, 5, 10)]
    [InlineData(-5, -5, 0)]
    [InlineData(0, 0, -0.8 * 2 * 25.0 / 9)]
    [InlineData(10, 10, -40)]
    public void DiffDpoRewardMatchesTheFormula(double u1, double u2, double expected) =>
        Assert.Equal(expected, DiffDpoEnv.Reward(u1, u2), 9);

    [Fact]
    public void DiffDpoStepPaysTheRewardToBothAgentsAndEnds()
    {
        using var env = new DiffDpoEnv("diff-dpo");
        var obs = new[] { new float[1], new float[1] };
        var rewards = new float[2];
        env.Reset(1, obs);
        var joint = new JointAction(env.Agents);
        joint.Continuous[0][0] = 5; joint.Continuous[1][0] = 5;
        var result = env.Step(joint, obs, rewards);
        Assert.Equal([10f, 10f], rewards);
        Assert.True(result.Terminated);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.125, 0.5)]
    [InlineData(0.3, 0.0)]
    [InlineData(0.8, 0.3)]
    [InlineData(1.2, 0.0)]
    public void DiffI2qRewardMatchesTheFormula(double d, double expected) =>
        Assert.Equal(expected, DiffI2qEnv.Reward(d, 0.25), 9);

    [Fact]
    public void DiffI2qMovesEachCoordinateByATenthOfItsActionAndClips()
    {
        using var env = new DiffI2qEnv(3, 0.25, "diff-i2q:n=3");
        var obs = Enumerable.Range(0, 3).Select(_ => new float[3]).ToArray();
        var rewards = new float[3];
        env.Reset(3, obs);
        var x = (float[])obs[0].Clone();
        var joint = new JointAction(env.Agents);
        joint.Continuous[0][0] = 1; joint.Continuous[1][0] = -1; joint.Continuous[2][0] = 0.5f;
        var result = env.Step(joint, obs, rewards);
        Assert.Equal(Math.Clamp(x[0] + 0.1f, -1, 1), obs[0][0], 5);
        Assert.Equal(Math.Clamp(x[1] - 0.1f, -1, 1), obs[1][1], 5);
        Assert.Equal(Math.Clamp(x[2] + 0.05f, -1, 1), obs[2][2], 5);
        Assert.Equal((float)DiffI2qEnv.Reward(DiffI2qEnv.Distance(obs[0]), 0.25), rewards[1], 6);
        Assert.False(result.Done);
        for (int t = 1; t < 25; t++) result = env.Step(joint, obs, rewards);
        Assert.True(result.Truncated);
    }

    [Fact]
    public void QLearnersSeeEvenLevels()
    {
        var dpo = DeepEnvs.Resolve("diff-dpo");
        Assert.Equal(21, dpo.QLevels);
        var map = ActionMapping.For(ActionSpec.Box(1, -10, 10), learnerIsDiscrete: true, dpo.QLevels);
        Assert.Equal(-10f, map.LevelValue(0));
        Assert.Equal(5f, map.LevelValue(15));
        Assert.Equal(10f, map.LevelValue(20));
        Assert.Equal(11, DeepEnvs.Resolve("diff-i2q:n=3").QLevels);
        Assert.True(DeepEnvs.Resolve("lstage:L=2,seed=1").IsTabular);
    }

    [Fact]
    public void UnknownEnvAndBadOptionsAreUsageErrors()
    {
        Assert.Equal(2, Trainer.Program.Main(["train", "--env", "diff-nope", "--algo", "iql", "--steps", "10", "--out", Path.GetTempFileName() + "d"]));
        Assert.Equal(2, Trainer.Program.Main(["train", "--env", "diff-i2q:n=0", "--algo", "iql", "--steps", "10", "--out", Path.GetTempFileName() + "d"]));
        Assert.Equal(2, Trainer.Program.Main(["train", "--env", "diff-dpo", "--algo", "qmix", "--steps", "10", "--out", Path.GetTempFileName() + "d"]));
        Assert.Equal(2, Trainer.Program.Main(["train", "--env", "diff-dpo", "--algo", "iql", "--steps", "10", "--set", "Nope=1", "--out", Path.GetTempFileName() + "d"]));
    }
}
