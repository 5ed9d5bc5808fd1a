using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;

namespace MarlEdge.Runtime.Learning;

/// <summary>
/// <c>marl-edge persist-stress --bundle DIR --agent ID [--count N]</c> (internal; used by the power-cut test): saves learned
/// versions back to back exactly as a promotion does (each
/// with a small critic beside it, as a DPO promotion saves), printing "saved vN" after each, so a test can kill -9 it mid-write.
/// </summary>
public static class PersistStress
{
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        string? bundle = null, agent = null;
        int count = int.MaxValue;
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            if (args[i] == "--bundle") bundle = args[i + 1];
            else if (args[i] == "--agent") agent = args[i + 1];
            else if (args[i] == "--count") count = int.Parse(args[i + 1]);
        }
        if (bundle is null || agent is null) { stderr.WriteLine("marl-edge persist-stress: needs --bundle DIR --agent ID"); return 2; }
        var store = new PolicyStore(bundle, agent) { KeepVersions = 3 };
        var active = store.Load(null);
        var net = (QNetwork)active.Policy.Network;
        int version = active.Version;
        var rng = new Random(Environment.ProcessId);
        var critic = Mlp.Create([net.ObservationDim, 8, 8, 1], Activation.Tanh, rng);
        for (int n = 0; n < count; n++)
        {
            foreach (var p in net.Parameters())
                for (int j = 0; j < p.Data.Length; j++) p.Data[j] += (float)(rng.NextDouble() - 0.5) * 1e-3f;
            critic.Layers[0].Bias[0] += 1e-3f;
            byte[] bytes = PolicyOnnxWriter.ToBytes(net, new PolicyModelInfo(agent, active.Features));
            var entry = store.Save(bytes, version, active.BundleSha256, n, 0, 0, CriticOnnx.ToBytes(critic, agent));
            version = entry.Version;
            stdout.WriteLine($"saved v{version}");
            stdout.Flush();
        }
        return 0;
    }
}
