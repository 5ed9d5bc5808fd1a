namespace MarlEdge.Trainer.Cli;

/// <summary>One sub-command of ./marl.</summary>
public interface ICommand
{
    string Name { get; }
    /// <summary>One line for the command list.</summary>
    string Summary { get; }
    /// <summary>The full --help text.</summary>
    string Help { get; }
    /// <summary>Options that take no value.</summary>
    IReadOnlySet<string> Flags { get; }
    int Run(CommandArgs args);
}
