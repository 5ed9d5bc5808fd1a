using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Commands;

public sealed class DumpGameCommand : ICommand
{
    public string Name => "dump-game";
    public string Summary => "write a tabular game in the marledge-tabular-game/1 file format";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();
    public string Help => $"""
        usage: marl dump-game --env SPEC --out FILE

        Writes any tabular game (built-in or file) as one JSON object in the format of ../shared/games/FORMAT.md.

          --env SPEC   a tabular game:
        {BuiltInGames.SpecHelp}
          --out FILE   where to write it (atomically)
        """;

    public int Run(CommandArgs args)
    {
        var game = GameSpecs.RequireTabular(args.RequiredString("env"));
        string path = args.RequiredString("out");
        args.RejectUnknown();
        GameFile.Write(game, path);
        Console.WriteLine($"wrote {path}: {game.NumStates} states, {game.NumAgents} agents, actions [{string.Join(",", game.NumActions)}]");
        return 0;
    }
}
