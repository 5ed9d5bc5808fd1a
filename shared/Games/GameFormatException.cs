namespace MarlEdge.Shared.Games;

/// <summary>A game, spec or policy that is malformed or inconsistent. The message is one line that names the problem.</summary>
public sealed class GameFormatException(string message) : Exception(message);
