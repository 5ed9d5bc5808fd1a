using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MarlEdge.Shared.Games;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Evaluation;
using MarlEdge.Trainer.Runs;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Bench;

/// <summary>One row of the claims table: the claim, its measured figure, IQL's figure beside it, and whether it holds.</summary>
public sealed record ClaimRow(string Claim, string Games, string Measured, string Iql, bool Holds);

/// <summary>
/// Reproduces the seed's tabular claims exactly (every score from the exact evaluator, no sampling) and prints the
/// table README carries. All runs are independent and seeded, so running them in parallel changes no figure.
/// </summary>
public sealed class SeedClaimsBench(string gamesDir, int threads, Action<string> log)
{
    public (List<ClaimRow> Rows, List<SeedClaimResult> Runs, double Seconds) Run()
    {
        var clock = Stopwatch.StartNew();
        var jobs = new List<SeedClaimJob>();
        foreach (int l in new[] { 3, 4, 5 })
            for (int s = 0; s < 10; s++)
                foreach (var algo in new[] { "i2q", "iql" }) jobs.Add(new($"lstage:L={l},seed={s}", algo, s, 100_000));
        for (int s = 0; s < 10; s++)
            foreach (var algo in new[] { "i2q", "iql" }) jobs.Add(new($"random-sg:states=24,agents=2,actions=4,seed={s},deterministic", algo, s, 200_000));
        for (int s = 0; s < 5; s++)
            foreach (var algo in new[] { "i2q", "iql" }) jobs.Add(new($"random-sg:states=80,agents=3,actions=4,seed={s},deterministic", algo, s, 200_000));
        for (int s = 0; s < 20; s++)
            foreach (var algo in new[] { "ma2ql", "dpo", "ippo", "iql" }) jobs.Add(new($"random-sg:states=30,agents=3,actions=5,seed={s}", algo, s, 2_000_000));

        var results = new SeedClaimResult[jobs.Count];
        int done = 0;
        var order = Enumerable.Range(0, jobs.Count).OrderByDescending(i => jobs[i].Steps).ToArray(); // longest first, for balance
        Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            results[i] = jobs[i].Run(LearnerOptions.Default);
            int n = Interlocked.Increment(ref done);
            if (n % 10 == 0 || n == jobs.Count) log($"seed-claims: {n}/{jobs.Count} runs, {clock.Elapsed.TotalSeconds:F0}s");
        });
        var runs = results.ToList();
        var rows = new List<ClaimRow>();

        IEnumerable<SeedClaimResult> Of(string envPrefix, string algo) => runs.Where(r => r.Job.Env.StartsWith(envPrefix, StringComparison.Ordinal) && r.Job.Algo == algo);
        string Reached(IEnumerable<SeedClaimResult> rs, double bar) { var l = rs.ToList(); return $"{l.Count(r => r.NormalizedScore >= bar)}/{l.Count} ≥ {bar} (min {l.Min(r => r.NormalizedScore):F4})"; }

        foreach (int l in new[] { 3, 4, 5 })
        {
            var i2q = Of($"lstage:L={l},", "i2q").ToList();
            rows.Add(new($"1. I2Q reaches the global optimum on lstage L={l} (100k steps)", "seeds 0-9",
                Reached(i2q, 0.999), Reached(Of($"lstage:L={l},", "iql"), 0.999), i2q.All(r => r.NormalizedScore >= 0.999)));
        }
        foreach (var (prefix, label) in new[] { ("random-sg:states=24,agents=2,actions=4,", "S24 N2 A4, seeds 0-9"), ("random-sg:states=80,agents=3,actions=4,", "S80 N3 A4, seeds 0-4") })
        {
            var i2q = Of(prefix, "i2q").ToList();
            rows.Add(new("2. I2Q reaches the global optimum on deterministic random-sg (200k steps)", label,
                Reached(i2q, 0.999), Reached(Of(prefix, "iql"), 0.999), i2q.All(r => r.NormalizedScore >= 0.999)));
        }
        const string sto = "random-sg:states=30,agents=3,actions=5,";
        string Nash(IEnumerable<SeedClaimResult> rs) { var l = rs.ToList(); return $"{l.Count(r => r.RelativeExploitability <= 0.01)}/{l.Count} ε-Nash (max {100 * l.Max(r => r.RelativeExploitability):F2}%)"; }
        var ma2ql = Of(sto, "ma2ql").ToList();
        rows.Add(new("3. MA2QL reaches an ε-Nash equilibrium, exploitability ≤ 1% of V*−V^unif (2M steps)", "S30 N3 A5, seeds 0-19",
            Nash(ma2ql), Nash(Of(sto, "iql")), ma2ql.All(r => r.RelativeExploitability <= 0.01)));
        double dpo = Of(sto, "dpo").Average(r => r.NormalizedScore), ippo = Of(sto, "ippo").Average(r => r.NormalizedScore);
        rows.Add(new("4. DPO's mean normalized score ≥ IPPO's (2M steps)", "S30 N3 A5, seeds 0-19",
            $"DPO {dpo:F4} vs IPPO {ippo:F4}", $"{Of(sto, "iql").Average(r => r.NormalizedScore):F4}", dpo >= ippo));

        rows.Add(CheckFormatTable());
        rows.Add(CheckReproducibility());
        double seconds = clock.Elapsed.TotalSeconds;
        rows.Add(new("7. The whole table takes at most 15 minutes", $"{threads} threads", $"{seconds:F0} s", "", seconds <= 900));
        var throughput = UpdateThroughput.Measure();
        rows.Add(new("8. IQL tabular update throughput ≥ 5M Q-updates/s per core", "S30 N3 A5", $"{throughput / 1e6:F1}M updates/s", "", throughput >= 5e6));
        return (rows, runs, seconds);
    }

    /// <summary>Claim 5: ./marl optimum agrees with every value that FORMAT.md lists, to 1e-6 relative or to the digits it prints.</summary>
    ClaimRow CheckFormatTable()
    {
        string format = Path.Combine(gamesDir, "FORMAT.md");
        if (!File.Exists(format)) return new("5. optimum agrees with FORMAT.md", gamesDir, "FORMAT.md not found", "", false);
        int checkedValues = 0;
        double worst = 0;
        bool holds = true;
        foreach (var line in File.ReadLines(format))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || !cells[1].Contains(".json", StringComparison.Ordinal)) continue;
            string file = cells[1].Split(' ')[0];
            var game = GameFile.Read(Path.Combine(gamesDir, file));
            foreach (var (text, value) in new[] { (cells[2], ExactEvaluator.Optimal(game)), (cells[3], ExactEvaluator.Uniform(game)) })
            {
                double listed = double.Parse(text, CultureInfo.InvariantCulture);
                int decimals = text.Contains('.') ? text.Length - text.IndexOf('.') - 1 : 0;
                double printedPrecision = 0.5 * Math.Pow(10, -decimals); // the table rounds; agree to the digits it prints
                double error = Math.Abs(value - listed);
                worst = Math.Max(worst, error / Math.Max(1e-12, Math.Abs(listed)));
                holds &= error <= Math.Max(1e-6 * Math.Abs(listed), printedPrecision);
                checkedValues++;
            }
        }
        return new("5. ./marl optimum agrees with ../shared/games/FORMAT.md", $"{checkedValues / 2} games",
            $"{checkedValues} values, worst relative diff {worst:E1} (table rounds to its printed digits)", "", holds && checkedValues > 0);
    }

    /// <summary>Claim 6: two runs with the same seed write identical policy.json, for every learner.</summary>
    static ClaimRow CheckReproducibility()
    {
        var game = BuiltInGames.FromSpec("random-sg:states=30,agents=3,actions=5,seed=3")!;
        bool same = true;
        foreach (var algo in LearnerOptions.Algorithms)
        {
            string a = TabularTrainer.Train(game, algo, LearnerOptions.Default, 100_000, 7, 1).Policy.ToJson();
            string b = TabularTrainer.Train(game, algo, LearnerOptions.Default, 100_000, 7, 1).Policy.ToJson();
            same &= a == b;
        }
        return new("6. The same seed gives an identical policy.json", "all 5 learners", same ? "identical" : "DIFFERENT", "", same);
    }

    public static string Markdown(IEnumerable<ClaimRow> rows)
    {
        var sb = new StringBuilder("| claim | games | measured | IQL beside it | holds |\n|---|---|---|---|---|\n");
        foreach (var r in rows) sb.AppendLine($"| {r.Claim} | {r.Games} | {r.Measured} | {r.Iql} | {(r.Holds ? "yes" : "**no**")} |");
        return sb.ToString();
    }

    public static void WriteOutputs(string dir, List<ClaimRow> rows, List<SeedClaimResult> runs, double seconds)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "seed-claims.md"), Markdown(rows));
        var json = new
        {
            seconds,
            claims = rows.Select(r => new { claim = r.Claim, games = r.Games, measured = r.Measured, iql = r.Iql, holds = r.Holds }),
            runs = runs.Select(r => new { env = r.Job.Env, algo = r.Job.Algo, seed = r.Job.Seed, steps = r.Job.Steps, normalized_score = r.NormalizedScore, exploitability = r.Exploitability, relative_exploitability = r.RelativeExploitability, seconds = r.Seconds }),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "seed-claims.json"), JsonSerializer.Serialize(json, RunFolder.Json) + "\n");
        var families = runs.Select(r => Family(r.Job.Env)).Distinct().ToList();
        CurvePlot.Write(Path.Combine(dir, "seed-claims.png"), "mean exact normalized score per game family", "", "normalized score",
            runs.GroupBy(r => r.Job.Algo).Select(a => (a.Key,
                a.GroupBy(r => Family(r.Job.Env)).Select(g => (double)families.IndexOf(g.Key)).ToArray(),
                a.GroupBy(r => Family(r.Job.Env)).Select(g => g.Average(r => r.NormalizedScore)).ToArray())),
            families.Select(ShortFamily).ToArray());
    }

    static string ShortFamily(string family) => family.Replace("random-sg:", "sg ").Replace("states=", "S").Replace(",agents=", " N")
        .Replace(",actions=", " A").Replace("lstage:", "lstage ").TrimEnd(',');

    static string Family(string env) => env[..env.IndexOf("seed=", StringComparison.Ordinal)];
}
