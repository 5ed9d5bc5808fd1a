using System.Globalization;
using MarlEdge.Trainer.Bench;
using MarlEdge.Trainer.Cli;

namespace MarlEdge.Trainer.Commands;

public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "benchmarks: seed-claims (the tabular claims table), throughput, deep-claims, deep-speed";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "quick" };
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

               marl bench deep-claims [--quick] [--threads N] [--out DIR] [--only SECTION,...]
               marl bench deep-speed [--steps N] [--rss-from N] [--rss-to N]

        deep-claims  trains the deep learners (TorchSharp) on diff-dpo, diff-i2q, lstage L=4 and random-sg 30/3/5 and prints
                     issue 3's acceptance table plus reproducibility; writes deep-claims.md and .json to --out, and
                     deep-claims.png (diff-dpo's greedy return per seed) when diff-dpo runs. --quick runs 2 seeds with smaller budgets (CI-sized). --threads N: runs in parallel (default 2; the
                     figures do not depend on it). --only runs some sections: diff-dpo, diff-i2q, lstage, random-sg,
                     reproducibility (default: all). Exit code 1 if a claim does not hold.
        deep-speed   env steps/s and gradient updates/s of each deep learner, batched vs a per-agent loop, and the RSS
                     growth of deep IQL between --rss-from (default 100000) and --rss-to (default 1000000) env steps
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
            case "deep-claims":
            {
                bool quick = args.Flag("quick");
                int threads = args.Int("threads", 2, 1);   // parallel runs in one process (the temporary-Scalar race is fixed: Deep/Nets/Scalars.cs)
                string outDir = args.String("out") ?? Path.Combine(RepoRoot(), "runs", "bench");
                var only = OnlySections(args.String("only"));
                args.RejectUnknown();
                var bench = new Deep.Bench.DeepClaimsBench(quick, threads, m => Console.Error.WriteLine(m), only);
                var (rows, results, seconds) = bench.Run();
                bench.WriteOutputs(outDir, rows, results, seconds);
                Console.WriteLine(Deep.Bench.DeepClaimsBench.Markdown(rows));
                Console.WriteLine($"{rows.Count(r => r.Holds)} of {rows.Count} claims hold; {results.Count} runs in {seconds:F0} s; outputs in {outDir}");
                return rows.All(r => r.Holds) ? 0 : 1;
            }
            case "deep-speed":
            {
                long steps = args.Long("steps", 4000, 64);
                long from = args.Long("rss-from", 100_000, 1), to = args.Long("rss-to", 1_000_000, 2);
                args.RejectUnknown();
                if (to <= from) throw new UsageException($"--rss-to ({to}) must exceed --rss-from ({from})");
                Console.WriteLine(Deep.Bench.DeepSpeedBench.Run(steps, from, to, m => Console.Error.WriteLine(m)));
                return 0;
            }
            default:
                throw new UsageException($"unknown benchmark '{which}' (seed-claims, throughput, deep-claims or deep-speed)");
        }
    }

    /// <summary>--only a,b,...: the deep-claims sections to run (null: all); an unknown name is refused.</summary>
    static HashSet<string>? OnlySections(string? list)
    {
        if (list is null) return null;
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        if (names.Count == 0) throw new UsageException("--only needs at least one section: " + string.Join(", ", Deep.Bench.DeepClaimsBench.Sections));
        foreach (var n in names)
            if (!Deep.Bench.DeepClaimsBench.Sections.Contains(n))
                throw new UsageException($"--only: unknown section '{n}' (sections: {string.Join(", ", Deep.Bench.DeepClaimsBench.Sections)})");
        return names;
    }

    /// <summary>The repository root: the nearest folder above the program that holds MarlEdge.sln.</summary>
    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MarlEdge.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
