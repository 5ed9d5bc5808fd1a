using System.Globalization;
using System.Text.Json.Serialization;
using System.Xml;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// RESCO's evaluation of one episode, from SUMO's tripinfo.xml (written with --tripinfo-output.write-unfinished, as
/// RESCO runs SUMO) and the route files' schedule.
/// <para><b>avg_delay is RESCO's "delay"</b>, exactly as RESCO computes it in resco_benchmark/utils/readXML.py
/// (github.com/Pi-Star-Lab/RESCO, the timeLoss branch; SUMO options in resco_benchmark/multi_signal.py):
/// <code>
///   total = Σ over every tripinfo entry, finished or not:  timeLoss + departDelay
///   last  = the entry with the latest actual depart; T = its scheduled depart in the route file
///   never = route-file vehicles scheduled after T         (charged as never departed)
///   delay = (total + Σ_never (end_time − depart)) / (entries + |never|)
/// </code>
/// so it includes the time vehicles waited to be inserted, the time lost by vehicles still driving at the end, and
/// the vehicles that never got in. On an uncongested net (grid4x4) it is close to the completed trips' timeLoss; on a
/// saturated one (arterial4x4) it is far larger.</para>
/// <para>The other columns are over completed trips only: avg_time_loss (mean timeLoss, what this project reported as
/// avg_delay before), avg_trip_time (duration), avg_wait (waitingTime), avg_depart_delay (departDelay), throughput
/// (their count). NeverDeparted counts the vehicles RESCO charges as never departed. VehiclesInNetwork is not in
/// tripinfo; the environment adds it (-1 if unknown).</para>
/// <para>RESCO's never-departed term only charges vehicles scheduled after T: a vehicle scheduled before T that never got
/// in (its entry blocked for good) has no tripinfo entry and is not counted at all, so blocking whole entries can lower
/// avg_delay. Not RESCO's, so reported beside it: <b>not_inserted</b>, the scheduled vehicles (depart before the end)
/// with no tripinfo entry, and <b>avg_delay_all</b>, the same total over every such scheduled vehicle once:
/// (Σ_entries (timeLoss + departDelay) + Σ_not_inserted (end − depart)) / (entries + not_inserted).</para>
/// </summary>
public sealed record TripInfoMetrics(
    [property: JsonPropertyName("throughput")] int Throughput,
    [property: JsonPropertyName("avg_delay")] double AvgDelay,
    [property: JsonPropertyName("avg_time_loss")] double AvgTimeLoss,
    [property: JsonPropertyName("avg_trip_time")] double AvgTripTime,
    [property: JsonPropertyName("avg_wait")] double AvgWait,
    [property: JsonPropertyName("avg_depart_delay")] double AvgDepartDelay,
    [property: JsonPropertyName("never_departed")] int NeverDeparted = 0,
    [property: JsonPropertyName("vehicles_in_network")] int VehiclesInNetwork = -1,
    [property: JsonPropertyName("not_inserted")] int NotInserted = 0,
    [property: JsonPropertyName("avg_delay_all")] double AvgDelayAll = double.NaN)
{
    /// <summary>
    /// Reads a complete tripinfo.xml of an episode that ended at simulation time <paramref name="endTime"/>; the schedule
    /// (the route files' departs) gives RESCO's never-departed term. No completed trip gives NaN averages and throughput 0.
    /// </summary>
    public static TripInfoMetrics Read(string path, ScheduledDepartures schedule, double endTime)
    {
        int trips = 0, entries = 0;
        double timeLoss = 0, duration = 0, waiting = 0, departDelay = 0, rescoTotal = 0;
        double lastDepart = double.NegativeInfinity;
        string? lastId = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Name != "tripinfo") continue;
                double loss = Number(reader, "timeLoss"), inserted = Number(reader, "departDelay");
                entries++;
                rescoTotal += loss + inserted;                                   // RESCO: timeLoss + departDelay, every entry
                double depart = Number(reader, "depart");
                string? id = reader.GetAttribute("id");
                if (id is not null) seen.Add(id);
                if (depart > lastDepart) { lastDepart = depart; lastId = id; }
                if (Number(reader, "arrival", -1) < 0) continue;                 // still driving at the end (write-unfinished)
                trips++;
                timeLoss += loss;
                duration += Number(reader, "duration");
                waiting += Number(reader, "waitingTime");
                departDelay += inserted;
            }
        }
        catch (XmlException e)
        {
            throw new SumoException($"tripinfo {path} is incomplete or malformed: {e.Message}");
        }
        catch (IOException e)
        {
            throw new SumoException($"cannot read tripinfo {path}: {e.Message}");
        }
        // RESCO: every vehicle scheduled after the last inserted one's scheduled depart never departed; it is charged end − depart.
        double after = lastId is not null ? schedule.DepartOf(lastId) ?? lastDepart : double.NegativeInfinity;
        var (never, neverDelay) = schedule.ScheduledBetween(after, endTime);
        int counted = entries + never;
        double delay = counted == 0 ? double.NaN : (rescoTotal + neverDelay) / counted;
        var (absent, absentDelay) = schedule.NotListed(seen, endTime);
        double all = entries + absent == 0 ? double.NaN : (rescoTotal + absentDelay) / (entries + absent);
        return trips == 0
            ? new TripInfoMetrics(0, delay, double.NaN, double.NaN, double.NaN, double.NaN, never, NotInserted: absent, AvgDelayAll: all)
            : new TripInfoMetrics(trips, delay, timeLoss / trips, duration / trips, waiting / trips, departDelay / trips, never, NotInserted: absent, AvgDelayAll: all);
    }

    /// <summary>The metrics under the names eval reports.</summary>
    public void WriteTo(IDictionary<string, double> metrics)
    {
        metrics["avg_delay"] = AvgDelay;
        metrics["avg_time_loss"] = AvgTimeLoss;
        metrics["avg_trip_time"] = AvgTripTime;
        metrics["avg_wait"] = AvgWait;
        metrics["avg_depart_delay"] = AvgDepartDelay;
        metrics["throughput"] = Throughput;
        metrics["never_departed"] = NeverDeparted;
        metrics["vehicles_in_network"] = VehiclesInNetwork;
        metrics["not_inserted"] = NotInserted;
        metrics["avg_delay_all"] = AvgDelayAll;
    }

    /// <summary>The mean of several episodes' metrics (counts rounded).</summary>
    public static TripInfoMetrics Mean(IReadOnlyCollection<TripInfoMetrics> episodes) => new(
        (int)Math.Round(episodes.Average(m => m.Throughput)),
        episodes.Average(m => m.AvgDelay),
        episodes.Average(m => m.AvgTimeLoss),
        episodes.Average(m => m.AvgTripTime),
        episodes.Average(m => m.AvgWait),
        episodes.Average(m => m.AvgDepartDelay),
        (int)Math.Round(episodes.Average(m => m.NeverDeparted)),
        (int)Math.Round(episodes.Average(m => m.VehiclesInNetwork)),
        (int)Math.Round(episodes.Average(m => m.NotInserted)),
        episodes.Average(m => m.AvgDelayAll));

    static double Number(XmlReader r, string name, double missing = 0) =>
        double.TryParse(r.GetAttribute(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : missing;
}
