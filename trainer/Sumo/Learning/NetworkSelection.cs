using System.Text.Json;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>The training episode whose end-of-episode networks a selection folder holds, with both of its delays.</summary>
public sealed record BestEpisode(int Episode, long Step, double AvgDelay, double? AvgDelayAll = null);

/// <summary>
/// Model selection on training episodes (never on the evaluation seeds): a folder that keeps the networks as they were at
/// the end of the training episode with the lowest score so far, and best.json naming that episode.
/// <see cref="AvgDelay"/> scores on RESCO's delay (networks-best/); <see cref="AvgDelayAll"/> on avg_delay_all
/// (networks-best-all/), which also charges the vehicles kept outside the net, so a policy that blocks an entry cannot win
/// it by hiding them. `marl eval --networks best|best-all` evaluates them. <see cref="ValidatedNetworks"/> is the same kind
/// of folder, chosen on validation seeds instead (<paramref name="OnValidation"/>).
/// </summary>
public sealed record NetworkSelection(string Name, string Folder, bool AllVehicles, bool OnValidation = false)
{
    public const string BestFile = "best.json";
    public static readonly NetworkSelection AvgDelay = new("best", "networks-best", false);
    public static readonly NetworkSelection AvgDelayAll = new("best-all", "networks-best-all", true);

    /// <summary>The metric the selection ranks episodes on, by its name in episodes.csv and the summaries.</summary>
    public string Metric => AllVehicles ? "avg_delay_all" : "avg_delay";
    /// <summary>The selections training keeps up to date after every episode.</summary>
    public static readonly IReadOnlyList<NetworkSelection> All = [AvgDelay, AvgDelayAll];

    static IReadOnlyList<NetworkSelection> Evaluable => [.. All, ValidatedNetworks.Selection];

    /// <summary>The selection `--networks NAME` names, or null for "final".</summary>
    public static NetworkSelection? Named(string name) => name == "final" ? null
        : Evaluable.FirstOrDefault(s => s.Name == name)
          ?? throw new Cli.UsageException($"--networks must be 'final', {string.Join(", ", Evaluable.SkipLast(1).Select(s => $"'{s.Name}'"))} or '{Evaluable[^1].Name}', got '{name}'");

    /// <summary>Why a run may lack the folder, for the error that says so.</summary>
    public string MissingReason => OnValidation
        ? "run marl validate on it first (it scores the run's networks-snapshots/ on validation seeds)"
        : "it was trained before this model selection was kept, or has not finished a training episode";

    public double Score(TripInfoMetrics m) => AllVehicles ? m.AvgDelayAll : m.AvgDelay;

    double Score(BestEpisode b) => AllVehicles ? b.AvgDelayAll ?? double.NaN : b.AvgDelay;

    /// <summary>Whether the episode beats the bar; a NaN score (no trips in the episode) never does.</summary>
    public bool Improves(TripInfoMetrics m, double bar) => double.IsFinite(Score(m)) && Score(m) < bar;

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes the networks (by <paramref name="writeNetworks"/>) into a fresh folder renamed into place, best.json last.</summary>
    public void Write(RunFolder folder, Action<string> writeNetworks, BestEpisode episode)
    {
        AtomicFile.ReplaceDirectory(Path.Combine(folder.Path, Folder), fresh =>
        {
            writeNetworks(fresh);
            AtomicFile.WriteAllText(Path.Combine(fresh, BestFile), JsonSerializer.Serialize(episode, Json) + "\n");
        });
    }

    /// <summary>Copies another selection's networks (taken at the same episode end) instead of writing them again.</summary>
    public static void CopyNetworks(string from, string into)
    {
        Directory.CreateDirectory(into);
        foreach (string file in Directory.GetFiles(from).Where(f => Path.GetFileName(f) != BestFile))
            File.Copy(file, Path.Combine(into, Path.GetFileName(file)), overwrite: true);
    }

    public BestEpisode? Read(RunFolder folder)
    {
        string path = Path.Combine(folder.Path, Folder, BestFile);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<BestEpisode>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }

    public void Delete(RunFolder folder)
    {
        foreach (string d in new[] { Folder, Folder + ".tmp" })
            if (Directory.Exists(Path.Combine(folder.Path, d))) Directory.Delete(Path.Combine(folder.Path, d), recursive: true);
    }

    /// <summary>
    /// On resume: the snapshot stays if it was taken before the checkpoint (its score is the bar to beat); one taken in the
    /// episodes that now run again is dropped, so after a resume the folder may hold a different (earlier) episode's
    /// networks than an uninterrupted run would.
    /// </summary>
    public double Kept(RunFolder folder, long checkpointStep)
    {
        if (Read(folder) is { } best && best.Step <= checkpointStep && double.IsFinite(Score(best))) return Score(best);
        Delete(folder);
        return double.PositiveInfinity;
    }
}
