using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Tabular;

/// <summary>
/// Every tabular learner's settings, with the defaults the benchmarks use. <c>--set Name=value,...</c> overrides any
/// field by name (for example <c>--set Rounds=8,Growth=1.3</c>); config.json records the values a run used.
/// </summary>
public sealed record LearnerOptions(
    IqlOptions Iql, Ma2qlOptions Ma2ql, I2qOptions I2q, PolicyGradientOptions PolicyGradient, IppoOptions Ippo, DpoOptions Dpo)
{
    public static LearnerOptions Default => new(new(), new(), new(), new(), new(), new());

    public static readonly string[] Algorithms = ["iql", "ma2ql", "i2q", "ippo", "dpo"];

    /// <summary>The option records an algorithm reads, by name, for config.json.</summary>
    public IReadOnlyDictionary<string, object> For(string algo) => algo switch
    {
        "iql" => new Dictionary<string, object> { ["iql"] = Iql },
        "ma2ql" => new Dictionary<string, object> { ["ma2ql"] = Ma2ql },
        "i2q" => new Dictionary<string, object> { ["i2q"] = I2q },
        "ippo" => new Dictionary<string, object> { ["policy_gradient"] = PolicyGradient, ["ippo"] = Ippo },
        "dpo" => new Dictionary<string, object> { ["policy_gradient"] = PolicyGradient, ["dpo"] = Dpo },
        _ => throw new UsageException($"unknown algorithm '{algo}' (tabular: {string.Join(", ", Algorithms)})"),
    };

    public TabularAgent Create(string algo, AgentTask task) => algo switch
    {
        "iql" => new Iql(task, Iql),
        "ma2ql" => new Ma2ql(task, Ma2ql),
        "i2q" => new I2q(task, I2q),
        "ippo" => new Ippo(task, PolicyGradient, Ippo),
        "dpo" => new Dpo(task, PolicyGradient, Dpo),
        _ => throw new UsageException($"unknown algorithm '{algo}' (tabular: {string.Join(", ", Algorithms)})"),
    };

    /// <summary>Applies "Name=value,Name=value" to whichever records of the algorithm have those fields.</summary>
    public LearnerOptions With(string algo, string? overrides)
    {
        if (string.IsNullOrWhiteSpace(overrides)) return this;
        var pending = SettingOverrides.Parse(overrides);
        var result = this;
        foreach (var name in For(algo).Keys)
        {
            result = name switch
            {
                "iql" => result with { Iql = SettingOverrides.Apply(result.Iql, pending) },
                "ma2ql" => result with { Ma2ql = SettingOverrides.Apply(result.Ma2ql, pending) },
                "i2q" => result with { I2q = SettingOverrides.Apply(result.I2q, pending) },
                "policy_gradient" => result with { PolicyGradient = SettingOverrides.Apply(result.PolicyGradient, pending) },
                "ippo" => result with { Ippo = SettingOverrides.Apply(result.Ippo, pending) },
                "dpo" => result with { Dpo = SettingOverrides.Apply(result.Dpo, pending) },
                _ => result,
            };
        }
        if (pending.Count > 0) throw new UsageException($"--set: '{pending.Keys.First()}' is not a setting of {algo}");
        return result;
    }
}
