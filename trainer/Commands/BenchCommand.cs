using System.Globalization;
using MarlEdge.Trainer.Bench;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Commands;

public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "benchmarks: seed-claims (the tabular claims table), throughput";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();
    public string Help => """
        usage: marl bench seed-claims [--games DIR] [--threads N] [--out DIR]
               marl bench throughput

        seed-claims  trains every learner on the seed's games and prints the claims table (markdown) with IQL beside each
                     row; every score is exact. Writes seed-claims.md, seed-claims.json and seed-claims.png to --out.
                     Exit code 1 if a claim does not hold.
          --games DIR   the folder with FORMAT.md and the game files (default: ../shared/games beside the repo)
          --threads N   parallel runs (default: the number of cores); figures do not depend on it
          --out DIR     where to write the outputs (default: runs/bench)
        throughput   IQL tabular Q-updates per second on one core (30-state game), best of 8 repeats
        """;

    public int Run(CommandArgs args)
    {
        string which = args.Positional.Count > 0 ? args.Positional[0] : throw new UsageException("which benchmark? seed-claims or throughput");
        switch (which)
        {
            case "seed-claims":
            {
                string repo = RepoRoot();
                string games = args.String("games") ?? Path.GetFullPath(Path.Combine(repo, "..", "shared", "games"));
                int threads = args.Int("threads", Environment.ProcessorCount, 1);
                string outDir = args.String("out") ?? Path.Combine(repo, "runs", "bench");
                args.RejectUnknown();
                if (!Directory.Exists(games)) throw new UsageException($"games folder '{games}' does not exist (pass --games DIR)");
                var bench = new SeedClaimsBench(games, threads, m => Console.Error.WriteLine(m));
                var (rows, runs, seconds) = bench.Run();
                SeedClaimsBench.WriteOutputs(outDir, rows, runs, seconds);
                Console.WriteLine(SeedClaimsBench.Markdown(rows));
                Console.WriteLine($"{rows.Count(r => r.Holds)} of {rows.Count} claims hold; {runs.Count} runs in {seconds:F0} s; outputs in {outDir}");
                return rows.All(r => r.Holds) ? 0 : 1;
            }
            case "throughput":
            {
                args.RejectUnknown();
                double rate = UpdateThroughput.Measure();
                Console.WriteLine("| benchmark | Q-updates/s (one core) | target |\n|---|---|---|");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| IQL tabular update, S30 N3 A5 | {rate / 1e6:F1}M | ≥ 5M |"));
                return 0;
            }
            default:
                throw new UsageException($"unknown benchmark '{which}' (seed-claims or throughput)");
        }
    }

    /// <summary>The repository root: the nearest folder above the program that holds MarlEdge.sln.</summary>
    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MarlEdge.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
