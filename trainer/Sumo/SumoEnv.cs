using System.Globalization;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Sumo.Traci;

namespace MarlEdge.Trainer.Sumo;

/// <summary>Where a SUMO environment writes and how it runs SUMO.</summary>
public sealed record SumoEnvOptions
{
    /// <summary>Run folder: each finished episode's tripinfo.xml lands here. Null: a temporary folder, deleted on dispose.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>The sumo executable; null finds it ($SUMO_BINARY, $SUMO_HOME/bin, PATH).</summary>
    public string? SumoBinary { get; init; }
    /// <summary>Leave the lights to SUMO's own static program and ignore actions (the `static` baseline).</summary>
    public bool StaticLights { get; init; }
}

/// <summary>
/// Traffic signal control on SUMO as a parallel environment: each signalized intersection is an agent whose action
/// is its next green phase. Every step lasts step_length_s of simulated time; an agent that switches phase first
/// shows yellow_s of yellow (inside the step), and a switch asked for before min_green_s of green is ignored. With
/// max_green_s &gt; 0, a green held that long is switched to the longest-queued other phase (<see cref="SumoScenarioConfig.MaxGreenS"/>).
/// <para>Observation of an agent (all features named): per incoming lane, within detector_range_m of the stop line,
/// <c>lane:ID:queue</c> (halting vehicles), <c>lane:ID:approaching</c> (moving vehicles) and <c>lane:ID:wait</c>
/// (the halting vehicles' summed waiting time, s; with `detectors` sensing SUMO's whole-lane sum); then
/// <c>phase:K:STATE</c>, one-hot of the current green phase. See <see cref="SensingKind"/>. With observe_arrivals
/// (vehicles sensing) two more blocks follow: <c>lane:ID:arriving</c>, the moving vehicles that reach the stop line
/// within one step at their current speed (what a radar or camera at the approach measures), and
/// <c>phase:green_s</c>, how long the current green has been shown. With observe_outgoing a last block follows:
/// <c>lane:ID:outgoing</c>, the vehicles within range on each outgoing lane. With observe_pending, last of all,
/// <c>edge:ID:pending</c> per incoming edge: the vehicles waiting to be inserted there (a queue spilled back past the
/// net's boundary, which an advance detector upstream would count).</para>
/// <para>Reward of an agent: minus its own queue (reward=queue), waiting time (reward=wait), delay rate Σ(1 − v/v_max)
/// (reward=delay) or absolute pressure |Σ_movements in − out| (reward=pressure), from the same detectors. With
/// observe_pending the queue and delay rewards also count each pending vehicle, weighted by pending_weight (default 1).</para>
/// <para>The episode is truncated after episode_s. SUMO then closes and its tripinfo.xml is moved into the run
/// folder; the last step's <see cref="Info"/> carries avg_delay (RESCO's delay, see <see cref="TripInfoMetrics"/>),
/// avg_time_loss, avg_trip_time, avg_wait, avg_depart_delay, throughput, never_departed and vehicles_in_network. If SUMO fails the run folder keeps the previous episode's complete tripinfo.xml.</para>
/// </summary>
public sealed class SumoEnv : IParallelEnv
{
    readonly SumoEnvOptions _options;
    readonly Intersection[] _intersections;
    readonly AgentSpec[] _agents;
    readonly DetectorObserver _observer;
    readonly LaneAreaDetectors? _detectors;
    readonly bool _ownsRunDirectory;
    readonly string[] _phaseDuringStep;   // per agent: the green state to set after yellow, or null
    readonly bool _observeArrivals, _observeOutgoing, _observePending;
    readonly ScheduledDepartures _schedule; // the route files' departs, for RESCO's never-departed term
    SumoProcess? _sumo;
    Random _seeds = new(0);
    int _decisions;
    double _time;

    /// <summary>With observe_arrivals: seconds the current green has been shown (yellow excluded), the controller's own state.</summary>
    public const string GreenTimeFeature = "phase:green_s";

    public SumoScenario Scenario { get; }
    public string Spec => Scenario.Spec;
    public IReadOnlyList<AgentSpec> Agents => _agents;
    public IReadOnlyList<Intersection> Intersections => _intersections;
    public double Gamma => Scenario.Config.Gamma;
    public int EpisodeLimit { get; }
    public StepInfo Info { get; } = new();
    public string RunDirectory { get; }
    public string TripInfoPath => Path.Combine(RunDirectory, "tripinfo.xml");
    /// <summary>Metrics of the last episode that ran to its end, or null.</summary>
    public TripInfoMetrics? LastEpisode { get; private set; }
    /// <summary>Switches the max-green timer (max_green_s) forced in this episode.</summary>
    public int MaxGreenSwitches { get; private set; }
    /// <summary>Simulation time in seconds.</summary>
    public double Time => _time;
    /// <summary>The running sumo process (for diagnostics and tests), or null between episodes.</summary>
    public int? SumoProcessId => _sumo?.ProcessId;
    internal TraciClient? Client => _sumo?.Client;

    string WorkDirectory => Path.Combine(RunDirectory, ".sumo-episode");

    public SumoEnv(SumoScenario scenario, SumoEnvOptions? options = null)
    {
        Scenario = scenario;
        _options = options ?? new SumoEnvOptions();
        var config = scenario.Config;
        var net = SumoNetwork.Read(scenario.NetFile);
        if (net.TrafficLights.Count == 0)
            throw new SumoException($"net {scenario.NetFile} has no traffic lights (no <tlLogic> controlling links): there is nothing to control");
        _intersections = net.TrafficLights.Select(l => new Intersection(l, net, config.DetectorRangeM)).ToArray();
        _agents = _intersections.Select(x => new AgentSpec(x.TlsId, new ObservationSpec(FeatureNames(x, config)), ActionSpec.Discrete(x.ActionCount))).ToArray();
        _detectors = config.Sensing == SensingKind.Detectors ? new LaneAreaDetectors(_intersections, config.DetectorRangeM) : null;
        if (config.ObserveArrivals && config.Sensing != SensingKind.Vehicles)
            throw new SumoException($"{scenario.Name}: observe_arrivals needs sensing=vehicles (a lane-area detector does not see speeds per vehicle)");
        _observeArrivals = config.ObserveArrivals;
        _observeOutgoing = config.ObserveOutgoing;
        _observePending = config.ObservePending;
        _observer = new DetectorObserver(_intersections, config.DetectorRangeM, config.StepLengthS, _detectors);
        _phaseDuringStep = new string[_intersections.Length];
        EpisodeLimit = config.DecisionsPerEpisode;
        _schedule = ScheduledDepartures.Read(scenario.RouteFiles);

        _ownsRunDirectory = _options.RunDirectory is null;
        RunDirectory = Path.GetFullPath(_options.RunDirectory ?? Path.Combine(Path.GetTempPath(), $"marledge-sumo-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(RunDirectory);
    }

    static string[] FeatureNames(Intersection x, SumoScenarioConfig config)
    {
        var names = new List<string>();
        foreach (var lane in x.IncomingLanes)
        {
            names.Add($"lane:{lane.Id}:queue");
            names.Add($"lane:{lane.Id}:approaching");
            names.Add($"lane:{lane.Id}:wait");
        }
        for (int k = 0; k < x.GreenStates.Count; k++) names.Add($"phase:{k}:{x.GreenStates[k]}");
        if (config.ObserveArrivals)
        {
            foreach (var lane in x.IncomingLanes) names.Add($"lane:{lane.Id}:arriving");
            names.Add(GreenTimeFeature);
        }
        if (config.ObserveOutgoing)
            foreach (var lane in x.OutgoingLanes) names.Add($"lane:{lane.Id}:outgoing");
        if (config.ObservePending)
            foreach (string edge in x.IncomingEdges) names.Add($"edge:{edge}:pending");
        return names.ToArray();
    }

    public void Reset(int? seed, float[][] observations)
    {
        StopSimulation();
        if (seed is int s) _seeds = new Random(s);
        int sumoSeed = seed ?? _seeds.Next();
        if (Directory.Exists(WorkDirectory)) Directory.Delete(WorkDirectory, recursive: true);
        Directory.CreateDirectory(WorkDirectory);

        var config = Scenario.Config;
        var arguments = new List<string> { "--time-to-teleport", config.TimeToTeleportS.ToString(CultureInfo.InvariantCulture), "--no-warnings", "true" };
        if (_detectors is not null)
        {
            string detectorFile = Path.Combine(WorkDirectory, "detectors.add.xml");
            _detectors.Write(detectorFile);
            arguments.AddRange(["--additional-files", detectorFile]);
        }
        _sumo = SumoProcess.Start(new SumoLaunchOptions(Scenario.NetFile, Scenario.RouteFiles, Path.Combine(WorkDirectory, "tripinfo.xml"))
        {
            Binary = _options.SumoBinary,
            Seed = sumoSeed,
            ExtraArguments = arguments,
        });
        try
        {
            var client = _sumo.Client;
            client.SubscribeVariables(TraciCommand.SubscribeSimulationVariables, "", DetectorObserver.SimulationVariables, _observer);
            for (int k = 0; k < (_detectors?.Count ?? 0); k++)
                client.SubscribeVariables(TraciCommand.SubscribeLaneAreaVariables, LaneAreaDetectors.Id(k), DetectorObserver.DetectorVariables);
            if (_observePending)
                foreach (string edge in _observer.IncomingEdges) client.SubscribeVariables(TraciCommand.SubscribeEdgeVariables, edge, DetectorObserver.EdgeVariables);
            foreach (var x in _intersections)
            {
                if (_detectors is null)
                    client.SubscribeContext(TraciCommand.SubscribeJunctionContext, x.JunctionId, TraciCommand.GetVehicle, x.ContextRange, DetectorObserver.VehicleVariables);
                else
                    foreach (var lane in x.IncomingLanes) client.SubscribeVariables(TraciCommand.SubscribeLaneVariables, lane.Id, DetectorObserver.LaneVariables);
                client.SubscribeVariables(TraciCommand.SubscribeTrafficLightVariables, x.TlsId, [TraciVariable.TrafficLightState], _observer);
                x.ClearReadings();
                x.CurrentGreen = 0;
                x.GreenSince = 0;
                if (!_options.StaticLights) SetSignal(client, x.TlsId, x.GreenStates[0]);
            }
        }
        catch (Exception e) when (e is TraciProtocolException or TraciCommandException)
        {
            throw Failure(e);
        }
        _time = 0;
        _decisions = 0;
        MaxGreenSwitches = 0;
        LastEpisode = null;
        Info.Metrics.Clear();
        WriteObservations(observations);
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        var sumo = _sumo ?? throw new InvalidOperationException("call Reset before Step (the episode has ended)");
        var config = Scenario.Config;
        try
        {
            double stepEnd = _time + config.StepLengthS;   // yellow is part of the step (as RESCO's MultiSignal.step), not added to it
            if (!_options.StaticLights) ApplyActions(action.Discrete, sumo.Client, config);
            Advance(stepEnd, collect: true);
        }
        catch (Exception e) when (e is TraciProtocolException or TraciCommandException)
        {
            throw Failure(e);
        }
        _decisions++;

        WriteObservations(observations);
        float totalQueue = 0, totalWait = 0;
        for (int i = 0; i < _intersections.Length; i++)
        {
            var x = _intersections[i];
            float queue = x.TotalQueue(), wait = x.TotalWait();
            float pending = _observePending ? (float)config.PendingWeight * x.TotalPending() : 0;   // waiting to get in: halted, losing 1 s per s
            rewards[i] = config.Reward switch
            {
                RewardKind.Queue => -(queue + pending),
                RewardKind.Wait => -wait,
                RewardKind.Pressure => -Math.Abs(x.Pressure()),
                _ => -(x.TotalDelay() + pending),
            };
            totalQueue += queue;
            totalWait += wait;
        }
        Info.Metrics["time"] = _time;
        Info.Metrics["max_green_switches"] = MaxGreenSwitches;
        Info.Metrics["queue"] = totalQueue;
        Info.Metrics["wait"] = totalWait;
        Info.Metrics["expected_vehicles"] = _observer.ExpectedVehicles;

        bool truncated = _decisions >= EpisodeLimit;
        if (truncated) FinishEpisode();
        return new StepResult(false, truncated);
    }

    /// <summary>Queues yellow for every agent that switches (if allowed by min green), runs the yellow, then queues the new greens.</summary>
    void ApplyActions(int[] actions, TraciClient client, SumoScenarioConfig config)
    {
        bool anySwitch = false;
        for (int i = 0; i < _intersections.Length; i++)
        {
            var x = _intersections[i];
            int next = actions[i];
            if ((uint)next >= (uint)x.ActionCount)
                throw new ArgumentOutOfRangeException(nameof(actions), $"agent {x.TlsId}: action {next} outside 0..{x.ActionCount - 1}");
            _phaseDuringStep[i] = null!;
            if (config.MaxGreenS > 0 && next == x.CurrentGreen && _time - x.GreenSince >= config.MaxGreenS - 1e-9)
            {
                next = x.LongestQueuedOtherPhase();   // the max-green timer ran out: the longest-queued other phase gets the green
                if (next != x.CurrentGreen) MaxGreenSwitches++;
            }
            bool wantsSwitch = next != x.CurrentGreen;
            bool greenLongEnough = _time - x.GreenSince >= config.MinGreenS - 1e-9;
            if (!wantsSwitch || !greenLongEnough) continue;
            _phaseDuringStep[i] = x.GreenStates[next];
            if (config.YellowS > 0) SetSignal(client, x.TlsId, x.YellowStates[x.CurrentGreen][next]);
            x.CurrentGreen = next;
            x.GreenSince = _time + config.YellowS;
            anySwitch = true;
        }
        if (!anySwitch) return;
        if (config.YellowS > 0) Advance(_time + config.YellowS, collect: false);
        for (int i = 0; i < _intersections.Length; i++)
            if (_phaseDuringStep[i] is { } green) SetSignal(client, _intersections[i].TlsId, green);
    }

    /// <summary>Tests watch every signal state the environment sets: (traffic light, state, simulation time).</summary>
    internal event Action<string, string, double>? SignalSet;

    void SetSignal(TraciClient client, string tlsId, string state)
    {
        client.QueueSetTrafficLightState(tlsId, state);
        SignalSet?.Invoke(tlsId, state, _time);
    }

    void Advance(double targetTime, bool collect)
    {
        _observer.Collect = collect;
        _observer.BeginStep();
        _sumo!.Client.SimulationStep(targetTime, _observer);
        _time = targetTime;
        if (_options.StaticLights)
            foreach (var x in _intersections)
                if (x.ShownGreen >= 0) { x.CurrentGreen = x.ShownGreen; x.GreenSince = x.ShownGreenSince; }
    }

    void WriteObservations(float[][] observations)
    {
        for (int i = 0; i < _intersections.Length; i++)
        {
            var x = _intersections[i];
            var o = observations[i];
            int lanes = x.IncomingLanes.Count;
            for (int l = 0; l < lanes; l++)
            {
                o[3 * l] = x.Queue[l];
                o[3 * l + 1] = x.Approaching[l];
                o[3 * l + 2] = x.Wait[l];
            }
            var phase = o.AsSpan(3 * lanes, x.GreenStates.Count);
            phase.Clear();
            phase[x.CurrentGreen] = 1;
            int at = 3 * lanes + x.GreenStates.Count;
            if (_observeArrivals)
            {
                for (int l = 0; l < lanes; l++) o[at + l] = x.Arriving[l];
                o[at + lanes] = (float)Math.Max(0, _time - x.GreenSince);
                at += lanes + 1;
            }
            if (_observeOutgoing)
            {
                x.OutgoingCount.AsSpan().CopyTo(o.AsSpan(at));
                at += x.OutgoingLanes.Count;
            }
            if (_observePending) x.Pending.AsSpan().CopyTo(o.AsSpan(at));
        }
    }

    /// <summary>Closes SUMO so it writes tripinfo.xml, moves the file into the run folder in one rename, reads the metrics.</summary>
    void FinishEpisode()
    {
        var sumo = _sumo!;
        int expected = _observer.ExpectedVehicles;
        int inNetwork;
        try
        {
            inNetwork = (int)sumo.Client.GetNumber(TraciCommand.GetVehicle, TraciVariable.IdCount, "");
            sumo.CloseAndWait(TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is TraciProtocolException or TraciCommandException)
        {
            throw Failure(e);
        }
        sumo.Dispose();
        _sumo = null;

        string produced = Path.Combine(WorkDirectory, "tripinfo.xml");
        using (var file = new FileStream(produced, FileMode.Open, FileAccess.ReadWrite)) file.Flush(flushToDisk: true);
        var metrics = TripInfoMetrics.Read(produced, _schedule, _time) with { VehiclesInNetwork = inNetwork };
        File.Move(produced, TripInfoPath, overwrite: true);
        Directory.Delete(WorkDirectory, recursive: true);
        LastEpisode = metrics;
        metrics.WriteTo(Info.Metrics);
        Info.Metrics["vehicles_not_yet_inserted"] = Math.Max(0, expected - inNetwork);
    }

    /// <summary>SUMO failed: kill it, drop the partial episode output, and say why in one line.</summary>
    SumoException Failure(Exception cause)
    {
        bool exited = _sumo is not null && (cause is TraciProtocolException ? _sumo.WaitForExit(TimeSpan.FromSeconds(2)) : _sumo.HasExited);
        string why = exited ? $"sumo exited during the episode at t={_time:0} s: {_sumo!.ExplainExit()}" : $"TraCI error at t={_time:0} s: {cause.Message}";
        StopSimulation();
        string kept = File.Exists(TripInfoPath) ? $"{TripInfoPath} still holds the last complete episode" : $"no tripinfo.xml written to {RunDirectory}";
        return new SumoException($"{Scenario.Name}: {why} ({kept})");
    }

    void StopSimulation()
    {
        _sumo?.Dispose();
        _sumo = null;
        if (Directory.Exists(WorkDirectory)) Directory.Delete(WorkDirectory, recursive: true);
    }

    public void Dispose()
    {
        StopSimulation();
        if (_ownsRunDirectory && Directory.Exists(RunDirectory)) Directory.Delete(RunDirectory, recursive: true);
    }
}
