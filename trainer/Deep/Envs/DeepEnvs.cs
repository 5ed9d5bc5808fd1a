using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Deep.Envs;

/// <summary>
/// An environment the deep learners can train on: a factory of independent copies, the game's table when it is tabular (for
/// exact scores and policy.json), and the number of even action levels the Q-learners use when actions are continuous.
/// </summary>
public sealed record DeepEnvDefinition(string Spec, Func<IParallelEnv> Create, TabularGame? Game, int QLevels)
{
    public bool IsTabular => Game is not null;
}

/// <summary>The registry of environment specs for deep training: the tabular built-ins (one-hot observations) plus diff-i2q and diff-dpo.</summary>
public static class DeepEnvs
{
    public const string SpecHelp = BuiltInGames.SpecHelp + "\n" + """
          diff-i2q[:n=<n>]                           I2Q's differential game, n agents (default 3), actions in [-1, 1]
          diff-dpo                                   DPO's one-step game, 2 agents, actions in [-10, 10]
          sumo:<folder|.sumocfg|net+rou>[,k=v...]     traffic signals on SUMO, one agent per signal (deep learners; see trainer/Sumo)
        """;

    public static DeepEnvDefinition Resolve(string text)
    {
        if (Sumo.SumoScenario.IsSumoSpec(text)) return Sumo.Learning.SumoDeepEnvs.Definition(text);   // traffic signals on SUMO (trainer/Sumo)
        var spec = EnvSpec.Parse(text);
        switch (spec.Name)
        {
            case "diff-i2q":
            {
                spec.WithKeyValues();
                int n = spec.Int("n", 3);
                double m = spec.Double("m", 0.25);
                spec.RejectUnknown();
                _ = new DiffI2qEnv(n, m, text); // validates
                return new DeepEnvDefinition(text, () => new DiffI2qEnv(n, m, text), null, DiffI2qEnv.QLevels);
            }
            case "diff-dpo":
                if (spec.Argument.Length > 0) throw new GameFormatException($"env '{text}': diff-dpo takes no options");
                return new DeepEnvDefinition(text, () => new DiffDpoEnv(text), null, DiffDpoEnv.QLevels);
        }
        var game = BuiltInGames.FromSpec(text)
                   ?? throw new UsageException($"unknown environment '{text}' (lstage, random-sg, matrix, tabular:<file>, diff-i2q, diff-dpo)");
        return new DeepEnvDefinition(text, () => new TabularEnv(game, text), game, 0);
    }
}
