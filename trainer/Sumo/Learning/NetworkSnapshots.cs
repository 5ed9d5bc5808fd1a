using System.Globalization;
using System.Text.Json;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>One snapshot of a run's networks: the end of training episode <paramref name="Episode"/> (episodes.csv's index), at env step <paramref name="Step"/>.</summary>
public sealed record NetworkSnapshot(int Episode, long Step, string Folder);

/// <summary>
/// networks-snapshots/episode-NNNN/ in a deep SUMO run: the networks (as networks/ holds them) at the end of every
/// <see cref="EveryEpisodes"/>-th training episode, with snapshot.json naming the episode and step. `marl validate` scores
/// them on validation seeds. Each is written into a fresh folder and renamed into place, so a snapshot is whole or absent.
/// </summary>
public static class NetworkSnapshots
{
    public const int EveryEpisodes = 5;
    public const string Folder = "networks-snapshots", InfoFile = "snapshot.json";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    sealed record Info(int Episode, long Step);

    static string Root(RunFolder folder) => Path.Combine(folder.Path, Folder);

    public static void Write(RunFolder folder, int episode, long step, Action<string> writeNetworks)
    {
        AtomicFile.ReplaceDirectory(Path.Combine(Root(folder), $"episode-{episode.ToString("D4", CultureInfo.InvariantCulture)}"), fresh =>
        {
            writeNetworks(fresh);
            AtomicFile.WriteAllText(Path.Combine(fresh, InfoFile), JsonSerializer.Serialize(new Info(episode, step), Json) + "\n");
        });
    }

    /// <summary>The run's whole snapshots, in episode order (a half-written .tmp folder or one without snapshot.json is not one).</summary>
    public static IReadOnlyList<NetworkSnapshot> Read(RunFolder folder)
    {
        if (!Directory.Exists(Root(folder))) return [];
        var list = new List<NetworkSnapshot>();
        foreach (string dir in Directory.GetDirectories(Root(folder), "episode-*"))
        {
            string info = Path.Combine(dir, InfoFile);
            if (dir.EndsWith(".tmp", StringComparison.Ordinal) || !File.Exists(info)) continue;
            try
            {
                var i = JsonSerializer.Deserialize<Info>(File.ReadAllText(info), Json);
                if (i is not null) list.Add(new NetworkSnapshot(i.Episode, i.Step, dir));
            }
            catch (JsonException) { }
        }
        return list.OrderBy(s => s.Episode).ToList();
    }

    /// <summary>Deletes every snapshot taken after <paramref name="step"/> (all of them for -1), and any half-written one.</summary>
    public static void DeleteAfter(RunFolder folder, long step)
    {
        if (!Directory.Exists(Root(folder))) return;
        var kept = Read(folder).Where(s => s.Step <= step).Select(s => s.Folder).ToHashSet();
        foreach (string dir in Directory.GetDirectories(Root(folder)))
            if (!kept.Contains(dir)) Directory.Delete(dir, recursive: true);
    }
}
