using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer;

public static class Program
{
    /// <summary>Every ./marl command. A new command adds one line here.</summary>
    static readonly ICommand[] Commands =
    [
        new Commands.TrainCommand(),
        new Commands.EvalCommand(),
        new Commands.OptimumCommand(),
        new Commands.DumpGameCommand(),
        new Export.ExportCommand(),
        new Export.KeygenCommand(),
        new Commands.BenchCommand(),
        new Sumo.SumoBaselineCommand(),
        new Sumo.SumoBenchCommand(),
        new Sumo.Learning.RescoBenchCommand(),
        new Sumo.Learning.RescoFigureCommand(),
        new Sumo.Learning.ValidateCommand(),
    ];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("marl: train, evaluate and export fully decentralized multi-agent policies\n\nusage: marl <command> [options]   (marl <command> --help for each)\n\ncommands:");
            foreach (var c in Commands) Console.WriteLine($"  {c.Name,-14} {c.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"marl: unknown command '{args[0]}' (see marl --help)");
            return 2;
        }
        try
        {
            var parsed = new CommandArgs(args.Skip(1), command.Flags);
            if (parsed.Help)
            {
                Console.WriteLine(command.Help);
                return 0;
            }
            return command.Run(parsed);
        }
        catch (Exception e) when (e is UsageException or GameFormatException or Sumo.SumoException)
        {
            Console.Error.WriteLine($"marl {command.Name}: {e.Message}");
            return 2;
        }
    }
}
