namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// networks-val/: the snapshot (<see cref="NetworkSnapshots"/>) or final networks with the lowest mean avg_delay_all on
/// the validation seeds, written by `marl validate`; its best.json holds that candidate's validation means.
/// </summary>
public static class ValidatedNetworks
{
    /// <summary>The validation seeds: disjoint from the evaluation seeds (<see cref="SumoEval.EvalSeedBase"/> on) and, in practice, from training's hashed ones.</summary>
    public const int SeedBase = 2_000_003;

    public static readonly NetworkSelection Selection = new("val", "networks-val", AllVehicles: true, OnValidation: true);

    /// <summary>Drops networks-val/ and validation.json (stale once training writes new snapshots).</summary>
    public static void Delete(Runs.RunFolder folder)
    {
        Selection.Delete(folder);
        File.Delete(Path.Combine(folder.Path, ValidateCommand.ResultFile));
        File.Delete(Path.Combine(folder.Path, ValidateCommand.PlotFile));
    }
}
