using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// MA2QL (Su, Zhou and Lu 2022) with DQN agents. Agents take turns: during agent i's turn the others act with frozen
/// networks (greedily, or with FrozenExplore ε-greedily at an ε held fixed over the turn), so agent i faces a stationary MDP and its DQN updates (DeepIql's equations) approach a best response; with best
/// responses every turn the joint policy climbs to a Nash equilibrium. The learner explores with an ε schedule that restarts
/// each turn, and its replay holds only the current turn's data (older data was collected against other partners).
/// The schedule — turn k belongs to agent k mod N and lasts TurnLength environment steps — depends only on the shared step
/// counter, so no messages are exchanged. The batched update masks the frozen agents out of the optimizer step.
/// </summary>
public sealed class DeepMa2ql : DeepIql
{
    readonly long _turnLength;
    readonly int _allAgents;
    long _turn = -1;

    /// <param name="allAgents">N of the game (the per-agent loop gives each single-agent learner the whole schedule)</param>
    public DeepMa2ql(DeepTask task, DeepOptions options, int allAgents) : base(task, options)
    {
        _allAgents = allAgents;
        _turnLength = options.Ma2ql.TurnLength > 0 ? options.Ma2ql.TurnLength
            : Math.Max(task.Envs, task.TotalSteps / Math.Max(1, options.Ma2ql.Rounds * allAgents));
    }

    long TurnOf(long step) => step / _turnLength;
    int LearnerOf(long step) => (int)(TurnOf(step) % _allAgents);
    bool Learns(int localAgent, long step) => Task.FirstAgent + localAgent == LearnerOf(step);

    /// <summary>
    /// The learning agent explores with ε decaying over ExplorationFraction of its turn. Frozen agents act greedily, or with
    /// FrozenExplore at the run's ε as of the turn's first step, constant within the turn (a fixed behaviour policy).
    /// </summary>
    protected override double ExplorationOf(int agent, long step)
    {
        if (!Learns(agent, step)) return Options.Ma2ql.FrozenExplore ? Epsilon(TurnOf(step) * _turnLength) : 0;
        var q = Options.Q;
        double intoTurn = step - TurnOf(step) * _turnLength, span = Math.Max(1, q.ExplorationFraction * _turnLength);
        return q.EpsilonEnd + (q.EpsilonStart - q.EpsilonEnd) * Math.Max(0, 1 - intoTurn / span);
    }

    public override void Observe(StepBatch batch)
    {
        if (TurnOf(batch.Step) != _turn)
        {
            _turn = TurnOf(batch.Step);
            Replay.Clear();                                                  // a new turn: the partners' policies changed
        }
        Replay.Add(batch);
        MetricValues["turn_agent"] = LearnerOf(batch.Step);
        int learner = LearnerOf(batch.Step) - Task.FirstAgent;
        if (learner < 0 || learner >= Task.Agents || Replay.Count < Options.Q.BatchSize) return;
        AnnealLearningRate(batch.Step);
        using var scope = NewDisposeScope();
        var flags = new float[Task.ShareParams ? 1 : Task.Agents];
        flags[Task.ShareParams ? 0 : learner] = 1;                          // only the agent whose turn it is updates
        var mask = tensor(flags);
        for (int k = 0; k < Options.Ma2ql.UpdatesPerTurnStep; k++) DqnUpdate(mask);
    }

    public override void Save(Checkpoint c)
    {
        base.Save(c);
        c.Put("ma2ql.turn", _turn);
    }

    public override void Load(Checkpoint c)
    {
        base.Load(c);
        _turn = c.Long("ma2ql.turn");
    }
}
