namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// One signalized intersection, i.e. one agent: its green phases (the actions), its incoming and outgoing lanes,
/// and what its detectors saw at the end of the last step. Counts cover only vehicles within the detector range.
/// </summary>
public sealed class Intersection
{
    public string TlsId { get; }
    /// <summary>The junction whose surroundings are observed (the one most incoming edges lead to).</summary>
    public string JunctionId { get; }
    /// <summary>Radius around the junction centre that covers every lane's detector zone.</summary>
    public double ContextRange { get; }
    /// <summary>The program's distinct green states (with a G or g, without yellow); action k selects GreenStates[k].</summary>
    public IReadOnlyList<string> GreenStates { get; }
    public IReadOnlyList<NetLane> IncomingLanes { get; }
    public IReadOnlyList<NetLane> OutgoingLanes { get; }
    /// <summary>The distinct edges of the incoming lanes, in lane order (observe_pending reads one value per edge).</summary>
    public IReadOnlyList<string> IncomingEdges { get; }
    /// <summary>Per green phase: the incoming lane slots that get a green signal.</summary>
    public IReadOnlyList<int[]> PhaseIncomingLanes { get; }
    /// <summary>Per green phase: the distinct (incoming slot, outgoing slot) movements it serves.</summary>
    public IReadOnlyList<(int In, int Out)[]> PhaseMovements { get; }
    /// <summary>Every distinct (incoming slot, outgoing slot) movement of any green phase.</summary>
    public IReadOnlyList<(int In, int Out)> Movements { get; }
    /// <summary>YellowStates[from][to]: the yellow transition between two green phases, computed once.</summary>
    public IReadOnlyList<string[]> YellowStates { get; }

    // Detector readings of the last step, one entry per incoming / outgoing lane.
    public readonly float[] Queue;
    public readonly float[] Approaching;
    public readonly float[] Wait;
    /// <summary>Per incoming lane: Σ over the vehicles in range of (1 − speed / lane speed limit), the rate at which they lose time (s/s).</summary>
    public readonly float[] Delay;
    /// <summary>Per incoming lane: moving vehicles in range that reach the stop line within one step at their current speed.</summary>
    public readonly float[] Arriving;
    public readonly float[] OutgoingCount;
    /// <summary>Per incoming edge: vehicles waiting to be inserted on it (observe_pending).</summary>
    public readonly float[] Pending;

    /// <summary>Current green phase index, and when it turned green (simulation seconds).</summary>
    public int CurrentGreen { get; internal set; }
    public double GreenSince { get; internal set; }

    /// <summary>The green phase the signal showed at the end of the last step (-1: none of the green phases yet), as SUMO reports it.</summary>
    public int ShownGreen { get; internal set; } = -1;
    public double ShownGreenSince { get; internal set; }

    readonly Dictionary<string, int> _laneSlots;  // incoming lanes: slot; outgoing lanes: -1 - slot
    internal readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> LaneSlots;

    /// <summary>The lane-area detector zone of a lane slot: [start, end) in metres from the lane's start.</summary>
    internal (double Start, double End) DetectorZone(int slot, double range)
    {
        if (slot >= 0)
        {
            var lane = IncomingLanes[slot];
            return (Math.Max(0, lane.Length - range), lane.Length);
        }
        var outgoing = OutgoingLanes[-1 - slot];
        return (0, Math.Min(range, outgoing.Length));
    }

    internal Intersection(TrafficLightDefinition light, SumoNetwork net, double detectorRange)
    {
        TlsId = light.Id;
        GreenStates = light.PhaseStates.Where(IsGreenPhase).Distinct().ToList();
        if (GreenStates.Count == 0) throw new SumoException($"traffic light '{light.Id}' has no green phase in its program");

        IncomingLanes = light.Links.Select(l => l.InLane).Distinct().Select(id => Lane(net, id)).ToList();
        OutgoingLanes = light.Links.Select(l => l.OutLane).Distinct().Select(id => Lane(net, id)).ToList();
        IncomingEdges = IncomingLanes.Select(l => SumoNetwork.EdgeOfLane(l.Id)).Distinct().ToList();
        var inSlot = IncomingLanes.Select((l, i) => (l.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var outSlot = OutgoingLanes.Select((l, i) => (l.Id, i)).ToDictionary(p => p.Id, p => p.i);

        PhaseIncomingLanes = GreenStates.Select(state => light.Links
            .Where(l => l.Index < state.Length && char.ToUpperInvariant(state[l.Index]) == 'G')
            .Select(l => inSlot[l.InLane]).Distinct().ToArray()).ToList();
        PhaseMovements = GreenStates.Select(state => light.Links
            .Where(l => l.Index < state.Length && char.ToUpperInvariant(state[l.Index]) == 'G')
            .Select(l => (inSlot[l.InLane], outSlot[l.OutLane])).Distinct().ToArray()).ToList();

        Movements = PhaseMovements.SelectMany(m => m).Distinct().ToArray();
        YellowStates = GreenStates.Select(from => GreenStates.Select(to => YellowBetween(from, to)).ToArray()).ToList();

        JunctionId = IncomingLanes
            .Select(l => net.EdgeTo.GetValueOrDefault(SumoNetwork.EdgeOfLane(l.Id)))
            .Where(j => j is not null && net.Junctions.ContainsKey(j))
            .GroupBy(j => j!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key).FirstOrDefault()
            ?? throw new SumoException($"traffic light '{light.Id}': cannot find the junction its lanes lead to");
        var (cx, cy) = net.Junctions[JunctionId];
        double margin = IncomingLanes.Select(l => Distance(cx, cy, l.EndX, l.EndY))
            .Concat(OutgoingLanes.Select(l => Distance(cx, cy, l.StartX, l.StartY))).Max();
        ContextRange = detectorRange + margin + 1;

        _laneSlots = new Dictionary<string, int>(inSlot);
        foreach (var (id, slot) in outSlot) _laneSlots[id] = -1 - slot;
        LaneSlots = _laneSlots.GetAlternateLookup<ReadOnlySpan<char>>();

        Queue = new float[IncomingLanes.Count];
        Approaching = new float[IncomingLanes.Count];
        Wait = new float[IncomingLanes.Count];
        Delay = new float[IncomingLanes.Count];
        Arriving = new float[IncomingLanes.Count];
        OutgoingCount = new float[OutgoingLanes.Count];
        Pending = new float[IncomingEdges.Count];
    }

    public int ActionCount => GreenStates.Count;

    /// <summary>A phase is a green phase when some signal is green and none is yellow or red-yellow.</summary>
    public static bool IsGreenPhase(string state) =>
        state.Any(c => c is 'G' or 'g') && !state.Any(c => c is 'y' or 'Y' or 'u');

    /// <summary>
    /// The transition shown for the yellow time when switching from <paramref name="from"/> to <paramref name="to"/>:
    /// signals green now and red next turn yellow; every other signal keeps its current state.
    /// </summary>
    public static string YellowBetween(string from, string to) => string.Create(from.Length, (from, to), static (span, p) =>
    {
        for (int i = 0; i < span.Length; i++)
        {
            char now = p.from[i];
            char next = i < p.to.Length ? p.to[i] : 'r';
            span[i] = now is 'G' or 'g' && next is 'r' or 's' ? 'y' : now;
        }
    });

    internal void ClearReadings()
    {
        Array.Clear(Queue);
        Array.Clear(Approaching);
        Array.Clear(Wait);
        Array.Clear(Delay);
        Array.Clear(Arriving);
        Array.Clear(OutgoingCount);
        Array.Clear(Pending);
    }

    /// <summary>Counts one vehicle seen around the junction, if it is within range on one of this intersection's lanes.</summary>
    internal void Record(int slot, double lanePosition, double speed, double waitingTime, double range, double horizon)
    {
        if (slot >= 0)
        {
            var lane = IncomingLanes[slot];
            double toStopLine = lane.Length - lanePosition;
            if (toStopLine > range) return;
            Delay[slot] += (float)Math.Max(0, 1 - speed / lane.Speed);
            if (speed < HaltingSpeed) { Queue[slot]++; Wait[slot] += (float)waitingTime; }
            else
            {
                Approaching[slot]++;
                if (toStopLine <= speed * horizon) Arriving[slot]++;
            }
        }
        else
        {
            if (lanePosition > range) return;
            OutgoingCount[-1 - slot]++;
        }
    }

    /// <summary>A lane-area detector's reading: vehicles in its zone; halting ones follow and split the count.</summary>
    internal void RecordDetectorCount(int slot, double vehicles)
    {
        if (slot >= 0) Approaching[slot] = (float)vehicles;
        else OutgoingCount[-1 - slot] = (float)vehicles;
    }

    internal void RecordDetectorHalting(int slot, double halting)
    {
        if (slot < 0) return;
        Queue[slot] = (float)halting;
        Approaching[slot] = Math.Max(0, Approaching[slot] - (float)halting);
    }

    /// <summary>A lane-area detector's mean speed (after its count and halting number): the lane's delay rate is count × (1 − mean speed / limit).</summary>
    internal void RecordDetectorMeanSpeed(int slot, double meanSpeed)
    {
        if (slot < 0) return;
        float vehicles = Queue[slot] + Approaching[slot];
        Delay[slot] = vehicles > 0 && meanSpeed >= 0 ? vehicles * (float)Math.Max(0, 1 - meanSpeed / IncomingLanes[slot].Speed) : 0;
    }

    /// <summary>SUMO's summed waiting time of the vehicles on an incoming lane (the whole lane).</summary>
    internal void RecordLaneWait(int slot, double seconds)
    {
        if (slot >= 0) Wait[slot] = (float)seconds;
    }

    /// <summary>SUMO's halting threshold (m/s), as in lane.getLastStepHaltingNumber.</summary>
    public const double HaltingSpeed = 0.1;

    /// <summary>The green phase other than the current one whose incoming lanes hold the most halting vehicles (lowest index on ties); the current one if it is the only phase.</summary>
    public int LongestQueuedOtherPhase()
    {
        int best = CurrentGreen;
        float bestQueue = float.NegativeInfinity;
        for (int p = 0; p < PhaseIncomingLanes.Count; p++)
        {
            if (p == CurrentGreen) continue;
            float q = 0;
            foreach (int l in PhaseIncomingLanes[p]) q += Queue[l];
            if (q > bestQueue) { bestQueue = q; best = p; }
        }
        return best;
    }

    public float TotalQueue() => Sum(Queue);
    public float TotalWait() => Sum(Wait);
    public float TotalDelay() => Sum(Delay);
    public float TotalPending() => Sum(Pending);

    /// <summary>
    /// The intersection's pressure (PressLight, Wei et al. 2019, eq. 2 with unnormalized counts): Σ over its movements
    /// (l, m) of the vehicles in range on incoming lane l (halting and moving) minus those in range on outgoing lane m.
    /// </summary>
    public float Pressure()
    {
        float p = 0;
        for (int k = 0; k < Movements.Count; k++)
        {
            var (i, o) = Movements[k];
            p += Queue[i] + Approaching[i] - OutgoingCount[o];
        }
        return p;
    }

    static float Sum(float[] values)
    {
        float s = 0;
        foreach (float v in values) s += v;
        return s;
    }

    static NetLane Lane(SumoNetwork net, string id) =>
        net.Lanes.TryGetValue(id, out var lane) ? lane : throw new SumoException($"net file: lane '{id}' used by a traffic light is not defined");

    static double Distance(double ax, double ay, double bx, double by) => Math.Sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by));
}
