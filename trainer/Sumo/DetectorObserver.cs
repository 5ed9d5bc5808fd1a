using System.Text;
using MarlEdge.Trainer.Sumo.Traci;

namespace MarlEdge.Trainer.Sumo;

/// <summary>
/// Turns each step's subscription results into the intersections' detector readings. With `detectors` sensing, each
/// lane-area detector reports [vehicle count, halting count, mean speed] and each incoming lane its waiting time; with
/// `vehicles` sensing, each junction's context subscription reports, for every vehicle nearby, [lane id, lane
/// position, speed, waiting time] in that order. Each traffic light reports its shown state.
/// Lookups go through span-keyed dictionaries, so reading a step allocates nothing.
/// </summary>
sealed class DetectorObserver : ISubscriptionSink
{
    public static readonly byte[] VehicleVariables =
        [TraciVariable.LaneId, TraciVariable.LanePosition, TraciVariable.Speed, TraciVariable.WaitingTime];
    public static readonly byte[] DetectorVariables = [TraciVariable.LastStepVehicleNumber, TraciVariable.LastStepVehicleHaltingNumber, TraciVariable.LastStepMeanSpeed];
    public static readonly byte[] LaneVariables = [TraciVariable.WaitingTime];
    public static readonly byte[] SimulationVariables = [TraciVariable.Time, TraciVariable.MinExpectedNumber];
    public static readonly byte[] EdgeVariables = [TraciVariable.PendingVehicles];

    const byte JunctionContextResponse = TraciCommand.SubscribeJunctionContext + TraciCommand.ResponseOffset;
    const byte TrafficLightResponse = TraciCommand.SubscribeTrafficLightVariables + TraciCommand.ResponseOffset;
    const byte SimulationResponse = TraciCommand.SubscribeSimulationVariables + TraciCommand.ResponseOffset;
    const byte LaneAreaResponse = TraciCommand.SubscribeLaneAreaVariables + TraciCommand.ResponseOffset;
    const byte LaneResponse = TraciCommand.SubscribeLaneVariables + TraciCommand.ResponseOffset;
    const byte EdgeResponse = TraciCommand.SubscribeEdgeVariables + TraciCommand.ResponseOffset;

    readonly IReadOnlyList<Intersection> _intersections;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byJunction;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byTls;
    readonly byte[][] _greenStateBytes;  // per intersection, per green phase: the state as Latin-1 bytes
    readonly double _range;
    readonly double _horizon;
    readonly LaneAreaDetectors? _detectors;
    readonly Dictionary<string, (int Intersection, int Slot)>.AlternateLookup<ReadOnlySpan<char>> _incomingLane;
    readonly Dictionary<string, (int Intersection, int Slot)[]>.AlternateLookup<ReadOnlySpan<char>> _incomingEdge;
    readonly char[] _chars = new char[1024];

    /// <summary>Every intersection's incoming edges, each once (what observe_pending subscribes to).</summary>
    public IEnumerable<string> IncomingEdges => _incomingEdge.Dictionary.Keys;

    public bool Collect { get; set; }
    public double Time { get; private set; }
    /// <summary>Vehicles running or still waiting to be inserted (SUMO's minExpectedNumber).</summary>
    public int ExpectedVehicles { get; private set; }

    // The vehicle being read: its lane slot in the current intersection (int.MinValue: not one of its lanes).
    Intersection? _current;
    int _slot;
    double _position, _speed;

    /// <param name="horizon">seconds ahead within which a moving vehicle counts as arriving (the step length)</param>
    public DetectorObserver(IReadOnlyList<Intersection> intersections, double range, double horizon, LaneAreaDetectors? detectors)
    {
        _horizon = horizon;
        _intersections = intersections;
        _range = range;
        _detectors = detectors;
        _incomingLane = intersections.SelectMany((x, i) => x.IncomingLanes.Select((l, slot) => (l.Id, i, slot)))
            .ToDictionary(p => p.Id, p => (p.i, p.slot)).GetAlternateLookup<ReadOnlySpan<char>>();
        _incomingEdge = intersections.SelectMany((x, i) => x.IncomingEdges.Select((e, slot) => (e, i, slot)))
            .GroupBy(p => p.e).ToDictionary(g => g.Key, g => g.Select(p => (p.i, p.slot)).ToArray()).GetAlternateLookup<ReadOnlySpan<char>>();
        _byJunction = intersections.Select((x, i) => (x.JunctionId, i)).ToDictionary(p => p.JunctionId, p => p.i).GetAlternateLookup<ReadOnlySpan<char>>();
        _byTls = intersections.Select((x, i) => (x.TlsId, i)).ToDictionary(p => p.TlsId, p => p.i).GetAlternateLookup<ReadOnlySpan<char>>();
        _greenStateBytes = intersections.Select(x => x.GreenStates.Select(Encoding.Latin1.GetBytes).ToArray()).SelectMany(a => a).ToArray();
        _phaseOffset = new int[intersections.Count];
        for (int i = 1; i < intersections.Count; i++) _phaseOffset[i] = _phaseOffset[i - 1] + intersections[i - 1].GreenStates.Count;
    }

    readonly int[] _phaseOffset;

    public void BeginStep()
    {
        if (!Collect) return;
        foreach (var x in _intersections) x.ClearReadings();
    }

    public void OnValue(byte responseId, ReadOnlySpan<byte> subscribedId, ReadOnlySpan<byte> objectId, byte variableId, TraciValue value)
    {
        switch (responseId)
        {
            case SimulationResponse:
                if (variableId == TraciVariable.Time) Time = value.Number;
                else if (variableId == TraciVariable.MinExpectedNumber) ExpectedVehicles = (int)value.Number;
                return;
            case JunctionContextResponse when Collect:
                OnVehicleValue(subscribedId, variableId, value);
                return;
            case LaneAreaResponse when Collect:
                OnDetectorValue(subscribedId, variableId, value.Number);
                return;
            case LaneResponse when Collect:
                if (variableId == TraciVariable.WaitingTime && _incomingLane.TryGetValue(Decode(subscribedId), out var lane))
                    _intersections[lane.Intersection].RecordLaneWait(lane.Slot, value.Number);
                return;
            case EdgeResponse when Collect:
                if (variableId == TraciVariable.PendingVehicles && _incomingEdge.TryGetValue(Decode(subscribedId), out var owners))
                    foreach (var (i, slot) in owners) _intersections[i].Pending[slot] = (float)value.Number;   // a string list's value is its length
                return;
            case TrafficLightResponse:
                OnTrafficLightState(subscribedId, value.Text);
                return;
        }
    }

    void OnVehicleValue(ReadOnlySpan<byte> junctionId, byte variableId, TraciValue value)
    {
        switch (variableId)
        {
            case TraciVariable.LaneId:
                _current = _byJunction.TryGetValue(Decode(junctionId), out int x) ? _intersections[x] : null;
                _slot = _current is not null && _current.LaneSlots.TryGetValue(Decode(value.Text), out int slot) ? slot : int.MinValue;
                break;
            case TraciVariable.LanePosition: _position = value.Number; break;
            case TraciVariable.Speed: _speed = value.Number; break;
            case TraciVariable.WaitingTime:
                if (_slot != int.MinValue) _current!.Record(_slot, _position, _speed, value.Number, _range, _horizon);
                break;
        }
    }

    void OnDetectorValue(ReadOnlySpan<byte> detectorId, byte variableId, double number)
    {
        int k = LaneAreaDetectors.Parse(detectorId);
        if (_detectors is null || (uint)k >= (uint)_detectors.Count) return;
        var x = _intersections[_detectors.Intersection[k]];
        if (variableId == TraciVariable.LastStepVehicleNumber) x.RecordDetectorCount(_detectors.Slot[k], number);
        else if (variableId == TraciVariable.LastStepVehicleHaltingNumber) x.RecordDetectorHalting(_detectors.Slot[k], number);
        else if (variableId == TraciVariable.LastStepMeanSpeed) x.RecordDetectorMeanSpeed(_detectors.Slot[k], number);
    }

    void OnTrafficLightState(ReadOnlySpan<byte> tlsId, ReadOnlySpan<byte> state)
    {
        if (!_byTls.TryGetValue(Decode(tlsId), out int i)) return;
        var x = _intersections[i];
        for (int k = 0; k < x.GreenStates.Count; k++)
        {
            if (!state.SequenceEqual(_greenStateBytes[_phaseOffset[i] + k])) continue;
            if (x.ShownGreen != k) { x.ShownGreen = k; x.ShownGreenSince = Time; }
            return;
        }
    }

    ReadOnlySpan<char> Decode(ReadOnlySpan<byte> latin1)
    {
        int n = Encoding.Latin1.GetChars(latin1, _chars);
        return _chars.AsSpan(0, n);
    }
}
