namespace MarlEdge.Runtime.Config;

/// <summary><c>marl-edge config check FILE</c> and <c>marl-edge config schema</c>.</summary>
public static class ConfigCommand
{
    public const string Help = """
        usage: marl-edge config check FILE...
               marl-edge config schema

          check    validates device configs against the schema and the cross-references (phases → groups, the conflict
                   matrix, unique pins, observation and reward sources, timings; across agents: ids, pins, buses); prints OK, or one line per error naming
                   the key and its line; exit code 2 on any error
          schema   prints every key with its type and meaning
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count == 0) { stderr.WriteLine("marl-edge config: missing subcommand: check or schema (see marl-edge config --help)"); return 2; }
        if (args[0] is "--help" or "-h") { stdout.WriteLine(Help); return 0; }
        if (args.Skip(1).Any(a => a is "--help" or "-h")) { stdout.WriteLine(Help); return 0; }
        switch (args[0])
        {
            case "schema":
                stdout.Write(DeviceSchema.Describe());
                return 0;
            case "check":
                if (args.Count < 2) { stderr.WriteLine("marl-edge config check: missing FILE"); return 2; }
                int bad = 0;
                foreach (var file in args.Skip(1))
                {
                    if (!File.Exists(file)) { stderr.WriteLine($"{file}: does not exist"); bad++; continue; }
                    var (agents, errors) = DeviceConfig.CheckAgents(File.ReadAllText(file), file);
                    if (errors.Count == 0 && agents is [var config])
                    {
                        stdout.WriteLine($"OK {file}: {config.Kind} '{config.DeviceId}' on {config.Board}, period {config.PeriodMs} ms, {config.Observation.Count} observation features, agent {config.AgentId}");
                        continue;
                    }
                    if (errors.Count == 0 && agents is not null)
                    {
                        stdout.WriteLine($"OK {file}: device '{agents[0].HostId}' on {agents[0].Board}, {agents.Count} agents: " + string.Join("; ",
                            agents.Select(a => $"{a.Kind} '{a.DeviceId}', period {a.PeriodMs} ms, {a.Observation.Count} observation features, agent {a.AgentId}")));
                        continue;
                    }
                    bad++;
                    foreach (var e in errors.OrderBy(e => e.Line)) stderr.WriteLine($"{file}:{e.Line}: {e.Key}: {e.Message}");
                }
                return bad == 0 ? 0 : 2;
            default:
                stderr.WriteLine($"marl-edge config: unknown subcommand '{args[0]}' (check or schema)");
                return 2;
        }
    }
}
