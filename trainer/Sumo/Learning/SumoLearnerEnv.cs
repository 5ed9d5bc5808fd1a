using System.Text.Json.Serialization;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Deep.Envs;

namespace MarlEdge.Trainer.Sumo.Learning;

/// <summary>One finished SUMO episode as a learner saw it: its tripinfo metrics and the learner-scale return of agent 0.</summary>
public sealed record SumoEpisodeRecord(TripInfoMetrics Metrics, double SimulatedSeconds);

/// <summary>
/// How one agent's learner input is built from its detectors: feature k of the vector is raw_k × Scale[k] (padding
/// features are always 0), and actions ≥ ValidActions keep the current green. Written to networks/observation.json;
/// the same scales sit in each ONNX network as its observation normalizer (mean 0, std 1/scale), so a device feeds
/// the network raw detector values.
/// </summary>
public sealed record SumoAgentInput(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("features")] IReadOnlyList<string> Features,
    [property: JsonPropertyName("scale")] IReadOnlyList<float> Scale,
    [property: JsonPropertyName("valid_actions")] int ValidActions,
    [property: JsonPropertyName("padded_actions")] int PaddedActions);

/// <summary>
/// The view of a SUMO environment that the batched deep learners get: every agent's observation scaled by the scenario's
/// obs_scale_queue / obs_scale_approaching / obs_scale_wait (phase one-hots stay 0/1), rewards scaled by reward_scale, and
/// every agent padded to the same observation length (zero features named <c>pad:K</c>) and action count (an action past
/// the agent's own phases keeps its current green). Nothing crosses between agents: agent i's row comes only from its own
/// detectors.
/// </summary>
public sealed class SumoLearnerEnv : IParallelEnv
{
    readonly SumoEnv _env;
    readonly float[][] _raw;
    readonly float[][] _scale;
    readonly JointAction _inner;
    readonly AgentSpec[] _agents;
    readonly float _rewardScale;
    readonly Action<SumoEpisodeRecord>? _episodeEnded;

    public SumoEnv Inner => _env;
    public string Spec => _env.Spec;
    public IReadOnlyList<AgentSpec> Agents => _agents;
    public double Gamma => _env.Gamma;
    public int EpisodeLimit => _env.EpisodeLimit;
    public StepInfo Info => _env.Info;
    public IReadOnlyList<SumoAgentInput> Inputs { get; }

    public SumoLearnerEnv(SumoEnv env, Action<SumoEpisodeRecord>? episodeEnded = null)
    {
        _env = env;
        _episodeEnded = episodeEnded;
        var config = env.Scenario.Config;
        _rewardScale = (float)config.RewardScale;
        int dim = env.Agents.Max(a => a.Observation.Dim);
        int actions = env.Agents.Max(a => a.Action.Count);
        _raw = env.Agents.Select(a => new float[a.Observation.Dim]).ToArray();
        _scale = new float[env.Agents.Count][];
        _agents = new AgentSpec[env.Agents.Count];
        var inputs = new SumoAgentInput[env.Agents.Count];
        for (int i = 0; i < env.Agents.Count; i++)
        {
            var own = env.Agents[i];
            var names = own.Observation.FeatureNames.Concat(Enumerable.Range(0, dim - own.Observation.Dim).Select(k => $"pad:{k}")).ToArray();
            _scale[i] = names.Select(n => ScaleOf(n, config)).ToArray();
            _agents[i] = new AgentSpec(own.Id, new ObservationSpec(names), ActionSpec.Discrete(actions));
            inputs[i] = new SumoAgentInput(own.Id, names, _scale[i], own.Action.Count, actions);
        }
        Inputs = inputs;
        _inner = new JointAction(env.Agents);
    }

    /// <summary>The factor applied to a named feature: lane counts, waits and pending vehicles by the config's scales, phase one-hots 1, green time 0.01, padding 0.</summary>
    public static float ScaleOf(string feature, SumoScenarioConfig config)
    {
        if (feature.StartsWith("pad:", StringComparison.Ordinal)) return 0f;
        if (feature.StartsWith("lane:", StringComparison.Ordinal))
        {
            if (feature.EndsWith(":queue", StringComparison.Ordinal)) return (float)config.ObsScaleQueue;
            if (feature.EndsWith(":approaching", StringComparison.Ordinal) || feature.EndsWith(":arriving", StringComparison.Ordinal)
                || feature.EndsWith(":outgoing", StringComparison.Ordinal)) return (float)config.ObsScaleApproaching;
            if (feature.EndsWith(":wait", StringComparison.Ordinal)) return (float)config.ObsScaleWait;
        }
        if (feature.StartsWith("edge:", StringComparison.Ordinal) && feature.EndsWith(":pending", StringComparison.Ordinal)) return (float)config.ObsScalePending;
        if (feature == SumoEnv.GreenTimeFeature) return GreenTimeScale;
        return 1f;
    }

    /// <summary>phase:green_s is seen in hundreds of seconds.</summary>
    public const float GreenTimeScale = 0.01f;

    public void Reset(int? seed, float[][] observations)
    {
        _env.Reset(seed, _raw);
        Scale(observations);
    }

    public StepResult Step(JointAction action, float[][] observations, float[] rewards)
    {
        var intersections = _env.Intersections;
        for (int i = 0; i < _inner.Discrete.Length; i++)
        {
            int a = action.Discrete[i];
            _inner.Discrete[i] = a >= 0 && a < intersections[i].ActionCount ? a : intersections[i].CurrentGreen;
        }
        var result = _env.Step(_inner, _raw, rewards);
        for (int i = 0; i < rewards.Length; i++) rewards[i] *= _rewardScale;
        Scale(observations);
        if (result.Done && _env.LastEpisode is { } metrics) _episodeEnded?.Invoke(new SumoEpisodeRecord(metrics, _env.Time));
        return result;
    }

    void Scale(float[][] observations)
    {
        for (int i = 0; i < _raw.Length; i++)
        {
            var o = observations[i];
            var s = _scale[i];
            var r = _raw[i];
            for (int k = 0; k < r.Length; k++) o[k] = r[k] * s[k];
            for (int k = r.Length; k < o.Length; k++) o[k] = 0f;
        }
    }

    public void Dispose() => _env.Dispose();
}

/// <summary>The deep learners' registry entry for <c>sumo:</c> specs (see <see cref="DeepEnvs"/>).</summary>
public static class SumoDeepEnvs
{
    /// <summary>
    /// A definition whose copies write each finished episode's tripinfo.xml into runDirectory (null: a temporary folder per
    /// copy) and report each episode to episodeEnded. Resolves the scenario and finds SUMO now, so problems surface at once.
    /// </summary>
    public static DeepEnvDefinition Definition(string spec, string? runDirectory = null, Action<SumoEpisodeRecord>? episodeEnded = null)
    {
        var scenario = SumoScenario.Resolve(spec);
        Traci.SumoBinary.Locate(null);
        return new DeepEnvDefinition(spec,
            () => new SumoLearnerEnv(new SumoEnv(scenario, new SumoEnvOptions { RunDirectory = runDirectory }), episodeEnded), null, 0);
    }
}
