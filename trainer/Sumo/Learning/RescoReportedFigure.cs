using System.Text.Json.Nodes;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>
/// The figure RESCO publishes for a learner, computed the way resco_benchmark/utils/graph.py computes it (num_n = -1):
/// the training episodes' average delay is averaged across trials episode by episode, and the table shows that mean
/// curve's minimum (np.argmin: the first minimum). It is the best training episode, not a held-out evaluation; RESCO's
/// baselines are instead the mean over their episodes. Runs of different lengths are cut to the shortest.
/// </summary>
/// <param name="Episode">the training episode (0-based) at which the mean curve is lowest</param>
/// <param name="AvgDelay">the mean curve's value there: RESCO's reported figure</param>
/// <param name="AvgDelayAll">the mean across runs of avg_delay_all at that episode (NaN when a run lacks the column)</param>
/// <param name="LastTenAvgDelay">the mean curve averaged over its last ten episodes (or fewer)</param>
/// <param name="LastTenAvgDelayAll">the same for avg_delay_all (NaN when a run lacks the column)</param>
public sealed record RescoReportedFigure(int Episode, double AvgDelay, double AvgDelayAll, double LastTenAvgDelay, double LastTenAvgDelayAll,
    int Runs, int Episodes, double[] MeanCurve)
{
    /// <summary>Null when there is no run or a run has no episode.</summary>
    public static RescoReportedFigure? Of(IReadOnlyList<IReadOnlyList<SumoTrainingEpisode>> runs)
    {
        if (runs.Count == 0) return null;
        int episodes = runs.Min(r => r.Count);
        if (episodes == 0) return null;
        double MeanAt(int e, Func<TripInfoMetrics, double> metric) => runs.Average(r => metric(r[e].Metrics));
        var curve = new double[episodes];
        for (int e = 0; e < episodes; e++) curve[e] = MeanAt(e, m => m.AvgDelay);   // graph.py: the per-episode mean across trials
        int best = 0;
        for (int e = 1; e < episodes; e++)
            if (curve[e] < curve[best] || !double.IsFinite(curve[best])) best = e;     // graph.py: np.argmin, the first minimum (of the finite values)
        int lastTen = Math.Max(0, episodes - 10);
        return new RescoReportedFigure(best, curve[best], MeanAt(best, m => m.AvgDelayAll), curve[lastTen..].Average(),
            Enumerable.Range(lastTen, episodes - lastTen).Average(e => MeanAt(e, m => m.AvgDelayAll)), runs.Count, episodes, curve);
    }

    public JsonObject ToJson() => new()
    {
        ["definition"] = "min over training episodes of the per-episode mean across runs of avg_delay (RESCO's graph.py, num_n = -1)",
        ["episode"] = Episode,
        ["avg_delay"] = Math.Round(AvgDelay, 4),
        ["avg_delay_all"] = double.IsFinite(AvgDelayAll) ? JsonValue.Create(Math.Round(AvgDelayAll, 4)) : null,
        ["last_ten_avg_delay"] = Math.Round(LastTenAvgDelay, 4),
        ["last_ten_avg_delay_all"] = double.IsFinite(LastTenAvgDelayAll) ? JsonValue.Create(Math.Round(LastTenAvgDelayAll, 4)) : null,
        ["runs"] = Runs,
        ["episodes"] = Episodes,
    };
}
