using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Evaluation;
using Xunit;

namespace MarlEdge.Tests.Foundation;

public class GameFileTests
{
    const string Climbing = """
        {"format": "marledge-tabular-game/1", "name": "m", "num_agents": 2, "num_actions": [2, 2], "num_states": 2, "start_state": 0,
         "gamma": 1.0, "horizon": 1, "terminal_states": [1],
         "rewards": [[1, 0, 0, 2], [0, 0, 0, 0]],
         "transitions": [[[[1, 1.0]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]], [[[1, 1.0]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]]]}
        """;

    static string Write(string json)
    {
        string path = Path.Combine(TestPaths.TempDir(), "game.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ReadsAValidGame()
    {
        var g = GameFile.Read(Write(Climbing));
        Assert.Equal(4, g.NumJoint);
        Assert.Equal(2.0, g.Reward(0, 3));
        Assert.Equal(2.0, ExactEvaluator.Optimal(g));
    }

    [Theory]
    [InlineData("\"rewards\": [[1, 0, 0, 2], [0, 0, 0, 0]]", "\"rewards\": [[1, 0, 0], [0, 0, 0, 0]]", "rewards[0] must have 4 entries")]
    [InlineData("[[[1, 1.0]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]], [[[1", "[[[1, 0.7]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]], [[[1", "probabilities sum to 0.7")]
    [InlineData("\"num_actions\": [2, 2]", "\"num_actions\": [2, 2, 2]", "num_actions has 3 entries but num_agents is 2")]
    [InlineData("\"gamma\": 1.0", "\"gamma\": 1.5", "gamma is 1.5")]
    [InlineData("marledge-tabular-game/1", "marledge-tabular-game/9", "format is 'marledge-tabular-game/9'")]
    [InlineData("\"start_state\": 0", "\"start_state\": 7", "start_state 7 is outside")]
    [InlineData("[[[1, 1.0]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]], [[[1", "[[[5, 1.0]], [[1, 1.0]], [[1, 1.0]], [[1, 1.0]]], [[[1", "names state 5")]
    [InlineData("\"terminal_states\": [1]", "\"terminal_states\": []", "gamma is 1 but a policy can stay forever")]
    [InlineData("\"horizon\": 1,", "", "key 'horizon' is missing")]
    public void RefusesMalformedGamesWithOneClearLine(string from, string to, string expected)
    {
        Assert.Contains(from, Climbing);
        string path = Write(Climbing.Replace(from, to));
        var e = Assert.Throws<GameFormatException>(() => GameFile.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RefusesInvalidJson()
    {
        var e = Assert.Throws<GameFormatException>(() => GameFile.Read(Write("{\"format\": ")));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("lstage:L=3,seed=2")]
    [InlineData("random-sg:states=6,agents=2,actions=2,seed=1")]
    [InlineData("random-sg:states=9,agents=2,actions=3,seed=1,deterministic")]
    [InlineData("matrix:penalty:k=-50")]
    [InlineData("matrix:1,2;3,4;5,6")]
    public void DumpedGamesReadBackIdentically(string spec)
    {
        var g = BuiltInGames.FromSpec(spec)!;
        string path = Path.Combine(TestPaths.TempDir(), "g.json");
        GameFile.Write(g, path);
        var back = GameFile.Read(path);
        Assert.Equal(g.Rewards, back.Rewards);
        Assert.Equal(g.NextStates, back.NextStates);
        Assert.Equal(g.Probabilities, back.Probabilities);
        Assert.Equal(g.IsTerminal, back.IsTerminal);
        Assert.Equal(ExactEvaluator.Optimal(g), ExactEvaluator.Optimal(back), 12);
        Assert.Equal(GameFile.ToJson(g), GameFile.ToJson(back));
    }

    [Fact]
    public void DeterministicRandomGameHasOneDistinctSuccessorPerJointActionAndPairRewards()
    {
        var g = BuiltInGames.RandomDeterministic(24, 2, 4, 5);
        var pairReward = new Dictionary<(int, int), double>();
        for (int s = 0; s < g.NumStates; s++)
        {
            var next = new HashSet<int>();
            for (int j = 0; j < g.NumJoint; j++)
            {
                int sj = s * g.NumJoint + j;
                Assert.Equal(1, g.TransitionStart[sj + 1] - g.TransitionStart[sj]);
                int n = g.NextStates[g.TransitionStart[sj]];
                Assert.True(next.Add(n));
                if (pairReward.TryGetValue((s, n), out double r)) Assert.Equal(r, g.Reward(s, j));
                pairReward[(s, n)] = g.Reward(s, j);
            }
        }
    }

    [Fact]
    public void LStageFollowsTheTreeRule()
    {
        var g = BuiltInGames.LStage(2, 0);
        Assert.Equal(1 + 9 + 81, g.NumStates);
        Assert.Equal(9 * 4 + 3 * 2 + 1 + 1, g.NextStates[g.TransitionStart[4 * 9 + g.JointIndex([2, 1])]]);
        Assert.True(g.IsTerminal[10]);
        Assert.False(g.IsTerminal[9]);
        for (int j = 1; j < 9; j++) Assert.Equal(g.Reward(3, 0), g.Reward(3, j)); // pays r[s] whatever the action
    }

    [Theory]
    [InlineData("lstage:seed=1", "missing 'L=<integer>'")]
    [InlineData("lstage:L=3,sed=1", "unknown option 'sed'")]
    [InlineData("random-sg:states=3,agents=2,actions=2,seed=0,deterministic", "needs states ≥ joint actions")]
    [InlineData("matrix:1,x;0,1", "payoffs must be numbers")]
    [InlineData("tabular:/no/such/file.json", "does not exist")]
    public void BadSpecsAreRefusedClearly(string spec, string expected)
    {
        var e = Assert.Throws<GameFormatException>(() => BuiltInGames.FromSpec(spec));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TabularEnvIsAParallelEnvWithOneHotObservations()
    {
        var g = BuiltInGames.LStage(2, 0);
        using var env = new TabularEnv(g, "lstage:L=2,seed=0");
        var obs = env.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        var rewards = new float[2];
        var action = new JointAction(env.Agents);
        env.Reset(1, obs);
        Assert.All(obs, o => Assert.Equal(1f, o[0]));
        action.Discrete[0] = 1; action.Discrete[1] = 2;
        var r1 = env.Step(action, obs, rewards);
        Assert.False(r1.Done);
        Assert.Equal((float)g.Reward(0, 0), rewards[0]);
        Assert.Equal(1f, obs[1][1 * 3 + 2 + 1]);
        var r2 = env.Step(action, obs, rewards);
        Assert.True(r2.Terminated);
        action.Discrete[0] = 3;
        Assert.Throws<ArgumentOutOfRangeException>(() => env.Step(action, obs, rewards));
    }

    [Fact]
    public void PolicyFileRoundTripsAndRefusesNonDistributions()
    {
        var g = BuiltInGames.Matrix("climbing");
        var p = TabularPolicy.Uniform(g);
        string dir = TestPaths.TempDir(), path = Path.Combine(dir, "policy.json");
        p.Write(path);
        Assert.Equal(p.ToJson(), TabularPolicy.Read(path).ToJson());
        File.WriteAllText(path, p.ToJson().Replace("0.3333333333333333, 0.3333333333333333, 0.3333333333333333", "0.5, 0.5, 0.5"));
        Assert.Contains("not a probability distribution", Assert.Throws<GameFormatException>(() => TabularPolicy.Read(path)).Message);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp")); // atomic writes leave no temp file behind
    }
}
