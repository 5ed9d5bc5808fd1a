using MarlEdge.Runtime.Config;
using MarlEdge.Shared.Bundle;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Hosting;

/// <summary>
/// <c>marl-edge dev-bundle --config FILE --out DIR [--hidden 64,64] [--seed N] [--network q_network|categorical_actor]</c>: writes an
/// untrained (randomly initialized) MLP Q-network (ReLU) or categorical-actor (Tanh, as the trainer's PPO/DPO export) bundle whose observation spec is exactly the config's features, so a device config can be run, tested and benchmarked
/// before a trained bundle from <c>marl export</c> exists.
/// </summary>
public static class DevBundleCommand
{
    public const string Help = """
        usage: marl-edge dev-bundle --config FILE --out DIR [--hidden 64,64] [--seed N] [--network q_network|categorical_actor]
                                  [--agent ID]

        Writes an untrained MLP bundle (manifest.json + agent-<id>.onnx, unsigned) whose observation features and action count
        match the device config, for development and benchmarks: a Q-network (ReLU; learns on the device by double DQN, the
        default) or a categorical actor (Tanh, like the trainer's IPPO/DPO export; learns on the device by DPO).
        Real devices run bundles from `marl export`. A multi-agent config (agents[]) needs --agent ID: the agent whose
        bundle is written (agents[].id).
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? config = null, outDir = null, agent = null;
        int[] hidden = [64, 64];
        int seed = 1;
        var kind = NetworkKind.QNetwork;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "--help" or "-h") { stdout.WriteLine(Help); return 0; }
            if (i + 1 >= args.Count) return Fail(stderr, $"option {a} needs a value (see marl-edge dev-bundle --help)");
            string v = args[++i];
            switch (a)
            {
                case "--config": config = v; break;
                case "--out": outDir = v; break;
                case "--agent": agent = v; break;
                case "--hidden":
                    try { hidden = v.Split(',').Select(int.Parse).ToArray(); } catch (FormatException) { return Fail(stderr, $"--hidden needs sizes like 64,64, got '{v}'"); }
                    break;
                case "--seed": if (!int.TryParse(v, out seed)) return Fail(stderr, $"--seed needs an integer, got '{v}'"); break;
                case "--network":
                    var parsed = NetworkKinds.Parse(v);
                    if (parsed is not (NetworkKind.QNetwork or NetworkKind.CategoricalActor))
                        return Fail(stderr, $"--network must be q_network or categorical_actor, got '{v}'");
                    kind = parsed.Value;
                    break;
                default: return Fail(stderr, $"unknown option {a}");
            }
        }
        if (config is null || outDir is null) return Fail(stderr, "needs --config FILE and --out DIR");
        DeviceConfig cfg;
        try
        {
            var agents = DeviceConfig.LoadAgents(config);
            if (agent is null && agents.Count > 1) return Fail(stderr, $"{config} lists {agents.Count} agents ({string.Join(", ", agents.Select(a => a.DeviceId))}): pick one with --agent ID");
            var picked = agent is null ? agents[0] : agents.FirstOrDefault(a => a.DeviceId == agent);
            if (picked is null) return Fail(stderr, $"{config} has no agent '{agent}' (agents: {string.Join(", ", agents.Select(a => a.DeviceId))})");
            cfg = picked;
        }
        catch (ConfigException e) { return Fail(stderr, $"{config}: {e.Errors[0]}"); }
        Write(cfg, outDir, hidden, seed, kind);
        stdout.WriteLine($"wrote {outDir}: {kind.Name()} agent {cfg.AgentId}, {cfg.Observation.Count} features, {ActionCount(cfg)} actions, hidden [{string.Join(",", hidden)}]");
        return 0;
    }

    public static int ActionCount(DeviceConfig cfg) => cfg.Signal?.Phases.Count ?? cfg.Actuator!.Actions.Count;

    public static DiscretePolicyNetwork Write(DeviceConfig cfg, string outDir, int[] hidden, int seed, NetworkKind kind = NetworkKind.QNetwork)
    {
        var sizes = new List<int> { cfg.Observation.Count };
        sizes.AddRange(hidden);
        sizes.Add(ActionCount(cfg));
        DiscretePolicyNetwork net = kind == NetworkKind.CategoricalActor
            ? new CategoricalActor(Mlp.Create(sizes, Activation.Tanh, new Random(seed)))
            : new QNetwork(Mlp.Create(sizes, Activation.ReLU, new Random(seed)));
        BundleWriter.Write(outDir, new BundleOrigin("device:" + cfg.DeviceId, "untrained", "dev-bundle", null),
            [new BundleAgent(cfg.AgentId, net, cfg.Observation.Select(f => f.Feature).ToArray(), ActionEntry.Discrete(ActionCount(cfg)))]);
        return net;
    }

    static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"marl-edge dev-bundle: {message}");
        return 2;
    }
}
