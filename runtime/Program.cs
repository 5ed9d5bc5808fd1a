using MarlEdge.Runtime.Validate;

namespace MarlEdge.Runtime;

public static class Program
{
    const string Usage = """
        marl-edge: the MarlEdge edge runtime (one process per device)

        usage: marl-edge <command> [options]   (marl-edge <command> --help for each)

        commands:
          validate     check a policy bundle (hashes, signature, contract, ONNX models) before running it
          --help       show this help
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "validate":
                return ValidateCommand.Run(args[1..], Console.Out, Console.Error);
            default:
                Console.Error.WriteLine($"marl-edge: unknown command '{args[0]}' (see marl-edge --help)");
                return 2;
        }
    }
}
