using MarlEdge.Shared.Onnx;
using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Learners;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>
/// The deployed policy of a deep run: each agent's exported network (networks/agent-&lt;i&gt;.onnx, read back into managed
/// networks) acting greedily on its own observation, as a device runs it. summary.json's greedy return on continuous games
/// and <c>./marl eval</c> both measure this, so they agree exactly. It acts and does nothing else.
/// </summary>
public sealed class DeployedPolicy(IReadOnlyList<PolicyNetwork> networks) : IDeepLearner
{
    public static DeployedPolicy Read(string networksFolder, int agents) =>
        new(Enumerable.Range(0, agents).Select(i =>
        {
            string path = Path.Combine(networksFolder, $"agent-{i}.onnx");
            if (!File.Exists(path)) throw new Cli.UsageException($"'{path}' is missing: the run did not finish (or its networks were removed)");
            return PolicyOnnxReader.Read(path).Network;
        }).ToArray());

    float[][]? _states;     // recurrent networks: each agent's hidden state per episode, carried from step to step

    public long Updates => 0;

    public void BeginEpisodes() => _states = null;
    public IReadOnlyDictionary<string, double> Metrics { get; } = new Dictionary<string, double>();

    public void Act(float[] obs, int envs, int[] actions, float[] continuous, long step, bool greedy)
    {
        if (_states is null || _states[0].Length != envs * HiddenOf(networks[0]))
            _states = networks.Select(n => new float[envs * HiddenOf(n)]).ToArray();
        for (int i = 0; i < networks.Count; i++)
        {
            var net = networks[i];
            int d = net.ObservationDim, a = net.ActionSize;
            var values = new float[a];
            var mask = Enumerable.Repeat(1f, a).ToArray();
            var logStd = new float[a];
            for (int e = 0; e < envs; e++)
            {
                var o = obs.AsSpan((i * envs + e) * d, d);
                switch (net)
                {
                    case DiscretePolicyNetwork discrete: actions[i * envs + e] = discrete.Act(o, mask, values); break;
                    case GruQNetwork gru:
                    {
                        var h = _states[i].AsSpan(e * gru.HiddenDim, gru.HiddenDim);
                        var hOut = new float[gru.HiddenDim];
                        actions[i * envs + e] = gru.Act(o, mask, h, hOut, values);
                        hOut.CopyTo(h);
                        break;
                    }
                    case GaussianActor gaussian: gaussian.Forward(o, continuous.AsSpan((i * envs + e) * a, a), logStd); break;   // the mean
                    default: throw new NotSupportedException($"deep runs export Q-networks and actors, not {net.Kind.Name()}");
                }
            }
        }
    }

    static int HiddenOf(PolicyNetwork n) => n is GruQNetwork g ? g.HiddenDim : 0;

    public void Observe(StepBatch batch) => throw new NotSupportedException("a deployed policy does not learn");
    public float[] Probabilities(float[] obs, int batch) => throw new NotSupportedException();
    public PolicyNetwork Network(int agent) => networks[agent];
    public void Save(Checkpoint checkpoint) => throw new NotSupportedException();
    public void Load(Checkpoint checkpoint) => throw new NotSupportedException();
    public void Dispose() { }
}
