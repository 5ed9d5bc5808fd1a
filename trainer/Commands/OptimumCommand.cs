using System.Globalization;
using System.Text.Json;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Evaluation;

namespace MarlEdge.Trainer.Commands;

public sealed class OptimumCommand : ICommand
{
    public string Name => "optimum";
    public string Summary => "exact optimal joint value V* and uniform-random value of a tabular game";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };
    public string Help => $"""
        usage: marl optimum --env SPEC [--json]

        Computes, from the game's model and without sampling, the optimal joint value V* (what a centralized controller
        could reach) and the value of the uniform-random joint policy, from the start state(s).

          --env SPEC   a tabular game:
        {Shared.Games.BuiltInGames.SpecHelp}
          --json       print {"{"}"optimal": V*, "uniform": V^unif{"}"}
        """;

    public int Run(CommandArgs args)
    {
        var game = GameSpecs.RequireTabular(args.RequiredString("env"));
        bool json = args.Flag("json");
        args.RejectUnknown();
        double optimal = ExactEvaluator.Optimal(game), uniform = ExactEvaluator.Uniform(game);
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { optimal, uniform }));
        else Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{game.Name}: optimal {optimal:G10}, uniform {uniform:G10}"));
        return 0;
    }
}
