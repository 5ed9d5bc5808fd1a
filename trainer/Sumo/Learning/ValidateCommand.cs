using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Export;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// `./marl validate --run DIR`: model selection on validation seeds. Every snapshot in networks-snapshots/ (and the final
/// networks) plays the same greedy episodes on seeds <see cref="ValidatedNetworks.SeedBase"/>, ... (never the evaluation
/// seeds); the one with the lowest mean avg_delay_all is copied into networks-val/, which `marl eval --networks val`
/// then scores on the held-out evaluation seeds.
/// </summary>
public sealed class ValidateCommand : ICommand
{
    public const string ResultFile = "validation.json", PlotFile = "validation.png";

    public string Name => "validate";
    public string Summary => "pick a SUMO run's networks on validation seeds (networks-val/, for marl eval --networks val)";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "quiet" };

    public string Help => $"""
        usage: marl validate --run DIR [--episodes K] [--json] [--quiet]

        Model selection for a deep `marl train --env sumo:...` run, on seeds that neither training nor evaluation uses.
        Training keeps the networks every {NetworkSnapshots.EveryEpisodes} episodes in networks-snapshots/. Each of them, and the final networks/,
        plays K greedy one-hour episodes from the validation seeds {ValidatedNetworks.SeedBase}, {ValidatedNetworks.SeedBase + 1}, ... (marl eval's held-out
        seeds start at {SumoEval.EvalSeedBase}). The candidate with the lowest mean avg_delay_all (every scheduled vehicle counted,
        so a policy that keeps an entry shut cannot win) is copied into networks-val/; then
        `marl eval --run DIR --networks val --episodes N` scores it on the held-out seeds.
        Writes DIR/{ResultFile} (every candidate's means, and the choice) and DIR/{PlotFile}, and prints a table.
          --run DIR      a deep SUMO run folder with networks-snapshots/
          --episodes K   validation episodes per candidate (default 3)
          --json         print the result object instead of the table
          --quiet        no progress line
        """;

    public int Run(CommandArgs args)
    {
        var folder = new RunFolder(args.RequiredString("run"));
        int episodes = args.Int("episodes", 3, min: 1);
        bool json = args.Flag("json"), quiet = args.Flag("quiet");
        args.RejectUnknown();
        var (result, scored, best) = Validate(folder, episodes, quiet);
        Console.WriteLine(json ? result.ToJsonString() : Table(folder, scored, best));
        return 0;
    }

    /// <summary>Scores every candidate, writes networks-val/, validation.json and validation.png; returns the result object.</summary>
    public static (JsonObject Result, List<ValidationScore> Scored, ValidationScore Best) Validate(RunFolder folder, int episodes, bool quiet)
    {
        var config = folder.ReadConfig();
        if (!SumoEval.Handles(config) || config.Tabular)
            throw new UsageException($"'{folder.Path}' is not a deep SUMO run: marl validate picks among the networks a deep sumo: run keeps");
        var candidates = Candidates(folder, config.Steps);

        var scenario = SumoScenario.Resolve(config.Env);
        string work = Path.Combine(folder.Path, ".validation");   // SUMO's files; an interrupted validation's are dropped
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        var scored = new List<ValidationScore>();
        using (var sumo = new SumoEnv(scenario, new SumoEnvOptions { RunDirectory = Path.GetFullPath(work) }))
        using (var progress = new ProgressLine($"validate {candidates.Count} candidates x {episodes} episodes", candidates.Count * episodes, quiet))
        {
            foreach (var c in candidates)
            {
                var results = SumoEval.Episodes(sumo, c.Folder, folder.Path, ValidatedNetworks.SeedBase, episodes, new EvalExploration(0));
                scored.Add(new ValidationScore(c, results.Select(r => r.Metrics).ToList()));
                progress.Report(scored.Count * episodes, scored[^1].AvgDelayAll);
            }
        }
        Directory.Delete(work, recursive: true);

        var best = scored.Where(s => double.IsFinite(s.AvgDelayAll)).MinBy(s => s.AvgDelayAll)
                   ?? throw new UsageException($"'{folder.Path}': no candidate completed a trip on the validation seeds, so none can be chosen");
        ValidatedNetworks.Selection.Write(folder, dir => NetworkSelection.CopyNetworks(best.Candidate.Folder, dir),
            new BestEpisode(best.Candidate.Episode, best.Candidate.Step, best.AvgDelay, best.AvgDelayAll));

        var result = new JsonObject
        {
            ["run"] = folder.Path,
            ["validation_seeds"] = $"{ValidatedNetworks.SeedBase}..{ValidatedNetworks.SeedBase + episodes - 1}",
            ["selected_on"] = "lowest mean avg_delay_all on the validation seeds",
            ["selected_episode"] = best.Candidate.Episode,
            ["selected_networks"] = Path.GetRelativePath(folder.Path, best.Candidate.Folder),
            ["validation_avg_delay"] = Number(best.AvgDelay),
            ["validation_avg_delay_all"] = Number(best.AvgDelayAll),
            ["candidates"] = new JsonArray(scored.Select(s => (JsonNode)s.ToJson(folder)).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(folder.Path, ResultFile), result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        CurvePlot.Write(Path.Combine(folder.Path, PlotFile), $"validation of {Path.GetFileName(Path.TrimEndingDirectorySeparator(folder.Path))} ({episodes} seeds)",
            "networks after training episode (from 0)", "mean over validation seeds (s)",
            [("avg_delay_all", X(scored), scored.Select(s => s.AvgDelayAll).ToArray()), ("avg_delay (RESCO's)", X(scored), scored.Select(s => s.AvgDelay).ToArray())]);
        return (result, scored, best);
    }

    /// <summary>The snapshots, then the final networks unless the last snapshot was taken at the same step.</summary>
    static List<NetworkSnapshot> Candidates(RunFolder folder, long finalStep)
    {
        var list = NetworkSnapshots.Read(folder).ToList();
        string final = Path.Combine(folder.Path, RunPolicies.NetworksFolder);
        var log = SumoTraining.ReadEpisodes(folder);
        if (File.Exists(Path.Combine(final, "agent-0.onnx")) && (list.Count == 0 || list[^1].Step < finalStep))
            list.Add(new NetworkSnapshot(log.Count > 0 ? log[^1].Episode : -1, finalStep, final));
        if (list.Count == 0)
            throw new UsageException($"'{folder.Path}' has no {NetworkSnapshots.Folder}/ and no final networks: train it (or resume it) first");
        return list;
    }

    static double[] X(List<ValidationScore> scored) => scored.Select(s => (double)s.Candidate.Episode).ToArray();

    static string Table(RunFolder folder, List<ValidationScore> scored, ValidationScore best)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"| networks | after episode | avg_delay_all (s) | avg_delay, RESCO (s) | not_inserted | throughput |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in scored)
            sb.AppendLine($"| {Path.GetRelativePath(folder.Path, s.Candidate.Folder)}{(s == best ? " (selected)" : "")} | {s.Candidate.Episode} | {F(s.AvgDelayAll)} | {F(s.AvgDelay)} | {F(s.NotInserted)} | {F(s.Throughput)} |");
        sb.Append($"networks-val/ holds the networks after episode {best.Candidate.Episode}; score them on the held-out seeds with: marl eval --run {folder.Path} --networks val --episodes N");
        return sb.ToString();
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";
    internal static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 4)) : null;
}

/// <summary>One candidate's greedy episodes on the validation seeds, and their means.</summary>
public sealed record ValidationScore(NetworkSnapshot Candidate, IReadOnlyList<TripInfoMetrics> Episodes)
{
    public double AvgDelayAll => Episodes.Average(m => m.AvgDelayAll);
    public double AvgDelay => Episodes.Average(m => m.AvgDelay);
    public double NotInserted => Episodes.Average(m => m.NotInserted);
    public double Throughput => Episodes.Average(m => m.Throughput);

    public JsonObject ToJson(RunFolder folder) => new()
    {
        ["networks"] = Path.GetRelativePath(folder.Path, Candidate.Folder),
        ["episode"] = Candidate.Episode,
        ["step"] = Candidate.Step,
        ["avg_delay_all"] = ValidateCommand.Number(AvgDelayAll),
        ["avg_delay"] = ValidateCommand.Number(AvgDelay),
        ["not_inserted"] = ValidateCommand.Number(NotInserted),
        ["throughput"] = ValidateCommand.Number(Throughput),
        ["per_episode_avg_delay_all"] = new JsonArray(Episodes.Select(m => ValidateCommand.Number(m.AvgDelayAll)).ToArray()),
    };
}
