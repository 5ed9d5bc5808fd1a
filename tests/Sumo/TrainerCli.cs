namespace MarlEdge.Tests.Sumo;

/// <summary>Runs `marl` in-process with its stdout and stderr captured, as a user's shell would see them.</summary>
static class TrainerCli
{
    public static int Run(string[] args, out string stdout, out string stderr)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try { return MarlEdge.Trainer.Program.Main(args); }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
            stdout = output.ToString();
            stderr = error.ToString();
        }
    }
}
