namespace MarlEdge.Runtime;

public static class Program
{
    const string Usage = """
        marl-edge: the MarlEdge edge runtime (one process per device)

        usage: marl-edge <command> [options]

        commands:
          --help        show this help
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Usage);
            return 0;
        }
        Console.Error.WriteLine($"marl-edge: unknown command '{args[0]}' (see marl-edge --help)");
        return 2;
    }
}
