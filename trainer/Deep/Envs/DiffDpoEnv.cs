using MarlEdge.Shared.Games;

namespace MarlEdge.Trainer.Deep.Envs;

/// <summary>
/// DPO's one-step continuous game (Su and Lu 2023), spec <c>diff-dpo</c>: 2 agents, one state, u_i ∈ [−10, 10] and
///   r = max(−0.8·[((u1 + 5)/3)² + ((u2 + 5)/3)²],  −[(u1 − 5)² + (u2 − 5)²] + 10).
/// The global optimum 10 sits at (5, 5); the wide basin of the local optimum 0 sits at (−5, −5). The observation is a
/// constant 1 (there is one state), each episode is one step.
/// </summary>
public sealed class DiffDpoEnv : IParallelEnv
{
    public const int QLevels = 21;

    public DiffDpoEnv(string spec)
    {
        Spec = spec;
        var obs = new ObservationSpec(["bias"]);
        Agents = Enumerable.Range(0, 2).Select(i => new AgentSpec($"agent-{i}", obs, ActionSpec.Box(1, -10f, 10f))).ToArray();
    }

    public string Spec { get; }
    public IReadOnlyList<AgentSpec> Agents { get; }
    public double Gamma => 0.99;
    public int EpisodeLimit => 1;
    public StepInfo Info { get; } = new();

    public static double Reward(double u1, double u2)
    {
        double local = -0.8 * (Math.Pow((u1 + 5) / 3, 2) + Math.Pow((u2 + 5) / 3, 2));
        double global = -(Math.Pow(u1 - 5, 2) + Math.Pow(u2 - 5, 2)) + 10;
        return Math.Max(local, global);
    }

    public void Reset(int? seed, float[][] observations)
    {
        foreach (var o in observations) o[0] = 1f;
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        double u1 = Math.Clamp(action.Continuous[0][0], -10f, 10f), u2 = Math.Clamp(action.Continuous[1][0], -10f, 10f);
        Array.Fill(rewards, (float)Reward(u1, u2));
        foreach (var o in observations) o[0] = 1f;
        return new StepResult(true, false);
    }

    public void Dispose() { }
}
