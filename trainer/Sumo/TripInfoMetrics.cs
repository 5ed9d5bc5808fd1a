using System.Globalization;
using System.Text.Json.Serialization;
using System.Xml;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// RESCO's evaluation, from SUMO's tripinfo.xml: the completed trips' mean timeLoss (RESCO's "delay"), duration
/// and waiting time, and their count. AvgDepartDelay is the mean time the completed trips waited to be inserted
/// (departDelay), which timeLoss does not include. VehiclesInNetwork is not in tripinfo; the environment adds it
/// (-1 if unknown).
/// </summary>
public sealed record TripInfoMetrics(
    [property: JsonPropertyName("throughput")] int Throughput,
    [property: JsonPropertyName("avg_delay")] double AvgDelay,
    [property: JsonPropertyName("avg_trip_time")] double AvgTripTime,
    [property: JsonPropertyName("avg_wait")] double AvgWait,
    [property: JsonPropertyName("avg_depart_delay")] double AvgDepartDelay,
    [property: JsonPropertyName("vehicles_in_network")] int VehiclesInNetwork = -1)
{
    /// <summary>Reads a complete tripinfo.xml. No completed trip gives NaN averages and throughput 0.</summary>
    public static TripInfoMetrics Read(string path)
    {
        int trips = 0;
        double timeLoss = 0, duration = 0, waiting = 0, departDelay = 0;
        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element || reader.Name != "tripinfo") continue;
                trips++;
                timeLoss += Number(reader, "timeLoss");
                duration += Number(reader, "duration");
                waiting += Number(reader, "waitingTime");
                departDelay += Number(reader, "departDelay");
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
        return trips == 0
            ? new TripInfoMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN)
            : new TripInfoMetrics(trips, timeLoss / trips, duration / trips, waiting / trips, departDelay / trips);
    }

    /// <summary>The metrics under the names eval reports: avg_delay, avg_trip_time, avg_wait, throughput, vehicles_in_network.</summary>
    public void WriteTo(IDictionary<string, double> metrics)
    {
        metrics["avg_delay"] = AvgDelay;
        metrics["avg_trip_time"] = AvgTripTime;
        metrics["avg_wait"] = AvgWait;
        metrics["avg_depart_delay"] = AvgDepartDelay;
        metrics["throughput"] = Throughput;
        metrics["vehicles_in_network"] = VehiclesInNetwork;
    }

    static double Number(XmlReader r, string name) =>
        double.TryParse(r.GetAttribute(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;
}
