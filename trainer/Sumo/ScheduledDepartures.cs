using System.Globalization;
using System.Xml;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// The departure times the route files schedule, per vehicle id: what RESCO's delay needs to charge the vehicles that
/// never entered the network (see <see cref="TripInfoMetrics"/>). Reads &lt;vehicle&gt; and &lt;trip&gt; elements with a
/// numeric depart; flows and depart="triggered"/"now" are not expanded (RESCO's parser reads &lt;vehicle&gt; only, which is
/// all RESCO's route files hold).
/// </summary>
public sealed class ScheduledDepartures
{
    readonly Dictionary<string, double> _byId;
    readonly double[] _sorted;

    ScheduledDepartures(Dictionary<string, double> byId)
    {
        _byId = byId;
        _sorted = byId.Values.Order().ToArray();
    }

    public static readonly ScheduledDepartures None = new(new Dictionary<string, double>());

    public int Count => _sorted.Length;

    /// <summary>The scheduled depart of a vehicle, or null if the route files do not list it.</summary>
    public double? DepartOf(string id) => _byId.TryGetValue(id, out double t) ? t : null;

    /// <summary>Vehicles scheduled strictly after <paramref name="after"/> and before <paramref name="end"/>, and the sum of (end − depart) over them.</summary>
    public (int Count, double Delay) ScheduledBetween(double after, double end)
    {
        int count = 0;
        double delay = 0;
        int k = Array.BinarySearch(_sorted, after);
        k = k < 0 ? ~k : k;
        while (k < _sorted.Length && _sorted[k] <= after) k++;
        for (; k < _sorted.Length && _sorted[k] < end; k++)
        {
            count++;
            delay += end - _sorted[k];
        }
        return (count, delay);
    }

    /// <summary>Vehicles scheduled before <paramref name="end"/> whose id is not in <paramref name="listed"/>, and the sum of (end − depart) over them.</summary>
    public (int Count, double Delay) NotListed(IReadOnlySet<string> listed, double end)
    {
        int count = 0;
        double delay = 0;
        foreach (var (id, depart) in _byId)
            if (depart < end && !listed.Contains(id)) { count++; delay += end - depart; }
        return (count, delay);
    }

    public static ScheduledDepartures Read(IEnumerable<string> routeFiles)
    {
        var byId = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string file in routeFiles)
        {
            try
            {
                using var reader = XmlReader.Create(file, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
                while (reader.Read())
                {
                    if (reader.NodeType != XmlNodeType.Element || reader.Name is not ("vehicle" or "trip")) continue;
                    string? id = reader.GetAttribute("id");
                    if (id is not null && double.TryParse(reader.GetAttribute("depart"), NumberStyles.Float, CultureInfo.InvariantCulture, out double depart))
                        byId[id] = depart;
                }
            }
            catch (XmlException e)
            {
                throw new SumoException($"route file {file} is malformed: {e.Message}");
            }
            catch (IOException e)
            {
                throw new SumoException($"cannot read route file {file}: {e.Message}");
            }
        }
        return new ScheduledDepartures(byId);
    }
}
