using System.Globalization;
using System.Xml;

namespace MarlEdge.Trainer.Sumo;

/// <summary>A lane of the net: its length and where its shape starts and ends (metres), and its speed limit (m/s).</summary>
public sealed record NetLane(string Id, double Length, double StartX, double StartY, double EndX, double EndY, double Speed = NetLane.DefaultSpeed)
{
    /// <summary>SUMO's default lane speed (m/s) when the net gives none.</summary>
    public const double DefaultSpeed = 13.89;
}

/// <summary>One signal of a traffic light: vehicles pass from InLane to OutLane when the state string's character at Index is green.</summary>
public sealed record SignalLink(int Index, string InLane, string OutLane);

/// <summary>A traffic light as the net file defines it: its first program's phase states and its controlled links.</summary>
public sealed record TrafficLightDefinition(string Id, IReadOnlyList<string> PhaseStates, IReadOnlyList<SignalLink> Links);

/// <summary>
/// The parts of a SUMO .net.xml that signal control needs, read once with a streaming reader: lanes, junction
/// positions, which junction each edge leads to, and every traffic light's program and links.
/// </summary>
public sealed class SumoNetwork
{
    public IReadOnlyDictionary<string, NetLane> Lanes { get; }
    public IReadOnlyDictionary<string, (double X, double Y)> Junctions { get; }
    /// <summary>Edge id to the id of the junction it leads to.</summary>
    public IReadOnlyDictionary<string, string> EdgeTo { get; }
    public IReadOnlyList<TrafficLightDefinition> TrafficLights { get; }

    SumoNetwork(Dictionary<string, NetLane> lanes, Dictionary<string, (double, double)> junctions,
        Dictionary<string, string> edgeTo, List<TrafficLightDefinition> lights)
    {
        Lanes = lanes; Junctions = junctions; EdgeTo = edgeTo; TrafficLights = lights;
    }

    public static SumoNetwork Read(string path)
    {
        var lanes = new Dictionary<string, NetLane>();
        var junctions = new Dictionary<string, (double, double)>();
        var edgeTo = new Dictionary<string, string>();
        var programs = new Dictionary<string, List<string>>();
        var programOrder = new List<string>();
        var links = new Dictionary<string, List<SignalLink>>();
        string? currentProgram = null;
        bool skipProgram = false;

        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true });
            string? currentEdge = null;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.Name == "tlLogic") { currentProgram = null; continue; }
                if (reader.NodeType != XmlNodeType.Element) continue;
                switch (reader.Name)
                {
                    case "edge":
                        currentEdge = reader.GetAttribute("id");
                        string? to = reader.GetAttribute("to");
                        if (currentEdge is not null && to is not null) edgeTo[currentEdge] = to;
                        break;
                    case "lane":
                        string laneId = Required(reader, "id");
                        var (sx, sy, ex, ey) = ShapeEnds(reader.GetAttribute("shape"));
                        double speed = reader.GetAttribute("speed") is null ? NetLane.DefaultSpeed : Number(reader, "speed");
                        lanes[laneId] = new NetLane(laneId, Number(reader, "length"), sx, sy, ex, ey, speed > 0 ? speed : NetLane.DefaultSpeed);
                        break;
                    case "junction":
                        if (reader.GetAttribute("type") == "internal") break;
                        junctions[Required(reader, "id")] = (Number(reader, "x"), Number(reader, "y"));
                        break;
                    case "tlLogic":
                        currentProgram = Required(reader, "id");
                        skipProgram = programs.ContainsKey(currentProgram);  // only the first program of each light
                        if (!skipProgram) { programs[currentProgram] = []; programOrder.Add(currentProgram); }
                        if (reader.IsEmptyElement) currentProgram = null;
                        break;
                    case "phase":
                        if (currentProgram is not null && !skipProgram) programs[currentProgram].Add(Required(reader, "state"));
                        break;
                    case "connection":
                        string? tl = reader.GetAttribute("tl");
                        if (tl is null) break;
                        var link = new SignalLink(
                            (int)Number(reader, "linkIndex"),
                            $"{Required(reader, "from")}_{Required(reader, "fromLane")}",
                            $"{Required(reader, "to")}_{Required(reader, "toLane")}");
                        if (!links.TryGetValue(tl, out var list)) links[tl] = list = [];
                        list.Add(link);
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            throw new SumoException($"net file {path} is not valid XML: {e.Message}");
        }
        catch (IOException e)
        {
            throw new SumoException($"cannot read net file {path}: {e.Message}");
        }

        var lights = programOrder
            .Where(id => links.ContainsKey(id) && programs[id].Count > 0)
            .Select(id => new TrafficLightDefinition(id, programs[id], links[id].DistinctBy(l => (l.Index, l.InLane, l.OutLane)).OrderBy(l => l.Index).ToList()))
            .ToList();
        return new SumoNetwork(lanes, junctions, edgeTo, lights);
    }

    /// <summary>The edge a lane belongs to: lane ids are edge id, '_', lane index.</summary>
    public static string EdgeOfLane(string laneId) => laneId[..laneId.LastIndexOf('_')];

    static string Required(XmlReader r, string name) =>
        r.GetAttribute(name) ?? throw new SumoException($"net file: <{r.Name}> without '{name}' attribute");

    static double Number(XmlReader r, string name) =>
        double.TryParse(Required(r, name), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new SumoException($"net file: <{r.Name}> has a non-numeric '{name}'");

    static (double, double, double, double) ShapeEnds(string? shape)
    {
        if (string.IsNullOrWhiteSpace(shape)) return (0, 0, 0, 0);
        var points = shape.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var first = Point(points[0]);
        var last = Point(points[^1]);
        return (first.X, first.Y, last.X, last.Y);

        static (double X, double Y) Point(string p)
        {
            var xy = p.Split(',');
            return (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture));
        }
    }
}
