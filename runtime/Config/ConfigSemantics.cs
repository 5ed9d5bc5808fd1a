using MarlEdge.Runtime.Control;
using YamlDotNet.RepresentationModel;

namespace MarlEdge.Runtime.Config;

/// <summary>
/// Checks that need more than one key: names that refer to other names (phases → groups, conflicts → groups, the plan → phases,
/// observation and reward → sources), unique names and pins, a phase that would show two conflicting groups green together,
/// timings that contradict each other, and the sections a device kind needs.
/// </summary>
static class ConfigSemantics
{
    public static void Check(DeviceConfig c, YamlMappingNode root, List<ConfigError> errors)
    {
        void Err(string key, string message) => errors.Add(new ConfigError(key, LineOf(root, key), message));

        if (c.Kind == "traffic_signal" && c.Signal is null) Err("signal", "is required for device.kind traffic_signal");
        if (c.Kind == "base_station" && c.Actuator is null) Err("actuator", "is required for device.kind base_station");
        if (c.Kind == "traffic_signal" && c.Actuator is not null) Err("actuator", "is for base_station devices; a traffic_signal drives signal.groups");

        var pins = new Dictionary<int, string>();
        void Pin(int pin, string key)
        {
            if (pins.TryGetValue(pin, out var other)) Err(key, $"pin {pin} is already used by {other}");
            else pins[pin] = key;
        }
        Unique(c.Detectors.Select(d => d.Name), "io.detectors", "name", Err);
        for (int i = 0; i < c.Detectors.Count; i++) Pin(c.Detectors[i].Pin, $"io.detectors[{i}].pin");
        var detectorNames = c.Detectors.Select(d => d.Name).ToHashSet();
        for (int i = 0; i < c.Detectors.Count; i++)
        {
            var nb = c.Detectors[i].Neighbours;
            if (nb is null) continue;
            for (int k = 0; k < nb.Count; k++)
            {
                if (!detectorNames.Contains(nb[k])) Err($"io.detectors[{i}].neighbours[{k}]", $"'{nb[k]}' is not a detector");
                else if (nb[k] == c.Detectors[i].Name) Err($"io.detectors[{i}].neighbours[{k}]", "a detector cannot be its own neighbour");
            }
        }
        if (c.Safety.DetectorFaults is { } df)
        {
            if (df.NoCountS is null && df.StuckOnS is null) Err("safety.detector_faults", "needs no_count_s, stuck_on_s or both");
            if (c.Detectors.Count == 0) Err("safety.detector_faults", "there are no io.detectors to check");
            else if (df.NoCountS is not null && c.Detectors.Count < 2) Err("safety.detector_faults.no_count_s", "needs at least two detectors (a detector is judged against its neighbours)");
            if (df.NoCountS is { } nc && nc < c.PeriodMs / 1000) Err("safety.detector_faults.no_count_s", $"{nc} s is shorter than one period ({c.PeriodMs} ms)");
            if (df.StuckOnS is { } so && so < c.PeriodMs / 1000) Err("safety.detector_faults.stuck_on_s", $"{so} s is shorter than one period ({c.PeriodMs} ms)");
        }
        Unique(c.I2c.Select(d => d.Name), "io.i2c", "name", Err);
        Unique(c.Spi.Select(d => d.Name), "io.spi", "name", Err);
        var chipSelects = new Dictionary<(int, int), int>();
        for (int i = 0; i < c.Spi.Count; i++)
        {
            var sp = c.Spi[i];
            if (chipSelects.TryGetValue((sp.Bus, sp.ChipSelect), out int other)) Err($"io.spi[{i}].chip_select", $"bus {sp.Bus} chip select {sp.ChipSelect} is already io.spi[{other}]");
            else chipSelects[(sp.Bus, sp.ChipSelect)] = i;
            var seenCh = new HashSet<int>();
            for (int k = 0; k < sp.Channels.Count; k++)
                if (!seenCh.Add(sp.Channels[k])) Err($"io.spi[{i}].channels[{k}]", $"channel {sp.Channels[k]} is listed twice");
        }
        Unique(c.Observation.Select(f => f.Feature), "observation", "feature", Err);

        if (c.Signal is { } s)
        {
            var groups = s.Groups.Select(g => g.Name).ToHashSet();
            Unique(s.Groups.Select(g => g.Name), "signal.groups", "name", Err);
            Unique(s.Phases.Select(p => p.Name), "signal.phases", "name", Err);
            for (int i = 0; i < s.Groups.Count; i++)
            {
                Pin(s.Groups[i].Red, $"signal.groups[{i}].red");
                Pin(s.Groups[i].Yellow, $"signal.groups[{i}].yellow");
                Pin(s.Groups[i].Green, $"signal.groups[{i}].green");
            }
            var conflicts = new HashSet<(string, string)>();
            for (int i = 0; i < s.Conflicts.Count; i++)
            {
                var (a, b) = s.Conflicts[i];
                if (!groups.Contains(a)) Err($"signal.conflicts[{i}][0]", $"'{a}' is not a signal group");
                if (!groups.Contains(b)) Err($"signal.conflicts[{i}][1]", $"'{b}' is not a signal group");
                if (a == b) Err($"signal.conflicts[{i}]", $"a group cannot conflict with itself ('{a}')");
                conflicts.Add((a, b));
                conflicts.Add((b, a));
            }
            for (int p = 0; p < s.Phases.Count; p++)
            {
                var greens = s.Phases[p].Greens;
                for (int g = 0; g < greens.Count; g++)
                    if (!groups.Contains(greens[g])) Err($"signal.phases[{p}].greens[{g}]", $"'{greens[g]}' is not a signal group");
                for (int i = 0; i < greens.Count; i++)
                    for (int j = i + 1; j < greens.Count; j++)
                        if (conflicts.Contains((greens[i], greens[j])))
                            Err($"signal.phases[{p}].greens", $"phase '{s.Phases[p].Name}' shows conflicting groups '{greens[i]}' and '{greens[j]}' green together");
            }
            if (s.MinGreenS > s.MaxGreenS) Err("signal.min_green_s", $"min_green_s {s.MinGreenS} exceeds max_green_s {s.MaxGreenS}");
            if (s.MaxGreenS <= 0) Err("signal.max_green_s", "must be positive");
            var phases = s.Phases.Select(p => p.Name).ToHashSet();
            for (int i = 0; i < s.FallbackPlan.Count; i++)
            {
                if (!phases.Contains(s.FallbackPlan[i].Phase)) Err($"signal.fallback_plan[{i}].phase", $"'{s.FallbackPlan[i].Phase}' is not a phase");
                if (s.FallbackPlan[i].GreenS > s.MaxGreenS) Err($"signal.fallback_plan[{i}].green_s", $"{s.FallbackPlan[i].GreenS} exceeds max_green_s {s.MaxGreenS}");
                if (s.FallbackPlan[i].GreenS < s.MinGreenS) Err($"signal.fallback_plan[{i}].green_s", $"{s.FallbackPlan[i].GreenS} is below min_green_s {s.MinGreenS}");
            }
            if (c.Safety.SafeState == "safe_action") Err("safety.safe_state", "safe_action is for base_station devices; a signal controller uses all_red or flash");
        }
        if (c.Actuator is { } act)
        {
            var outs = act.Outputs.Select(o => o.Name).ToHashSet();
            Unique(act.Outputs.Select(o => o.Name), "actuator.outputs", "name", Err);
            for (int i = 0; i < act.Outputs.Count; i++) Pin(act.Outputs[i].Pin, $"actuator.outputs[{i}].pin");
            for (int a = 0; a < act.Actions.Count; a++)
                for (int j = 0; j < act.Actions[a].Count; j++)
                    if (!outs.Contains(act.Actions[a][j])) Err($"actuator.actions[{a}][{j}]", $"'{act.Actions[a][j]}' is not an output");
            if (act.Actions.Count < 2) Err("actuator.actions", "needs at least 2 actions");
            if (act.SafeAction >= act.Actions.Count) Err("actuator.safe_action", $"{act.SafeAction} is not an action (0..{act.Actions.Count - 1})");
            if (act.FallbackAction >= act.Actions.Count) Err("actuator.fallback_action", $"{act.FallbackAction} is not an action (0..{act.Actions.Count - 1})");
        }

        var catalog = new SourceCatalog(c);
        for (int i = 0; i < c.Observation.Count; i++)
            if (catalog.Resolve(c.Observation[i].Source, out var why) is null) Err($"observation[{i}].source", why!);
        if (c.Learning.Enabled || c.Learning.Reward != "0")
        {
            try { RewardFormula.Compile(c.Learning.Reward, catalog); }
            catch (FormatException e) { Err("learning.reward", e.Message); }
        }
        if (c.Learning.Schedule == "alternate" && FindNode(root, "learning.dpo") is not null && c.Learning.Dpo.RolloutSteps * c.PeriodMs / 1000 > c.Learning.SlotS)
            Err("learning.dpo.rollout_steps", $"{c.Learning.Dpo.RolloutSteps} periods of {c.PeriodMs} ms do not fit in one slot of {c.Learning.SlotS} s: DPO would never complete a rollout in its turn");
        if (c.Learning.FleetIndex >= c.Learning.FleetSize)
            Err("learning.fleet_index", $"{c.Learning.FleetIndex} must be below fleet_size {c.Learning.FleetSize}");
        if (c.Telemetry.Tls.ClientCert is not null != (c.Telemetry.Tls.ClientKey is not null))
            Err("telemetry.tls", "client_cert and client_key go together");
        if (c.Telemetry.PasswordFile is not null && c.Telemetry.Username is null)
            Err("telemetry.password_file", "needs telemetry.username (MQTT sends a password only with a user name)");
        if (c.Telemetry.Broker == "external" && FindNode(root, "telemetry.host") is null)
            Err("telemetry.host", "is required with broker: external");
    }

    static void Unique(IEnumerable<string> names, string list, string key, Action<string, string> err)
    {
        var seen = new HashSet<string>();
        int i = 0;
        foreach (var n in names)
        {
            if (!seen.Add(n)) err($"{list}[{i}].{key}", $"'{n}' appears twice");
            i++;
        }
    }

    /// <summary>The line of a key path such as signal.phases[1].greens[0]; the nearest existing parent's line otherwise.</summary>
    public static int LineOf(YamlMappingNode root, string path) => (int)Walk(root, path).Deepest.Start.Line;

    public static YamlNode? FindNode(YamlMappingNode root, string path)
    {
        var (deepest, complete) = Walk(root, path);
        return complete ? deepest : null;
    }

    /// <summary>Follows a key path as far as it exists: the deepest node reached, and whether the whole path was there.</summary>
    static (YamlNode Deepest, bool Complete) Walk(YamlMappingNode root, string path)
    {
        YamlNode node = root;
        foreach (var part in Parts(path))
        {
            YamlNode? next = part switch
            {
                int i when node is YamlSequenceNode seq && i < seq.Children.Count => seq.Children[i],
                string k when node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(k), out var v) => v,
                _ => null,
            };
            if (next is null) return (node, false);
            node = next;
        }
        return (node, true);
    }

    static IEnumerable<object> Parts(string path)
    {
        foreach (var seg in path.Split('.'))
        {
            int b = seg.IndexOf('[');
            yield return b < 0 ? seg : seg[..b];
            if (b < 0) continue;
            foreach (var idx in seg[b..].Split('[', StringSplitOptions.RemoveEmptyEntries))
                yield return int.Parse(idx.TrimEnd(']'));
        }
    }
}
