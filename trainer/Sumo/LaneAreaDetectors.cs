using System.Globalization;
using System.Text;
using MarlEdge.Shared.IO;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// The lane-area detectors (SUMO E2) of the `detectors` sensing mode: one per incoming lane over the last
/// detector_range_m before the stop line, one per outgoing lane over its first detector_range_m. They are written
/// as an additional file for SUMO; detector k is named "marl{k}" so a reading maps back without a dictionary.
/// </summary>
sealed class LaneAreaDetectors
{
    public const string IdPrefix = "marl";
    /// <summary>Per detector: the intersection and lane slot it reports for (slot &lt; 0: outgoing lane -1-slot).</summary>
    public readonly int[] Intersection;
    public readonly int[] Slot;
    readonly string _xml;

    public LaneAreaDetectors(IReadOnlyList<Intersection> intersections, double range)
    {
        var owner = new List<int>();
        var slots = new List<int>();
        var xml = new StringBuilder("<additional>\n");
        string sink = OperatingSystem.IsWindows() ? "NUL" : "/dev/null";
        for (int i = 0; i < intersections.Count; i++)
        {
            var x = intersections[i];
            var all = Enumerable.Range(0, x.IncomingLanes.Count).Select(s => (s, x.IncomingLanes[s].Id))
                .Concat(Enumerable.Range(0, x.OutgoingLanes.Count).Select(s => (-1 - s, x.OutgoingLanes[s].Id)));
            foreach (var (slot, lane) in all)
            {
                var (start, end) = x.DetectorZone(slot, range);
                xml.Append(CultureInfo.InvariantCulture,
                    $"    <laneAreaDetector id=\"{IdPrefix}{owner.Count}\" lane=\"{System.Security.SecurityElement.Escape(lane)}\" pos=\"{start:0.###}\" endPos=\"{end:0.###}\" freq=\"86400\" speedThreshold=\"0.1\" timeThreshold=\"0\" file=\"{sink}\"/>\n");
                owner.Add(i);
                slots.Add(slot);
            }
        }
        xml.Append("</additional>\n");
        Intersection = owner.ToArray();
        Slot = slots.ToArray();
        _xml = xml.ToString();
    }

    public int Count => Slot.Length;

    public static string Id(int k) => IdPrefix + k.ToString(CultureInfo.InvariantCulture);

    public void Write(string path) => AtomicFile.WriteAllText(path, _xml);

    /// <summary>The k of "marl{k}", or -1.</summary>
    public static int Parse(ReadOnlySpan<byte> id)
    {
        if (id.Length <= IdPrefix.Length) return -1;
        int k = 0;
        foreach (byte b in id[IdPrefix.Length..])
        {
            if (b is < (byte)'0' or > (byte)'9') return -1;
            k = k * 10 + (b - '0');
        }
        return k;
    }
}
