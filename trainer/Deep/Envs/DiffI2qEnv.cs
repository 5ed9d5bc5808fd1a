using MarlEdge.Shared.Games;
using MarlEdge.Shared.Numerics;

namespace MarlEdge.Trainer.Deep.Envs;

/// <summary>
/// I2Q's differential game (Jiang and Lu 2022), spec <c>diff-i2q:n=3</c>. The state x ∈ [−1, 1]^n is reset uniformly and
/// every agent observes all of x. Agent i moves its own coordinate: x' = clip(x + 0.1·a, −1, 1) with a_i ∈ [−1, 1].
/// The shared reward is paid on the state reached, r = f(d(x')) with d = sqrt((2/n)·Σ x_i²):
///   f(d) = 0.5·(cos(π·d/m) + 1)           if d &lt; m        (the narrow global peak at the origin, m = 0.25 for n = 3)
///          0                              if d &lt; 0.6
///          0.15·(cos(15·(d − 0.8)) + 1)   if d &lt; 1.0      (the wide ring of local optima around d = 0.8)
///          0                              otherwise.
/// Episodes last 25 steps and γ = 0.99.
/// </summary>
public sealed class DiffI2qEnv : IParallelEnv
{
    public const int Length = 25;
    public const int QLevels = 11;
    readonly int _n;
    readonly double _m;
    readonly float[] _x;
    Rng _rng = new(0, 0xD1F);
    int _t;

    public DiffI2qEnv(int n, double m, string spec)
    {
        if (n < 1 || n > 64) throw new GameFormatException($"diff-i2q: n is {n}; it must lie in 1..64");
        if (!(m > 0 && m < 0.6)) throw new GameFormatException($"diff-i2q: m is {m}; it must lie in (0, 0.6)");
        _n = n; _m = m; Spec = spec;
        _x = new float[n];
        var obs = new ObservationSpec(Enumerable.Range(0, n).Select(i => $"x_{i}").ToArray());
        Agents = Enumerable.Range(0, n).Select(i => new AgentSpec($"agent-{i}", obs, ActionSpec.Box(1, -1f, 1f))).ToArray();
    }

    public string Spec { get; }
    public IReadOnlyList<AgentSpec> Agents { get; }
    public double Gamma => 0.99;
    public int EpisodeLimit => Length;
    public StepInfo Info { get; } = new();

    /// <summary>f(d) of the issue, exactly.</summary>
    public static double Reward(double d, double m)
    {
        if (d < m) return 0.5 * (Math.Cos(Math.PI * d / m) + 1);
        if (d < 0.6) return 0;
        if (d < 1.0) return 0.15 * (Math.Cos(15 * (d - 0.8)) + 1);
        return 0;
    }

    /// <summary>d = sqrt((2/n)·Σ x_i²).</summary>
    public static double Distance(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return Math.Sqrt(2.0 / x.Length * sum);
    }

    public void Reset(int? seed, float[][] observations)
    {
        if (seed is int s) _rng = new Rng((ulong)s, 0xD1F);
        for (int i = 0; i < _n; i++) _x[i] = (float)_rng.Uniform(-1, 1);
        _t = 0;
        Write(observations);
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        for (int i = 0; i < _n; i++)
        {
            float a = Math.Clamp(action.Continuous[i][0], -1f, 1f);
            _x[i] = Math.Clamp(_x[i] + 0.1f * a, -1f, 1f);          // x' = clip(x + 0.1·a, −1, 1)
        }
        float r = (float)Reward(Distance(_x), _m);
        Array.Fill(rewards, r);
        _t++;
        Write(observations);
        return new StepResult(false, _t >= Length);
    }

    void Write(float[][] observations)
    {
        foreach (var o in observations) _x.CopyTo(o, 0);
    }

    public void Dispose() { }
}
