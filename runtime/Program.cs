using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Hosting;
using MarlEdge.Runtime.Validate;

namespace MarlEdge.Runtime;

public static class Program
{
    const string Usage = """
        marl-edge: the MarlEdge edge runtime (one process per device)

        usage: marl-edge <command> [options]   (marl-edge <command> --help for each)

        commands:
          run          run a device from its YAML config (control loop, safety layer, learning, telemetry)
          config       check a device config (config check FILE) or print the schema (config schema)
          dev-bundle   write an untrained bundle matching a device config (development, benchmarks)
          validate     check a policy bundle (hashes, signature, contract, ONNX models) before running it
          --help       show this help
        """;

    /// <summary>When Main started (cold-start measurements).</summary>
    public static long StartTimestamp;

    public static int Main(string[] args)
    {
        StartTimestamp = Stopwatch.GetTimestamp();
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "run":
                return RunCommand.Run(args[1..], Console.Out, Console.Error);
            case "config":
                return ConfigCommand.Run(args[1..], Console.Out, Console.Error);
            case "dev-bundle":
                return DevBundleCommand.Run(args[1..], Console.Out, Console.Error);
            case "persist-stress":
                return Learning.PersistStress.Run(args[1..], Console.Out, Console.Error);
            case "validate":
                return ValidateCommand.Run(args[1..], Console.Out, Console.Error);
            default:
                Console.Error.WriteLine($"marl-edge: unknown command '{args[0]}' (see marl-edge --help)");
                return 2;
        }
    }
}
