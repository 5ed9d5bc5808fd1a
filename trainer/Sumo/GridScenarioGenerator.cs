using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml;
using MarlEdge.Shared.IO;
using MarlEdge.Trainer.Sumo.Traci;

namespace MarlEdge.Trainer.Sumo;

/// <summary>How much traffic enters a generated grid, per entry edge, in vehicles per hour.</summary>
public sealed record GridDemand(double WestEastPerHour, double NorthSouthPerHour, double DurationS, int Seed);

/// <summary>
/// Makes small test scenarios without anything from outside the project: an N x N signalized grid from SUMO's
/// netgenerate, and random trips written here (Bernoulli arrivals per second at each fringe entry, to a random exit
/// on another side). SUMO routes the trips itself, so no python tool is needed.
/// </summary>
public static class GridScenarioGenerator
{
    /// <summary>
    /// Writes FOLDER/grid.net.xml and FOLDER/grid.rou.xml; returns the folder. tlsLayout is netgenerate's --tls.layout:
    /// "opposites" (its default: two green phases, opposite approaches together) or "incoming" (one green phase per approach).
    /// </summary>
    public static string Generate(string folder, int size, GridDemand demand, bool trafficLights = true, double edgeLength = 150, string? sumoBinary = null,
        string tlsLayout = "opposites")
    {
        if (tlsLayout is not ("opposites" or "incoming")) throw new SumoException($"tls layout must be 'opposites' or 'incoming', got '{tlsLayout}'");
        Directory.CreateDirectory(folder);
        string net = Path.Combine(folder, "grid.net.xml");
        RunNetgenerate(net, size, edgeLength, trafficLights, sumoBinary, tlsLayout);
        var (entries, exits) = FringeEdges(net);
        AtomicFile.WriteAllText(Path.Combine(folder, "grid.rou.xml"), Trips(entries, exits, demand));
        return folder;
    }

    static void RunNetgenerate(string output, int size, double length, bool trafficLights, string? sumoBinary, string tlsLayout)
    {
        var info = new ProcessStartInfo(SumoBinary.LocateTool("netgenerate", sumoBinary is null ? null : SumoBinary.Locate(sumoBinary)))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        string[] args =
        [
            "--grid", "--grid.number", size.ToString(CultureInfo.InvariantCulture),
            "--grid.length", length.ToString(CultureInfo.InvariantCulture),
            "--grid.attach-length", length.ToString(CultureInfo.InvariantCulture),
            "--default.lanenumber", "1", "--no-turnarounds", "true",
            "--default-junction-type", trafficLights ? "traffic_light" : "priority", "--tls.layout", tlsLayout,
            "--xml-validation", "never", "--no-warnings", "true", "-o", output,
        ];
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new SumoException($"netgenerate failed: {stderr.Trim().Split('\n')[0]}");
    }

    /// <summary>Entry edges start at a dead end of the fringe, exit edges end at one. Returned with their fringe side.</summary>
    static (List<(string Edge, string Node)> Entries, List<(string Edge, string Node)> Exits) FringeEdges(string net)
    {
        var deadEnds = new HashSet<string>();
        var edges = new List<(string Id, string From, string To)>();
        using (var reader = XmlReader.Create(net))
        {
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element) continue;
                if (reader.Name == "junction" && reader.GetAttribute("type") == "dead_end") deadEnds.Add(reader.GetAttribute("id")!);
                if (reader.Name == "edge" && reader.GetAttribute("function") is null)
                    edges.Add((reader.GetAttribute("id")!, reader.GetAttribute("from")!, reader.GetAttribute("to")!));
            }
        }
        return (edges.Where(e => deadEnds.Contains(e.From)).Select(e => (e.Id, e.From)).ToList(),
                edges.Where(e => deadEnds.Contains(e.To)).Select(e => (e.Id, e.To)).ToList());
    }

    /// <summary>netgenerate names fringe nodes left0/right0 (west-east) and bottom0/top0 (north-south).</summary>
    static bool IsWestEast(string node) => node.StartsWith("left", StringComparison.Ordinal) || node.StartsWith("right", StringComparison.Ordinal);

    static string Side(string node) => new(node.TakeWhile(char.IsLetter).ToArray());

    static string Trips(List<(string Edge, string Node)> entries, List<(string Edge, string Node)> exits, GridDemand demand)
    {
        var rng = new Random(demand.Seed);
        var xml = new StringBuilder();
        xml.AppendLine("<routes>");
        xml.AppendLine("    <vType id=\"car\" accel=\"2.6\" decel=\"4.5\" sigma=\"0.5\" length=\"5\" minGap=\"2.5\" maxSpeed=\"13.89\"/>");
        int id = 0;
        for (int t = 0; t < (int)demand.DurationS; t++)
        {
            foreach (var (edge, node) in entries)
            {
                double perHour = IsWestEast(node) ? demand.WestEastPerHour : demand.NorthSouthPerHour;
                if (rng.NextDouble() >= perHour / 3600.0) continue;
                // Mostly straight on: exit on the opposite side, sometimes any other side.
                var candidates = exits.Where(x => Side(x.Node) != Side(node)).ToList();
                var straight = candidates.Where(x => IsWestEast(x.Node) == IsWestEast(node)).ToList();
                var pool = straight.Count > 0 && rng.NextDouble() < 0.8 ? straight : candidates;
                var exit = pool[rng.Next(pool.Count)];
                xml.Append(CultureInfo.InvariantCulture,
                    $"    <trip id=\"v{id++}\" type=\"car\" depart=\"{t}\" from=\"{edge}\" to=\"{exit.Edge}\" departLane=\"best\" departSpeed=\"max\"/>\n");
            }
        }
        xml.AppendLine("</routes>");
        return xml.ToString();
    }
}
