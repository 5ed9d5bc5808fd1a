using YamlDotNet.RepresentationModel;

namespace MarlEdge.Runtime.Config;

/// <summary>
/// Checks across the agents of one device (<c>agents[]</c>): unique agent ids, no two agents running the same bundle agent from
/// the same folder (they would share its learned versions and lineage file), and no GPIO line, I2C address or SPI chip select
/// claimed by two agents. Each agent's own sections were checked on their own before.
/// </summary>
static class AgentSetChecks
{
    public static void Check(IReadOnlyList<DeviceConfig> agents, YamlMappingNode root, List<ConfigError> errors)
    {
        void Err(string key, string message) => errors.Add(new ConfigError(key, ConfigSemantics.LineOf(root, key), message));

        var ids = new Dictionary<string, int>();
        var bundles = new Dictionary<(string, string), int>();
        var pins = new Dictionary<int, string>();
        var i2c = new Dictionary<(int, int), string>();
        var spi = new Dictionary<(int, int), string>();
        foreach (var c in agents)
        {
            string a = $"agents[{c.AgentIndex}]";
            if (ids.TryGetValue(c.DeviceId, out int other)) Err($"{a}.id", $"'{c.DeviceId}' is already the id of agents[{other}]");
            else ids[c.DeviceId] = c.AgentIndex;
            if (c.DeviceId == c.HostId) Err($"{a}.id", $"'{c.DeviceId}' is device.id; an agent needs its own Sparkplug device name");
            if (bundles.TryGetValue((c.BundlePath, c.AgentId), out other))
                Err($"{a}.bundle.agent", $"'{c.AgentId}' of this bundle is already run by agents[{other}] (they would share its learned versions and lineage)");
            else bundles[(c.BundlePath, c.AgentId)] = c.AgentIndex;

            void Pin(int pin, string key)
            {
                if (pins.TryGetValue(pin, out var owner)) { if (!owner.StartsWith(a + ".")) Err(key, $"pin {pin} is already used by {owner}"); }
                else pins[pin] = key;
            }
            for (int i = 0; i < c.Detectors.Count; i++) Pin(c.Detectors[i].Pin, $"{a}.io.detectors[{i}].pin");
            if (c.Signal is { } s)
                for (int i = 0; i < s.Groups.Count; i++)
                {
                    Pin(s.Groups[i].Red, $"{a}.signal.groups[{i}].red");
                    Pin(s.Groups[i].Yellow, $"{a}.signal.groups[{i}].yellow");
                    Pin(s.Groups[i].Green, $"{a}.signal.groups[{i}].green");
                }
            if (c.Actuator is { } act)
                for (int i = 0; i < act.Outputs.Count; i++) Pin(act.Outputs[i].Pin, $"{a}.actuator.outputs[{i}].pin");
            for (int i = 0; i < c.I2c.Count; i++)
            {
                var key = (c.I2c[i].Bus, c.I2c[i].Address);
                if (i2c.TryGetValue(key, out var owner)) Err($"{a}.io.i2c[{i}].address", $"bus {key.Bus} address 0x{key.Address:x2} is already {owner}");
                else i2c[key] = $"{a}.io.i2c[{i}]";
            }
            for (int i = 0; i < c.Spi.Count; i++)
            {
                var key = (c.Spi[i].Bus, c.Spi[i].ChipSelect);
                if (spi.TryGetValue(key, out var owner)) Err($"{a}.io.spi[{i}].chip_select", $"bus {key.Bus} chip select {key.ChipSelect} is already {owner}");
                else spi[key] = $"{a}.io.spi[{i}]";
            }
        }
    }
}
