using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MarlEdge.Runtime.Config;

/// <summary>One problem in a device config: the key path, its line, and what is wrong.</summary>
public sealed record ConfigError(string Key, int Line, string Message)
{
    public override string ToString() => $"{Key} (line {Line}): {Message}";
}

/// <summary>
/// The schema of a device config, as a tree of node kinds. <see cref="Validate"/> walks a parsed YAML document against it and
/// names every error by key path and line: missing required keys, unknown keys, wrong types, values out of range or not in an enum.
/// The schema is also printed by <c>marl-edge config schema</c>.
/// </summary>
public abstract record SchemaNode(string Doc)
{
    public abstract void Validate(YamlNode node, string key, List<ConfigError> errors);
    public abstract string Describe();

    protected static int LineOf(YamlNode node) => (int)node.Start.Line;

    protected static bool Scalar(YamlNode node, string key, List<ConfigError> errors, out string value)
    {
        value = "";
        if (node is YamlScalarNode s && s.Value is not null) { value = s.Value; return true; }
        errors.Add(new ConfigError(key, LineOf(node), node is YamlScalarNode ? "has no value" : $"must be a single value, not a {(node is YamlMappingNode ? "mapping" : "list")}"));
        return false;
    }
}

public sealed record Field(string Name, SchemaNode Schema, bool Required = false);

public sealed record ObjNode(string Doc, params Field[] Fields) : SchemaNode(Doc)
{
    public override void Validate(YamlNode node, string key, List<ConfigError> errors)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add(new ConfigError(key, LineOf(node), "must be a mapping of keys"));
            return;
        }
        var seen = new HashSet<string>();
        foreach (var (k, v) in map.Children)
        {
            string name = (k as YamlScalarNode)?.Value ?? "?";
            string path = key.Length == 0 ? name : $"{key}.{name}";
            var field = Fields.FirstOrDefault(f => f.Name == name);
            if (field is null)
            {
                errors.Add(new ConfigError(path, LineOf(k), $"unknown key (allowed here: {string.Join(", ", Fields.Select(f => f.Name))})"));
                continue;
            }
            seen.Add(name);
            field.Schema.Validate(v, path, errors);
        }
        foreach (var f in Fields.Where(f => f.Required && !seen.Contains(f.Name)))
            errors.Add(new ConfigError(key.Length == 0 ? f.Name : $"{key}.{f.Name}", LineOf(node), "is required but missing"));
    }

    public override string Describe() => "mapping";
}

public sealed record ListNode(string Doc, SchemaNode Item, int MinItems = 0) : SchemaNode(Doc)
{
    public override void Validate(YamlNode node, string key, List<ConfigError> errors)
    {
        if (node is not YamlSequenceNode seq)
        {
            errors.Add(new ConfigError(key, LineOf(node), "must be a list"));
            return;
        }
        if (seq.Children.Count < MinItems) errors.Add(new ConfigError(key, LineOf(node), $"needs at least {MinItems} item(s), has {seq.Children.Count}"));
        for (int i = 0; i < seq.Children.Count; i++) Item.Validate(seq.Children[i], $"{key}[{i}]", errors);
    }

    public override string Describe() => $"list of {Item.Describe()}";
}

public sealed record StrNode(string Doc, string[]? OneOf = null) : SchemaNode(Doc)
{
    public override void Validate(YamlNode node, string key, List<ConfigError> errors)
    {
        if (!Scalar(node, key, errors, out var v)) return;
        if (OneOf is not null && !OneOf.Contains(v))
            errors.Add(new ConfigError(key, LineOf(node), $"is '{v}', must be one of: {string.Join(", ", OneOf)}"));
        else if (v.Length == 0) errors.Add(new ConfigError(key, LineOf(node), "must not be empty"));
    }

    public override string Describe() => OneOf is null ? "string" : string.Join("|", OneOf);
}

public sealed record NumNode(string Doc, double Min = double.MinValue, double Max = double.MaxValue, bool Integer = false) : SchemaNode(Doc)
{
    public override void Validate(YamlNode node, string key, List<ConfigError> errors)
    {
        if (!Scalar(node, key, errors, out var v)) return;
        if (!TryParse(v, out double d) || (Integer && d != Math.Floor(d)))
        {
            errors.Add(new ConfigError(key, LineOf(node), $"is '{v}', must be {(Integer ? "an integer" : "a number")}"));
            return;
        }
        if (d < Min || d > Max)
            errors.Add(new ConfigError(key, LineOf(node), $"is {v}, must be in [{Fmt(Min)}, {Fmt(Max)}]"));
    }

    static string Fmt(double d) => d == double.MinValue ? "-inf" : d == double.MaxValue ? "inf" : d.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string v, out double d)
    {
        if (v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long hex))
        {
            d = hex;
            return true;
        }
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d);
    }

    public override string Describe() => Integer ? "integer" : "number";
}

public sealed record BoolNode(string Doc) : SchemaNode(Doc)
{
    public override void Validate(YamlNode node, string key, List<ConfigError> errors)
    {
        if (!Scalar(node, key, errors, out var v)) return;
        if (v is not ("true" or "false")) errors.Add(new ConfigError(key, LineOf(node), $"is '{v}', must be true or false"));
    }

    public override string Describe() => "bool";
}

/// <summary>The device config schema.</summary>
public static class DeviceSchema
{
    static readonly NumNode Pin = new("a GPIO line number on the chip", 0, 1023, Integer: true);
    static readonly NumNode Seconds = new("seconds", 0, 86400);

    public static readonly ObjNode Root = new("a MarlEdge device config",
        new Field("device", new ObjNode("which device this is",
            new Field("id", new StrNode("the device id; also the Sparkplug device name"), true),
            new Field("kind", new StrNode("what the device controls", ["traffic_signal", "base_station"]), true),
            new Field("board", new StrNode("the hardware; simulated runs the same code path on a simulated GPIO driver and I2C bus", ["raspberry_pi", "jetson", "simulated"]), true),
            new Field("gpio_chip", new NumNode("the gpiochip number (libgpiod)", 0, 16, Integer: true))), true),
        new Field("period_ms", new NumNode("the control period", 1, 600_000), true),
        new Field("bundle", new ObjNode("the policy bundle",
            new Field("path", new StrNode("the bundle folder (manifest.json, agent-<id>.onnx)"), true),
            new Field("agent", new StrNode("the agent id in the bundle this device runs"), true),
            new Field("trust_key", new StrNode("PEM public key the manifest must be signed with"))), true),
        new Field("io", new ObjNode("sensors bound to pins and buses",
            new Field("detectors", new ListNode("GPIO inputs counting detector pulses (inductive loops)", new ObjNode("a detector",
                new Field("name", new StrNode("detector name"), true),
                new Field("pin", Pin, true),
                new Field("edge", new StrNode("which edge counts as a pulse", ["rising", "falling"])),
                new Field("neighbours", new ListNode("detectors whose counts show this one should count too (safety.detector_faults; default: all others)", new StrNode("detector name")))))),
            new Field("spi", new ListNode("SPI sensors through Iot.Device.Bindings; sources spi.<name>.ch<k>", new ObjNode("an SPI sensor",
                new Field("name", new StrNode("sensor name"), true),
                new Field("type", new StrNode("the binding: mcp3008 (8-channel 10-bit ADC, raw 0..1023 per channel)", ["mcp3008"]), true),
                new Field("bus", new NumNode("SPI bus id", 0, 16, Integer: true), true),
                new Field("chip_select", new NumNode("chip select line", 0, 16, Integer: true), true),
                new Field("channels", new ListNode("single-ended channels read every period", new NumNode("channel", 0, 7, Integer: true), 1), true),
                new Field("clock_hz", new NumNode("SPI clock (MCP3008: up to 1.35 MHz at 2.7 V)", 10_000, 3_600_000, Integer: true))))),
            new Field("i2c", new ListNode("I2C sensors through Iot.Device.Bindings", new ObjNode("an I2C sensor",
                new Field("name", new StrNode("sensor name"), true),
                new Field("type", new StrNode("the binding", ["lm75", "ina219"]), true),
                new Field("bus", new NumNode("I2C bus id", 0, 16, Integer: true), true),
                new Field("address", new NumNode("7-bit address (0x48 style or decimal)", 3, 0x77, Integer: true), true)))),
            new Field("cpu_temperature", new StrNode("sysfs file with the CPU temperature in millidegrees")))),
        new Field("observation", new ListNode("the observation vector, feature by feature, in the bundle's order", new ObjNode("a feature",
            new Field("feature", new StrNode("the feature name exactly as the bundle's observation spec names it"), true),
            new Field("source", new StrNode("detector.<name>.count | signal.phase.<phase> | signal.green_elapsed | signal.in_clearance | action.current.<k> | i2c.<name>.<temperature|bus_voltage|current|power> | cpu.temperature | const.<value>"), true),
            new Field("scale", new NumNode("multiplied in")),
            new Field("offset", new NumNode("added after scaling"))), 1), true),
        new Field("signal", new ObjNode("traffic signal controller: signal groups, phases, conflicts, timings, fallback plan",
            new Field("active_low", new BoolNode("load-switch relays driven low-active")),
            new Field("groups", new ListNode("signal groups (movements), one red/yellow/green output each", new ObjNode("a signal group",
                new Field("name", new StrNode("group name"), true),
                new Field("red", Pin, true), new Field("yellow", Pin, true), new Field("green", Pin, true)), 1), true),
            new Field("phases", new ListNode("phases the policy picks from: action k = phase k", new ObjNode("a phase",
                new Field("name", new StrNode("phase name"), true),
                new Field("greens", new ListNode("groups green in this phase", new StrNode("group name"), 1), true)), 2), true),
            new Field("conflicts", new ListNode("the conflict matrix as pairs of groups that must never show green or yellow together",
                new ListNode("a pair", new StrNode("group name"), 2)), true),
            new Field("yellow_s", Seconds, true),
            new Field("all_red_s", Seconds, true),
            new Field("min_green_s", Seconds, true),
            new Field("max_green_s", Seconds, true),
            new Field("flash_period_ms", new NumNode("all-red flash half period", 100, 5000)),
            new Field("fallback_plan", new ListNode("the fixed-time plan run by the fallback controller", new ObjNode("a plan step",
                new Field("phase", new StrNode("phase name"), true),
                new Field("green_s", Seconds, true)), 1), true))),
        new Field("actuator", new ObjNode("generic discrete actuator (base station): each action sets a pattern of GPIO outputs",
            new Field("outputs", new ListNode("named GPIO outputs", new ObjNode("an output",
                new Field("name", new StrNode("output name"), true), new Field("pin", Pin, true)), 1), true),
            new Field("actions", new ListNode("action k: the outputs driven high", new ListNode("outputs high", new StrNode("output name"))), true),
            new Field("min_dwell_s", Seconds),
            new Field("safe_action", new NumNode("action index of the safe state", 0, 1000, Integer: true), true),
            new Field("fallback_action", new NumNode("action held by the fallback controller", 0, 1000, Integer: true), true))),
        new Field("safety", new ObjNode("fallback triggers and hand-back",
            new Field("max_consecutive_overruns", new NumNode("overruns in a row that hand control to the fallback", 1, 1000, Integer: true)),
            new Field("watchdog_ms", new NumNode("no completed period for this long: fail-safe outputs, then fallback", 10, 600_000)),
            new Field("healthy_period_s", new NumNode("fault-free time in fallback before the policy gets control back", 0, 86400)),
            new Field("safe_state", new StrNode("outputs on shutdown", ["all_red", "flash", "safe_action"])),
            new Field("detector_faults", new ObjNode("a failed detector loop is a sensor fault (the fallback takes over while it lasts)",
                new Field("no_count_s", new NumNode("stuck off: no pulse for this long while its neighbours counted", 0.1, 1e7)),
                new Field("neighbour_counts", new NumNode("stuck off only if the neighbours counted at least this many pulses meanwhile", 1, 1e9, Integer: true)),
                new Field("stuck_on_s", new NumNode("stuck on: the input held at its active level for this long", 0.1, 1e7)))))),
        new Field("learning", new ObjNode("on-device continual learning from the device's own experience",
            new Field("enabled", new BoolNode("learn at all")),
            new Field("reward", new StrNode("reward formula over sources, e.g. -(detector.n.count + detector.s.count) / 10")),
            new Field("gamma", new NumNode("discount", 0, 1)),
            new Field("lr", new NumNode("Adam learning rate", 0, 1)),
            new Field("batch_size", new NumNode("TD batch", 1, 4096, Integer: true)),
            new Field("replay_capacity", new NumNode("bounded replay, transitions", 16, 10_000_000, Integer: true)),
            new Field("target_sync_updates", new NumNode("updates between target network syncs", 1, 1_000_000, Integer: true)),
            new Field("updates_per_period", new NumNode("TD updates per control period while learning", 0, 1000, Integer: true)),
            new Field("schedule", new StrNode("when to learn: always, or alternate (MA2QL turns by wall clock)", ["always", "alternate"])),
            new Field("slot_s", new NumNode("alternate: slot length", 0.001, 1e7)),
            new Field("fleet_size", new NumNode("alternate: K devices", 1, 100000, Integer: true)),
            new Field("fleet_index", new NumNode("alternate: this device's k in 0..K-1", 0, 100000, Integer: true)),
            new Field("eval_periods", new NumNode("periods measured per baseline or trial window", 1, 10_000_000, Integer: true)),
            new Field("promotion_margin", new NumNode("a candidate must reach baseline return - margin", 0, 1e9)),
            new Field("keep_versions", new NumNode("learned versions kept on disk", 1, 1000, Integer: true)),
            new Field("dpo", new ObjNode("DPO on a categorical_actor bundle (lr is the actor's, batch_size the minibatch, gamma the discount)",
                new Field("rollout_steps", new NumNode("on-policy transitions per DPO iteration (bounded memory)", 2, 1_000_000, Integer: true)),
                new Field("epochs", new NumNode("passes over a rollout", 1, 100, Integer: true)),
                new Field("gae_lambda", new NumNode("GAE lambda (0: TD(0) advantages)", 0, 1)),
                new Field("beta1", new NumNode("initial weight of sqrt(KL)", 0.0001, 10000)),
                new Field("beta2", new NumNode("initial weight of KL", 0.0001, 10000)),
                new Field("target_kl", new NumNode("d_target: betas x omega above delta*d_target, / omega below d_target/delta", 1e-9, 10)),
                new Field("tolerance", new NumNode("delta (> 1)", 1.0001, 100)),
                new Field("beta_factor", new NumNode("omega (> 1)", 1.0001, 100)),
                new Field("agents", new NumNode("N of (1/N)*L (default: fleet_size)", 1, 100000, Integer: true)),
                new Field("critic_lr", new NumNode("Adam learning rate of the device's own critic", 0, 1)),
                new Field("critic_hidden", new NumNode("width of the critic's two hidden layers", 1, 4096, Integer: true)),
                new Field("critic_warmup", new NumNode("iterations that fit only the fresh critic", 0, 1000, Integer: true)))))),
        new Field("telemetry", new ObjNode("Sparkplug B telemetry over MQTT (never on the control path)",
            new Field("enabled", new BoolNode("publish telemetry")),
            new Field("broker", new StrNode("embedded (MQTTnet broker in this process, on loopback) or external", ["embedded", "external"])),
            new Field("host", new StrNode("external broker host")),
            new Field("port", new NumNode("broker port (also the embedded broker's)", 1, 65535, Integer: true)),
            new Field("client_id", new StrNode("MQTT client id")),
            new Field("username", new StrNode("MQTT user name")),
            new Field("password_file", new StrNode("file holding the MQTT password")),
            new Field("tls", new ObjNode("TLS to the broker",
                new Field("enabled", new BoolNode("use TLS")),
                new Field("ca_file", new StrNode("PEM CA the server certificate must chain to")),
                new Field("client_cert", new StrNode("PEM client certificate")),
                new Field("client_key", new StrNode("PEM client key")))),
            new Field("group", new StrNode("Sparkplug group id")),
            new Field("edge_node", new StrNode("Sparkplug edge node id")),
            new Field("interval_ms", new NumNode("DDATA interval", 10, 3_600_000)),
            new Field("queue_dir", new StrNode("store-and-forward folder")),
            new Field("queue_capacity", new NumNode("messages kept on disk; oldest dropped past it", 1, 10_000_000, Integer: true)))));

    static Field RootField(string name) => Root.Fields.First(f => f.Name == name);

    /// <summary>One agent of a multi-agent device (<c>agents[]</c>): everything of a single-agent config but the device and telemetry.</summary>
    public static readonly ObjNode Agent = new("one agent on this device: its own policy, sensors, outputs, safety layer and learner",
        new Field("id", new StrNode("the agent's id on this device; also its Sparkplug device name"), true),
        new Field("kind", new StrNode("what this agent controls (default: device.kind)", ["traffic_signal", "base_station"])),
        new Field("period_ms", new NumNode("this agent's control period (default: the top-level period_ms)", 1, 600_000)),
        RootField("bundle"), RootField("io"), RootField("observation"), RootField("signal"), RootField("actuator"), RootField("safety"),
        RootField("learning"));

    /// <summary>A device hosting several agents: device and telemetry are shared, everything else is per agent.</summary>
    public static readonly ObjNode Multi = new("a MarlEdge device config with several agents",
        RootField("device"),
        new Field("period_ms", new NumNode("the default control period of the agents", 1, 600_000)),
        new Field("agents", new ListNode("the agents this device hosts, each with its own control loop (they never communicate)", Agent, 1), true),
        RootField("telemetry"));

    /// <summary>Validates a parsed document: the multi-agent form when it has an <c>agents</c> list, the single-agent form otherwise.</summary>
    public static void Validate(YamlMappingNode root, List<ConfigError> errors) =>
        (IsMultiAgent(root) ? Multi : Root).Validate(root, "", errors);

    public static bool IsMultiAgent(YamlMappingNode root) => root.Children.ContainsKey(new YamlScalarNode("agents"));

    /// <summary>Prints the schema as an indented key list with types and docs.</summary>
    public static string Describe()
    {
        var sb = new System.Text.StringBuilder();
        void Walk(SchemaNode node, string indent)
        {
            var obj = node as ObjNode ?? (node as ListNode)?.Item as ObjNode;
            if (obj is null) return;
            foreach (var f in obj.Fields)
            {
                sb.AppendLine($"{indent}{f.Name}: {f.Schema.Describe()}{(f.Required ? " (required)" : "")} - {f.Schema.Doc}");
                Walk(f.Schema, indent + "  ");
            }
        }
        Walk(Root, "");
        sb.AppendLine("agents: list (instead of bundle, io, observation, signal, actuator, safety and learning at the top) - several agents on one device; each item:");
        foreach (var f in Agent.Fields.Take(3)) sb.AppendLine($"  {f.Name}: {f.Schema.Describe()}{(f.Required ? " (required)" : "")} - {f.Schema.Doc}");
        sb.AppendLine("  bundle, io, observation, signal, actuator, safety, learning: as above, for this agent");
        return sb.ToString();
    }

    /// <summary>Parses YAML text; a syntax error becomes one <see cref="ConfigError"/> at its line.</summary>
    public static YamlMappingNode? Parse(string text, List<ConfigError> errors)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                errors.Add(new ConfigError("(document)", 1, "the config must be a YAML mapping of keys"));
                return null;
            }
            return root;
        }
        catch (YamlException e)
        {
            errors.Add(new ConfigError("(syntax)", (int)e.Start.Line, e.InnerException?.Message ?? e.Message));
            return null;
        }
    }
}
