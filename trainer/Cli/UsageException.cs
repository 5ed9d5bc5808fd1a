namespace MarlEdge.Trainer.Cli;

/// <summary>Bad input from the user: printed as one line naming the problem, exit code 2, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
