using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Commands;

/// <summary>Resolves --env specs that name tabular games, with a clear error for anything else.</summary>
public static class GameSpecs
{
    public static TabularGame RequireTabular(string spec) =>
        BuiltInGames.FromSpec(spec) ?? throw new UsageException($"unknown environment '{spec}' (tabular games: lstage, random-sg, matrix, tabular:<file>)");
}
