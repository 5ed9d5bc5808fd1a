using MarlEdge.Shared.Numerics;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// What a deep learner is told about its job. Agents [FirstAgent, FirstAgent + Agents) are the ones it trains (all of them
/// for the batched learner, one for the per-agent loop); each agent's seeds depend only on its global index, so both give
/// the same initial networks. Actions: Discrete &gt; 0 discrete actions, otherwise a Gaussian over ActionDim values in
/// normalized units [−1, 1]. OneHotObs: the environment declares its observations one-hot (ObservationSpec.IsOneHot), so the
/// learners may store and feed them as indices (<see cref="Nets.OneHotRows"/>); ObsDim is still the networks' input width.
/// </summary>
public sealed record DeepTask(int Agents, int FirstAgent, int ObsDim, int Discrete, int ActionDim, double Gamma, int Envs,
    long TotalSteps, int Seed, bool ShareParams, int EpisodeLimit, bool OneHotObs = false)
{
    public bool IsDiscrete => Discrete > 0;

    /// <summary>A generator for (agent, purpose, counter): learners draw all randomness from these, so a resumed run draws the same numbers.</summary>
    public Rng RngFor(int localAgent, ulong purpose, long counter = 0) =>
        new((ulong)Seed * 0x9E3779B97F4A7C15UL ^ (ulong)(FirstAgent + localAgent) * 0xC2B2AE3D27D4EB4FUL ^ (ulong)counter * 0x165667B19E3779F9UL, purpose);

    public DeepTask Slice(int agent) => this with { Agents = 1, FirstAgent = FirstAgent + agent };
}

/// <summary>
/// One synchronous step of E environment copies, agent-major so that agent i's rows are contiguous:
/// Obs/NextObs [N, E, D], Actions [N, E] (discrete) or Continuous [N, E, A] (normalized, before clipping), Rewards [N, E].
/// Each agent's rows hold only its own observation, action and reward. NextObs is the observation the step produced, also
/// when the episode ended (before the reset), so truncated episodes bootstrap from the right state.
/// </summary>
public sealed class StepBatch
{
    public readonly int Agents, Envs, ObsDim, ActionDim;
    public readonly float[] Obs, NextObs, Rewards, Continuous;
    public readonly int[] Actions;
    public readonly bool[] Terminated, Truncated;
    public long Step;

    public StepBatch(int agents, int envs, int obsDim, int actionDim)
    {
        Agents = agents; Envs = envs; ObsDim = obsDim; ActionDim = actionDim;
        Obs = new float[agents * envs * obsDim];
        NextObs = new float[agents * envs * obsDim];
        Rewards = new float[agents * envs];
        Actions = new int[agents * envs];
        Continuous = new float[agents * envs * Math.Max(1, actionDim)];
        Terminated = new bool[envs];
        Truncated = new bool[envs];
    }

    /// <summary>Agent i's part of this batch, for the per-agent loop.</summary>
    public void CopyAgent(int agent, StepBatch into)
    {
        int e = Envs, d = ObsDim, a = Math.Max(1, ActionDim);
        Array.Copy(Obs, agent * e * d, into.Obs, 0, e * d);
        Array.Copy(NextObs, agent * e * d, into.NextObs, 0, e * d);
        Array.Copy(Rewards, agent * e, into.Rewards, 0, e);
        Array.Copy(Actions, agent * e, into.Actions, 0, e);
        Array.Copy(Continuous, agent * e * a, into.Continuous, 0, e * a);
        Terminated.CopyTo(into.Terminated, 0);
        Truncated.CopyTo(into.Truncated, 0);
        into.Step = Step;
    }
}
