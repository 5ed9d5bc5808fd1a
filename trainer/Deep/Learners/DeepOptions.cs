using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Deep.Learners;

/// <param name="Envs">environment copies stepped together</param>
/// <param name="Hidden">width of the two hidden layers of every network</param>
/// <param name="LearningRate">Adam's step size</param>
/// <param name="Threads">torch intra-op threads (the same seed and thread count give the same run)</param>
/// <param name="CheckpointEvery">environment steps between checkpoints (0: none); written at the next step where every copy ends an episode</param>
/// <param name="CurvePoints">points on the learning curve</param>
/// <param name="EvalEpisodes">greedy test episodes per curve point (non-tabular games)</param>
public sealed record CommonOptions(int Envs = 8, int Hidden = 64, double LearningRate = 1e-3, int Threads = 1, long CheckpointEvery = 0,
    int CurvePoints = 20, int EvalEpisodes = 16);

/// <param name="BufferSize">replay capacity in steps (per environment copy and agent: BufferSize / Envs)</param>
/// <param name="BatchSize">transitions per gradient update</param>
/// <param name="UpdatesPerStep">gradient updates per synchronous step of all copies</param>
/// <param name="LearningStarts">environment steps of pure exploration before the first update</param>
/// <param name="EpsilonStart">ε at step 0</param>
/// <param name="EpsilonEnd">ε after ExplorationFraction of the budget</param>
/// <param name="ExplorationFraction">share of the budget over which ε decays linearly</param>
/// <param name="TargetEvery">gradient updates between hard copies into the target networks</param>
/// <param name="Gru">IQL only: a recurrent Q-network (obs → Linear → ReLU → GRU → Linear) for partial observability (DeepRecurrentIql)</param>
/// <param name="SequenceLength">Gru: consecutive steps per replayed sequence (BatchSize sequences per update)</param>
/// <param name="AnnealLr">Adam's step size falls linearly from LearningRate at step 0 to 0 at the end of the budget
/// (CleanRL's --anneal-lr), so late updates settle the Q-values instead of keeping them jittering around near-ties</param>
public sealed record QOptions(int BufferSize = 20000, int BatchSize = 64, int UpdatesPerStep = 1, long LearningStarts = 500,
    double EpsilonStart = 1.0, double EpsilonEnd = 0.05, double ExplorationFraction = 0.5, int TargetEvery = 100,
    bool Gru = false, int SequenceLength = 8, bool AnnealLr = false);

/// <param name="TurnLength">environment steps per turn (0: the budget split into Rounds rounds of one turn per agent)</param>
/// <param name="Rounds">rounds of turns when TurnLength is 0</param>
/// <param name="UpdatesPerTurnStep">gradient updates of the learning agent per synchronous step in its turn</param>
/// <param name="FrozenExplore">frozen agents (not learning this turn) act ε-greedily with the run's ε schedule taken at the
/// turn's first step and held for the whole turn (so the learner's partners stay stationary); false: they act greedily. The
/// deep MA2QL of the paper collects data with every agent's ε-greedy behaviour policy (PyMARL's action selector); greedy
/// frozen agents with still-untrained networks can hold one action forever, which deadlocks a SUMO grid without teleporting</param>
public sealed record Ma2qlDeepOptions(long TurnLength = 0, int Rounds = 4, int UpdatesPerTurnStep = 1, bool FrozenExplore = false);

/// <param name="Lambda">λ of the transition loss λ·Qss(s, f) − ||f − s'||², before scaling by 1/mean|Qss|</param>
public sealed record I2qDeepOptions(double Lambda = 0.1);

/// <param name="RolloutSteps">steps per environment copy between updates</param>
/// <param name="Epochs">passes over each rollout</param>
/// <param name="Minibatches">minibatches per epoch</param>
/// <param name="Clip">PPO's ε in clip(ρ, 1 − ε, 1 + ε)</param>
/// <param name="GaeLambda">λ of generalized advantage estimation</param>
/// <param name="EntropyCoef">entropy bonus</param>
/// <param name="ValueCoef">weight of the critic loss</param>
/// <param name="InitLogStd">initial log σ of Gaussian policies, in normalized action units</param>
/// <param name="AnnealLr">IPPO, DPO, MDPO: the actor-critic's Adam step falls linearly from LearningRate at step 0 to 0 at the
/// end of the budget (CleanRL ppo.py's --anneal-lr, on there by default, off here so earlier figures stand), so the last
/// iterations settle the policy instead of moving it as far as the first ones. MDPO's model optimizer keeps its step.</param>
/// <param name="ValueNorm">IPPO, DPO, MDPO: each agent's critic learns its returns standardized by their running mean and
/// variance (MAPPO's value normalization, Yu et al. 2022), off by default so earlier figures stand</param>
public sealed record PpoOptions(int RolloutSteps = 32, int Epochs = 4, int Minibatches = 2, double Clip = 0.2, double GaeLambda = 0.95,
    double EntropyCoef = 0.0, double ValueCoef = 0.5, double InitLogStd = -0.5, bool AnnealLr = false, bool ValueNorm = false);

/// <param name="Beta1">initial weight of sqrt(KL)</param>
/// <param name="Beta2">initial weight of KL</param>
/// <param name="TargetKl">d_target</param>
/// <param name="Tolerance">δ</param>
/// <param name="BetaFactor">ω</param>
public sealed record DpoDeepOptions(double Beta1 = 0.1, double Beta2 = 0.1, double TargetKl = 0.01, double Tolerance = 1.5, double BetaFactor = 2.0);

/// <param name="Stages">stages l = 1..L of the latent model, each with its own buffer D^l and encoder ψ_l</param>
/// <param name="LatentDim">dimension of z</param>
/// <param name="ModelEpochs">model-fitting passes per iteration</param>
/// <param name="BranchLength">k: steps of each branched model rollout</param>
/// <param name="Branches">model rollouts started per iteration, as a multiple of the real rollout size</param>
public sealed record MdpoOptions(int Stages = 3, int LatentDim = 4, int ModelEpochs = 2, int BranchLength = 1, double Branches = 1.0);

/// <summary>
/// Every deep learner's settings, with the defaults the benchmarks use. <c>--set Name=value,...</c> overrides any field by name;
/// config.json records the values a run used.
/// </summary>
public sealed record DeepOptions(CommonOptions Common, QOptions Q, Ma2qlDeepOptions Ma2ql, I2qDeepOptions I2q, PpoOptions Ppo, DpoDeepOptions Dpo, MdpoOptions Mdpo)
{
    public static DeepOptions Default => new(new(), new(), new(), new(), new(), new(), new());

    public static readonly string[] Algorithms = ["iql", "ma2ql", "i2q", "ippo", "dpo", "mdpo"];

    public IReadOnlyDictionary<string, object> For(string algo) => algo switch
    {
        "iql" => new Dictionary<string, object> { ["common"] = Common, ["q"] = Q },
        "ma2ql" => new Dictionary<string, object> { ["common"] = Common, ["q"] = Q, ["ma2ql"] = Ma2ql },
        "i2q" => new Dictionary<string, object> { ["common"] = Common, ["q"] = Q, ["i2q"] = I2q },
        "ippo" => new Dictionary<string, object> { ["common"] = Common, ["ppo"] = Ppo },
        "dpo" => new Dictionary<string, object> { ["common"] = Common, ["ppo"] = Ppo, ["dpo"] = Dpo },
        "mdpo" => new Dictionary<string, object> { ["common"] = Common, ["ppo"] = Ppo, ["dpo"] = Dpo, ["mdpo"] = Mdpo },
        _ => throw new UsageException($"unknown algorithm '{algo}' (deep: {string.Join(", ", Algorithms)})"),
    };

    /// <summary>Applies "Name=value,..." to the records the algorithm reads; a name no record has is refused.</summary>
    public DeepOptions With(string algo, string? overrides)
    {
        if (string.IsNullOrWhiteSpace(overrides)) { For(algo); return this; }
        var pending = SettingOverrides.Parse(overrides);
        var r = this;
        foreach (var name in For(algo).Keys)
            r = name switch
            {
                "common" => r with { Common = SettingOverrides.Apply(r.Common, pending) },
                "q" => r with { Q = SettingOverrides.Apply(r.Q, pending) },
                "ma2ql" => r with { Ma2ql = SettingOverrides.Apply(r.Ma2ql, pending) },
                "i2q" => r with { I2q = SettingOverrides.Apply(r.I2q, pending) },
                "ppo" => r with { Ppo = SettingOverrides.Apply(r.Ppo, pending) },
                "dpo" => r with { Dpo = SettingOverrides.Apply(r.Dpo, pending) },
                "mdpo" => r with { Mdpo = SettingOverrides.Apply(r.Mdpo, pending) },
                _ => r,
            };
        if (pending.Count > 0) throw new UsageException($"--set: '{pending.Keys.First()}' is not a setting of deep {algo}");
        if (r.Common.Envs < 1) throw new UsageException($"--set Envs must be at least 1, got {r.Common.Envs}");
        if (r.Common.Threads < 1) throw new UsageException($"--set Threads must be at least 1, got {r.Common.Threads}");
        return r;
    }
}
