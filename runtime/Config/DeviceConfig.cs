using System.Globalization;
using MarlEdge.Shared.Learning;
using YamlDotNet.RepresentationModel;

namespace MarlEdge.Runtime.Config;

public sealed record DetectorConfig(string Name, int Pin, bool RisingEdge)
{
    /// <summary>The detectors whose counts show this one should be counting too (stuck-detector check); null: every other detector.</summary>
    public IReadOnlyList<string>? Neighbours { get; init; }
}

/// <summary><c>safety.detector_faults</c>: a failed inductive loop as a sensor fault.</summary>
public sealed class DetectorFaultConfig
{
    /// <summary>No pulse for this long while the neighbours counted at least <see cref="NeighbourCounts"/>: stuck off. Null: not checked.</summary>
    public double? NoCountS { get; init; }
    public long NeighbourCounts { get; init; } = 10;
    /// <summary>The input held at its active level for this long: stuck on. Null: not checked.</summary>
    public double? StuckOnS { get; init; }
}
public sealed record I2cSensorConfig(string Name, string Type, int Bus, int Address);
/// <summary>An SPI sensor (<c>io.spi[]</c>): an MCP3008 ADC on a bus and chip select, reading the listed channels.</summary>
public sealed record SpiSensorConfig(string Name, string Type, int Bus, int ChipSelect, IReadOnlyList<int> Channels, int ClockHz);
public sealed record FeatureConfig(string Feature, string Source, float Scale, float Offset, int Line);
public sealed record SignalGroupConfig(string Name, int Red, int Yellow, int Green);
public sealed record PhaseConfig(string Name, IReadOnlyList<string> Greens);
public sealed record PlanStep(string Phase, double GreenS);
public sealed record OutputConfig(string Name, int Pin);

public sealed class SignalConfig
{
    public required IReadOnlyList<SignalGroupConfig> Groups { get; init; }
    public required IReadOnlyList<PhaseConfig> Phases { get; init; }
    public required IReadOnlyList<(string A, string B)> Conflicts { get; init; }
    public double YellowS { get; init; }
    public double AllRedS { get; init; }
    public double MinGreenS { get; init; }
    public double MaxGreenS { get; init; }
    public double FlashPeriodMs { get; init; } = 500;
    public bool ActiveLow { get; init; }
    public required IReadOnlyList<PlanStep> FallbackPlan { get; init; }
}

public sealed class ActuatorConfig
{
    public required IReadOnlyList<OutputConfig> Outputs { get; init; }
    public required IReadOnlyList<IReadOnlyList<string>> Actions { get; init; }
    public double MinDwellS { get; init; }
    public int SafeAction { get; init; }
    public int FallbackAction { get; init; }
}

public sealed class SafetyConfig
{
    public int MaxConsecutiveOverruns { get; init; } = 3;
    public double WatchdogMs { get; init; } = 2000;
    public double HealthyPeriodS { get; init; } = 60;
    public string SafeState { get; init; } = "all_red";
    public DetectorFaultConfig? DetectorFaults { get; init; }
}

public sealed class LearningConfig
{
    public bool Enabled { get; init; }
    public string Reward { get; init; } = "0";
    public float Gamma { get; init; } = 0.95f;
    public float Lr { get; init; } = 1e-4f;
    public int BatchSize { get; init; } = 32;
    public int ReplayCapacity { get; init; } = 10_000;
    public int TargetSyncUpdates { get; init; } = 200;
    public int UpdatesPerPeriod { get; init; } = 1;
    public string Schedule { get; init; } = "always";
    public double SlotS { get; init; } = 600;
    public int FleetSize { get; init; } = 1;
    public int FleetIndex { get; init; }
    public int EvalPeriods { get; init; } = 300;
    public double PromotionMargin { get; init; }
    public int KeepVersions { get; init; } = 3;
    public DpoConfig Dpo { get; init; } = new();
}

/// <summary><c>learning.dpo</c>: DPO on a categorical-actor bundle. Its defaults are <see cref="DpoSettings"/>'s (the trainer's deep DPO).</summary>
public sealed class DpoConfig
{
    static readonly DpoSettings Defaults = new();
    public int RolloutSteps { get; init; } = 256;
    public int Epochs { get; init; } = Defaults.Epochs;
    public float GaeLambda { get; init; } = Defaults.GaeLambda;
    public float Beta1 { get; init; } = Defaults.Beta1;
    public float Beta2 { get; init; } = Defaults.Beta2;
    public float TargetKl { get; init; } = Defaults.TargetKl;
    public float Tolerance { get; init; } = Defaults.Tolerance;
    public float BetaFactor { get; init; } = Defaults.BetaFactor;
    /// <summary>N of (1/N)·L; null: learning.fleet_size.</summary>
    public int? Agents { get; init; }
    public float CriticLr { get; init; } = Defaults.CriticLr;
    public int CriticHidden { get; init; } = Defaults.CriticHidden;
    public int CriticWarmup { get; init; } = Defaults.CriticWarmupIterations;
}

public sealed class TlsConfig
{
    public bool Enabled { get; init; }
    public string? CaFile { get; init; }
    public string? ClientCert { get; init; }
    public string? ClientKey { get; init; }
}

public sealed class TelemetryConfig
{
    public bool Enabled { get; init; } = true;
    public string Broker { get; init; } = "embedded";
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    public string? ClientId { get; init; }
    public string? Username { get; init; }
    public string? PasswordFile { get; init; }
    public TlsConfig Tls { get; init; } = new();
    public string Group { get; init; } = "marledge";
    public string? EdgeNode { get; init; }
    public double IntervalMs { get; init; } = 5000;
    public string? QueueDir { get; init; }
    public int QueueCapacity { get; init; } = 10_000;
}

/// <summary>A validated device config (see <see cref="DeviceSchema"/> and <c>firmware-config/*.yaml</c>).</summary>
public sealed class DeviceConfig
{
    public required string SourcePath { get; init; }
    /// <summary>The agent's Sparkplug device name: device.id in the single-agent form, agents[k].id in the multi-agent one.</summary>
    public required string DeviceId { get; init; }
    /// <summary>device.id: the controller that hosts the agents (the same as <see cref="DeviceId"/> for a single agent).</summary>
    public string HostId { get; init; } = "";
    /// <summary>k of agents[k] in a multi-agent config; 0 for a single agent.</summary>
    public int AgentIndex { get; init; }
    public required string Kind { get; init; }
    public required string Board { get; init; }
    public int GpioChip { get; init; }
    public double PeriodMs { get; init; }
    public required string BundlePath { get; init; }
    public required string AgentId { get; init; }
    public string? TrustKey { get; init; }
    public IReadOnlyList<DetectorConfig> Detectors { get; init; } = [];
    public IReadOnlyList<I2cSensorConfig> I2c { get; init; } = [];
    public IReadOnlyList<SpiSensorConfig> Spi { get; init; } = [];
    public string? CpuTemperatureFile { get; init; }
    public required IReadOnlyList<FeatureConfig> Observation { get; init; }
    public SignalConfig? Signal { get; init; }
    public ActuatorConfig? Actuator { get; init; }
    public SafetyConfig Safety { get; init; } = new();
    public LearningConfig Learning { get; init; } = new();
    public TelemetryConfig Telemetry { get; init; } = new();
    public bool IsSimulated => Board == "simulated";

    /// <summary>Reads, validates (schema then cross-references) and binds a single-agent config file; all errors are thrown together.</summary>
    public static DeviceConfig Load(string path)
    {
        var agents = LoadAgents(path);
        if (agents.Count != 1)
            throw new ConfigException([new ConfigError("agents", 0, $"'{path}' lists {agents.Count} agents; this command takes a single-agent config")]);
        return agents[0];
    }

    /// <summary>Reads, validates and binds a device config: one <see cref="DeviceConfig"/> per agent (one for the single-agent form).</summary>
    public static IReadOnlyList<DeviceConfig> LoadAgents(string path)
    {
        if (!File.Exists(path)) throw new ConfigException([new ConfigError("(file)", 0, $"'{path}' does not exist")]);
        var (agents, errors) = CheckAgents(File.ReadAllText(path), path);
        if (agents is null || errors.Count > 0) throw new ConfigException(errors);
        return agents;
    }

    /// <summary>The single-agent check (the first agent of a multi-agent config).</summary>
    public static (DeviceConfig? Config, List<ConfigError> Errors) Check(string text, string path)
    {
        var (agents, errors) = CheckAgents(text, path);
        return (agents?[0], errors);
    }

    public static (IReadOnlyList<DeviceConfig>? Agents, List<ConfigError> Errors) CheckAgents(string text, string path)
    {
        var errors = new List<ConfigError>();
        var root = DeviceSchema.Parse(text, errors);
        if (root is null) return (null, errors);
        DeviceSchema.Validate(root, errors);
        if (errors.Count > 0) return (null, errors);
        if (!DeviceSchema.IsMultiAgent(root))
        {
            var config = Bind(root, path, null, null, 0);
            ConfigSemantics.Check(config, root, errors);
            return ([config], errors);
        }
        var agents = new List<DeviceConfig>();
        var agentNodes = (YamlSequenceNode)root.Children[new YamlScalarNode("agents")];
        var shared = new HashSet<(string, string)>();
        for (int k = 0; k < agentNodes.Children.Count; k++)
        {
            var agentNode = (YamlMappingNode)agentNodes.Children[k];
            var a = new Y(agentNode);
            if (a.Node("period_ms") is null && new Y(root).Node("period_ms") is null)
            {
                errors.Add(new ConfigError($"agents[{k}].period_ms", a.Line, "is required (or a top-level period_ms for every agent)"));
                continue;
            }
            var view = AgentView(root, agentNode);
            var config = Bind(view, path, a.Str("id"), a.Str("kind"), k);
            var own = new List<ConfigError>();
            ConfigSemantics.Check(config, view, own);
            foreach (var e in own)
            {
                string first = e.Key.Split('.', '[')[0];
                bool isShared = first is "device" or "telemetry" || (first == "period_ms" && a.Node("period_ms") is null);
                string key = isShared ? e.Key : $"agents[{k}].{e.Key}";
                if (isShared && !shared.Add((e.Key, e.Message))) continue;
                errors.Add(e with { Key = key, Line = ConfigSemantics.LineOf(root, key) });
            }
            agents.Add(config);
        }
        if (errors.Count == 0) AgentSetChecks.Check(agents, root, errors);
        return (agents, errors);
    }

    /// <summary>
    /// One agent seen as a single-agent document: the shared device, period and telemetry, and the agent's own sections. The nodes are
    /// the original ones, so lines stay right.
    /// </summary>
    static YamlMappingNode AgentView(YamlMappingNode root, YamlMappingNode agent)
    {
        var view = new YamlMappingNode();
        foreach (var (k, v) in root.Children)
            if (((YamlScalarNode)k).Value is "device" or "period_ms" or "telemetry") view.Children[k] = v;
        foreach (var (k, v) in agent.Children)
            if (((YamlScalarNode)k).Value is not ("id" or "kind")) view.Children[k] = v;
        return view;
    }

    /// <summary><c>learning.dpo</c>; every key left out keeps <see cref="DpoConfig"/>'s default.</summary>
    static DpoConfig ParseDpo(Y dpo)
    {
        var d = new DpoConfig();
        return new DpoConfig
        {
            RolloutSteps = dpo.Int("rollout_steps", d.RolloutSteps), Epochs = dpo.Int("epochs", d.Epochs),
            GaeLambda = (float)dpo.Num("gae_lambda", d.GaeLambda), Beta1 = (float)dpo.Num("beta1", d.Beta1), Beta2 = (float)dpo.Num("beta2", d.Beta2),
            TargetKl = (float)dpo.Num("target_kl", d.TargetKl), Tolerance = (float)dpo.Num("tolerance", d.Tolerance),
            BetaFactor = (float)dpo.Num("beta_factor", d.BetaFactor), Agents = dpo.Str("agents") is null ? null : dpo.Int("agents", 1),
            CriticLr = (float)dpo.Num("critic_lr", d.CriticLr), CriticHidden = dpo.Int("critic_hidden", d.CriticHidden),
            CriticWarmup = dpo.Int("critic_warmup", d.CriticWarmup),
        };
    }

    static DeviceConfig Bind(YamlMappingNode root, string path, string? agentId, string? agentKind, int agentIndex)
    {
        var y = new Y(root);
        var dev = y.Obj("device")!;
        var bundle = y.Obj("bundle")!;
        var io = y.Obj("io");
        var sig = y.Obj("signal");
        var act = y.Obj("actuator");
        var safety = y.Obj("safety");
        var learn = y.Obj("learning");
        var tel = y.Obj("telemetry");
        var tls = tel?.Obj("tls");
        string id = dev.Str("id")!;
        return new DeviceConfig
        {
            SourcePath = Path.GetFullPath(path),
            DeviceId = agentId ?? id,
            HostId = id,
            AgentIndex = agentIndex,
            Kind = agentKind ?? dev.Str("kind")!,
            Board = dev.Str("board")!,
            GpioChip = dev.Int("gpio_chip", 0),
            PeriodMs = y.Num("period_ms", 1000),
            BundlePath = ResolvePath(path, bundle.Str("path")!),
            AgentId = bundle.Str("agent")!,
            TrustKey = bundle.Str("trust_key") is { } tk ? ResolvePath(path, tk) : null,
            Detectors = io?.List("detectors").Select(d => new DetectorConfig(d.Str("name")!, d.Int("pin", 0), d.Str("edge") != "falling")
                { Neighbours = d.Node("neighbours") is null ? null : d.Strings("neighbours") }).ToArray() ?? [],
            I2c = io?.List("i2c").Select(d => new I2cSensorConfig(d.Str("name")!, d.Str("type")!, d.Int("bus", 1), d.Int("address", 0))).ToArray() ?? [],
            Spi = io?.List("spi").Select(d => new SpiSensorConfig(d.Str("name")!, d.Str("type")!, d.Int("bus", 0), d.Int("chip_select", 0),
                d.Strings("channels").Select(c => (int)double.Parse(c, CultureInfo.InvariantCulture)).ToArray(), d.Int("clock_hz", 1_000_000))).ToArray() ?? [],
            CpuTemperatureFile = io?.Str("cpu_temperature"),
            Observation = y.List("observation").Select(f => new FeatureConfig(f.Str("feature")!, f.Str("source")!, (float)f.Num("scale", 1), (float)f.Num("offset", 0), f.Line)).ToArray(),
            Signal = sig is null ? null : new SignalConfig
            {
                ActiveLow = sig.Bool("active_low", false),
                Groups = sig.List("groups").Select(g => new SignalGroupConfig(g.Str("name")!, g.Int("red", 0), g.Int("yellow", 0), g.Int("green", 0))).ToArray(),
                Phases = sig.List("phases").Select(p => new PhaseConfig(p.Str("name")!, p.Strings("greens"))).ToArray(),
                Conflicts = sig.Seq("conflicts").Select(pair => ((string)((YamlScalarNode)pair[0]).Value!, (string)((YamlScalarNode)pair[1]).Value!)).ToArray(),
                YellowS = sig.Num("yellow_s", 3), AllRedS = sig.Num("all_red_s", 1), MinGreenS = sig.Num("min_green_s", 5), MaxGreenS = sig.Num("max_green_s", 60),
                FlashPeriodMs = sig.Num("flash_period_ms", 500),
                FallbackPlan = sig.List("fallback_plan").Select(s => new PlanStep(s.Str("phase")!, s.Num("green_s", 10))).ToArray(),
            },
            Actuator = act is null ? null : new ActuatorConfig
            {
                Outputs = act.List("outputs").Select(o => new OutputConfig(o.Str("name")!, o.Int("pin", 0))).ToArray(),
                Actions = act.Seq("actions").Select(a => (IReadOnlyList<string>)((YamlSequenceNode)a).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray()).ToArray(),
                MinDwellS = act.Num("min_dwell_s", 0), SafeAction = act.Int("safe_action", 0), FallbackAction = act.Int("fallback_action", 0),
            },
            Safety = safety is null ? new() : new SafetyConfig
            {
                MaxConsecutiveOverruns = safety.Int("max_consecutive_overruns", 3), WatchdogMs = safety.Num("watchdog_ms", 2000),
                HealthyPeriodS = safety.Num("healthy_period_s", 60), SafeState = safety.Str("safe_state") ?? "all_red",
                DetectorFaults = safety.Obj("detector_faults") is not { } df ? null : new DetectorFaultConfig
                {
                    NoCountS = df.Str("no_count_s") is null ? null : df.Num("no_count_s", 0), NeighbourCounts = (long)df.Num("neighbour_counts", 10),
                    StuckOnS = df.Str("stuck_on_s") is null ? null : df.Num("stuck_on_s", 0),
                },
            },
            Learning = learn is null ? new() : new LearningConfig
            {
                Enabled = learn.Bool("enabled", false), Reward = learn.Str("reward") ?? "0", Gamma = (float)learn.Num("gamma", 0.95),
                Lr = (float)learn.Num("lr", 1e-4), BatchSize = learn.Int("batch_size", 32), ReplayCapacity = learn.Int("replay_capacity", 10_000),
                TargetSyncUpdates = learn.Int("target_sync_updates", 200), UpdatesPerPeriod = learn.Int("updates_per_period", 1),
                Schedule = learn.Str("schedule") ?? "always", SlotS = learn.Num("slot_s", 600), FleetSize = learn.Int("fleet_size", 1),
                FleetIndex = learn.Int("fleet_index", 0), EvalPeriods = learn.Int("eval_periods", 300), PromotionMargin = learn.Num("promotion_margin", 0),
                KeepVersions = learn.Int("keep_versions", 3),
                Dpo = learn.Obj("dpo") is not { } dpo ? new() : ParseDpo(dpo),
            },
            Telemetry = tel is null ? new() { EdgeNode = id + "-node" } : new TelemetryConfig
            {
                Enabled = tel.Bool("enabled", true), Broker = tel.Str("broker") ?? "embedded", Host = tel.Str("host") ?? "127.0.0.1",
                Port = tel.Int("port", 1883), ClientId = tel.Str("client_id"), Username = tel.Str("username"),
                PasswordFile = tel.Str("password_file") is { } pf ? ResolvePath(path, pf) : null,
                Tls = tls is null ? new() : new TlsConfig
                {
                    Enabled = tls.Bool("enabled", false),
                    CaFile = tls.Str("ca_file") is { } ca ? ResolvePath(path, ca) : null,
                    ClientCert = tls.Str("client_cert") is { } cc ? ResolvePath(path, cc) : null,
                    ClientKey = tls.Str("client_key") is { } ck ? ResolvePath(path, ck) : null,
                },
                Group = tel.Str("group") ?? "marledge", EdgeNode = tel.Str("edge_node") ?? id + "-node",
                IntervalMs = tel.Num("interval_ms", 5000), QueueDir = tel.Str("queue_dir") is { } qd ? ResolvePath(path, qd) : null,
                QueueCapacity = tel.Int("queue_capacity", 10_000),
            },
        };
    }

    /// <summary>Relative paths in a config are relative to the config file's folder.</summary>
    static string ResolvePath(string configPath, string p) =>
        Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, p));
}

/// <summary>A read-only view of one YAML mapping, already validated against the schema.</summary>
internal sealed class Y(YamlMappingNode map)
{
    public int Line => (int)map.Start.Line;
    YamlNode? Get(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    public YamlNode? Node(string key) => Get(key);
    public string? Str(string key) => (Get(key) as YamlScalarNode)?.Value;
    public double Num(string key, double dflt) => Str(key) is { } s && NumNode.TryParse(s, out double d) ? d : dflt;
    public int Int(string key, int dflt) => (int)Num(key, dflt);
    public bool Bool(string key, bool dflt) => Str(key) is { } s ? s == "true" : dflt;
    public Y? Obj(string key) => Get(key) is YamlMappingNode m ? new Y(m) : null;
    public IEnumerable<Y> List(string key) => Get(key) is YamlSequenceNode s ? s.Children.OfType<YamlMappingNode>().Select(m => new Y(m)) : [];
    public IReadOnlyList<YamlNode> Seq(string key) => Get(key) is YamlSequenceNode s ? s.Children.ToArray() : [];
    public IReadOnlyList<string> Strings(string key) => Seq(key).OfType<YamlScalarNode>().Select(n => n.Value!).ToArray();
}

public sealed class ConfigException(IReadOnlyList<ConfigError> errors) : Exception(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} config errors, first: {errors[0]}")
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}

internal static class Inv
{
    public static string S(double d) => d.ToString(CultureInfo.InvariantCulture);
}
