using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MarlEdge.Trainer.Sumo;

/// <summary>What an agent's reward measures on its own incoming lanes, within the detector range.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardKind>))]   // by name in config.json too, not as a number
public enum RewardKind
{
    /// <summary>Minus the number of halting vehicles (speed below 0.1 m/s).</summary>
    Queue,
    /// <summary>Minus the summed waiting time of those vehicles, in seconds.</summary>
    Wait,
    /// <summary>
    /// Minus the rate at which the vehicles in range lose time, Σ (1 − speed / speed limit): SUMO's timeLoss (RESCO's
    /// delay) accrues at this rate, so the reward is the local share of the evaluated metric. Halting vehicles count 1.
    /// </summary>
    Delay,
    /// <summary>
    /// Minus the absolute pressure of the intersection, |Σ over its movements (vehicles in range on the incoming lane −
    /// those in range on the outgoing lane)| (PressLight, Wei et al. 2019): only the intersection's own lanes. Max-pressure
    /// control is greedy on the same quantity.
    /// </summary>
    Pressure,
}

/// <summary>How an intersection senses its lanes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SensingKind>))]
public enum SensingKind
{
    /// <summary>
    /// Lane-area detectors (SUMO E2, like a camera or a chain of loops) over the last detector_range_m of each
    /// incoming lane and the first of each outgoing lane give queue and approaching counts; the lane's waiting
    /// time is SUMO's whole-lane sum. Cheap for SUMO even in heavy congestion.
    /// </summary>
    Detectors,
    /// <summary>
    /// Every vehicle near the junction (a TraCI context subscription): exact in-range counts and waiting time, but
    /// SUMO's cost grows with the vehicles in range (3-5x slower on congested arterial4x4).
    /// </summary>
    Vehicles,
}

/// <summary>
/// Timing, sensing and reward settings of a scenario. The defaults are RESCO's (step 10 s, yellow 3 s, one-hour
/// episodes). Each scenario may have a JSON file in trainer/Sumo/Scenarios named after its folder or net, and any
/// value can be overridden in the spec: <c>sumo:DIR,episode_s=600,reward=wait</c>.
/// </summary>
public sealed record SumoScenarioConfig
{
    public string Description { get; init; } = "";
    /// <summary>Route file to use when a folder holds several (file name without .rou.xml).</summary>
    public string? Route { get; init; }
    /// <summary>Seconds between decisions.</summary>
    public double StepLengthS { get; init; } = 10;
    /// <summary>Yellow inserted when an agent switches phase; it is part of the step.</summary>
    public double YellowS { get; init; } = 3;
    /// <summary>A phase stays green at least this long; a switch asked for earlier is ignored.</summary>
    public double MinGreenS { get; init; } = 5;
    /// <summary>
    /// A real controller's max-green timer (0, the default: none, as RESCO runs). At the first decision at which the
    /// current green has been shown at least this long, an agent that asks to keep it is switched to its other green
    /// phase with the most halting vehicles on its incoming lanes instead (the lowest phase index on ties). It binds every
    /// controller that chooses phases through the environment, learners and baselines alike (not `static`).
    /// </summary>
    public double MaxGreenS { get; init; }
    public double EpisodeS { get; init; } = 3600;
    /// <summary>Vehicles count for an agent only this close (along the lane) to its stop line.</summary>
    public double DetectorRangeM { get; init; } = 200;
    public RewardKind Reward { get; init; } = RewardKind.Queue;
    public SensingKind Sensing { get; init; } = SensingKind.Detectors;
    /// <summary>Adds lane:ID:arriving (vehicles reaching the stop line within one step) and phase:green_s to the observation (vehicles sensing only).</summary>
    public bool ObserveArrivals { get; init; }
    /// <summary>Adds lane:ID:outgoing, the vehicles within range on each outgoing lane (what the pressure reward and max-pressure use), to the observation.</summary>
    public bool ObserveOutgoing { get; init; }
    /// <summary>
    /// Adds edge:ID:pending per incoming edge to the observation: the vehicles SUMO could not yet insert on that edge
    /// because its queue reaches back to the edge's start (SUMO's edge pending vehicles). It is the intersection's own
    /// approach queue beyond the modelled net, what an advance detector upstream would count. The queue and delay rewards
    /// then count each such vehicle as pending_weight halting vehicles (it accrues depart delay at 1 s/s, which RESCO's delay charges).
    /// </summary>
    public bool ObservePending { get; init; }
    /// <summary>With observe_pending: what one pending vehicle counts in the queue and delay rewards (1: as a halting vehicle; 0: observed only).</summary>
    public double PendingWeight { get; init; } = 1;
    public double Gamma { get; init; } = 0.99;
    /// <summary>Green time of each phase in the `fixed` baseline's cycle.</summary>
    public double FixedGreenS { get; init; } = 20;
    /// <summary>SUMO's --time-to-teleport: a vehicle stuck this long is teleported (-1: never). SUMO's default is 300.</summary>
    public double TimeToTeleportS { get; init; } = 300;
    /// <summary>Learners see lane:*:queue multiplied by this (deep learners need inputs near 1; baselines read raw counts).</summary>
    public double ObsScaleQueue { get; init; } = 0.1;
    /// <summary>Learners see lane:*:approaching multiplied by this.</summary>
    public double ObsScaleApproaching { get; init; } = 0.1;
    /// <summary>Learners see lane:*:wait (seconds) multiplied by this.</summary>
    public double ObsScaleWait { get; init; } = 0.01;
    /// <summary>Learners see edge:*:pending multiplied by this (hundreds of vehicles can wait at a starved entry).</summary>
    public double ObsScalePending { get; init; } = 0.02;
    /// <summary>Learners receive the reward multiplied by this (the environment's own reward stays in vehicles or seconds).</summary>
    public double RewardScale { get; init; } = 0.1;

    public int DecisionsPerEpisode => (int)Math.Ceiling(EpisodeS / StepLengthS - 1e-9);

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        WriteIndented = true,
    };

    public static SumoScenarioConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SumoScenarioConfig>(File.ReadAllText(path), Json)
                ?? throw new SumoException($"scenario config {path} is empty");
        }
        catch (JsonException e)
        {
            throw new SumoException($"scenario config {path}: {e.Message.Split('\n')[0]}");
        }
        catch (IOException e)
        {
            throw new SumoException($"cannot read scenario config {path}: {e.Message}");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Applies one spec override such as <c>episode_s=600</c>; false if the key is unknown.</summary>
    public bool TryOverride(string key, string value, out SumoScenarioConfig updated)
    {
        updated = key switch
        {
            "route" => this with { Route = value },
            "step_length_s" => this with { StepLengthS = Positive(key, value) },
            "yellow_s" => this with { YellowS = NonNegative(key, value) },
            "min_green_s" => this with { MinGreenS = NonNegative(key, value) },
            "max_green_s" => this with { MaxGreenS = NonNegative(key, value) },
            "episode_s" => this with { EpisodeS = Positive(key, value) },
            "detector_range_m" => this with { DetectorRangeM = Positive(key, value) },
            "reward" => this with { Reward = ParseReward(value) },
            "sensing" => this with { Sensing = ParseSensing(value) },
            "observe_arrivals" => this with { ObserveArrivals = Flag(key, value) },
            "observe_outgoing" => this with { ObserveOutgoing = Flag(key, value) },
            "observe_pending" => this with { ObservePending = Flag(key, value) },
            "pending_weight" => this with { PendingWeight = NonNegative(key, value) },
            "gamma" => this with { Gamma = NonNegative(key, value) },
            "fixed_green_s" => this with { FixedGreenS = Positive(key, value) },
            "time_to_teleport_s" => this with { TimeToTeleportS = Parse(key, value) },
            "obs_scale_queue" => this with { ObsScaleQueue = Positive(key, value) },
            "obs_scale_approaching" => this with { ObsScaleApproaching = Positive(key, value) },
            "obs_scale_wait" => this with { ObsScaleWait = Positive(key, value) },
            "obs_scale_pending" => this with { ObsScalePending = Positive(key, value) },
            "reward_scale" => this with { RewardScale = Positive(key, value) },
            _ => null!,
        };
        return updated is not null;
    }

    /// <summary>Refuses settings that cannot work, naming the first problem.</summary>
    public void Validate(string source)
    {
        if (StepLengthS <= 0) throw new SumoException($"{source}: step_length_s must be positive");
        if (YellowS < 0 || YellowS >= StepLengthS) throw new SumoException($"{source}: yellow_s must be in [0, step_length_s), got {YellowS}");
        if (MaxGreenS < 0 || (MaxGreenS > 0 && MaxGreenS < MinGreenS))
            throw new SumoException($"{source}: max_green_s must be 0 (off) or at least min_green_s ({MinGreenS}), got {MaxGreenS}");
        if (EpisodeS < StepLengthS) throw new SumoException($"{source}: episode_s must be at least step_length_s");
        if (DetectorRangeM <= 0) throw new SumoException($"{source}: detector_range_m must be positive");
        if (Gamma is < 0 or > 1) throw new SumoException($"{source}: gamma must be in [0, 1]");
        if (!(ObsScaleQueue > 0 && ObsScaleApproaching > 0 && ObsScaleWait > 0 && ObsScalePending > 0 && RewardScale > 0))
            throw new SumoException($"{source}: obs_scale_* and reward_scale must be positive");
    }

    static RewardKind ParseReward(string value) => value switch
    {
        "queue" => RewardKind.Queue,
        "wait" => RewardKind.Wait,
        "delay" => RewardKind.Delay,
        "pressure" => RewardKind.Pressure,
        _ => throw new SumoException($"reward must be 'queue', 'wait', 'delay' or 'pressure', got '{value}'"),
    };

    static SensingKind ParseSensing(string value) => value switch
    {
        "detectors" => SensingKind.Detectors,
        "vehicles" => SensingKind.Vehicles,
        _ => throw new SumoException($"sensing must be 'detectors' or 'vehicles', got '{value}'"),
    };

    static bool Flag(string key, string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw new SumoException($"'{key}' must be true or false, got '{value}'"),
    };

    static double Parse(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new SumoException($"'{key}' must be a number, got '{value}'");

    static double Positive(string key, string value)
    {
        double v = Parse(key, value);
        return v > 0 ? v : throw new SumoException($"'{key}' must be positive, got '{value}'");
    }

    static double NonNegative(string key, string value)
    {
        double v = Parse(key, value);
        return v >= 0 ? v : throw new SumoException($"'{key}' must not be negative, got '{value}'");
    }
}
