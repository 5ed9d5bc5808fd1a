namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// One agent's own view of one step: its observation (the state index, i.e. the one-hot state), its own action, the shared
/// reward and its next observation. Nothing about the other agents is in it.
/// </summary>
public readonly record struct Experience(int State, int Action, double Reward, int NextState, bool Terminated, bool Truncated, long Step)
{
    public bool EpisodeEnd => Terminated || Truncated;
}
