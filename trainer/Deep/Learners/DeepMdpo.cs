using MarlEdge.Shared.Policy;
using MarlEdge.Trainer.Deep.Nets;
using MarlEdge.Trainer.Deep.Training;
using static TorchSharp.torch;
using static MarlEdge.Trainer.Deep.Nets.Scalars;

namespace MarlEdge.Trainer.Deep.Learners;

/// <summary>
/// MDPO, model-based decentralized policy optimization (the seed's Algorithm 1), on DPO. From the agent's point of view the
/// others are part of a world that drifts as they learn; each iteration is a stage l with its own world. Per agent:
///   D^1 … D^L             stage buffers of the agent's own (o, a, r, o'); each iteration shifts in the newest rollout
///   ψ_l(z | o)            a stage encoder; z^l = E_{o∈D^l}[ψ_l(o)] summarizes stage l's world (the others' policies then)
///   P_θ(o' | o, a, z)     the latent-conditioned dynamics, R_φ(o, a, z) the reward model, fitted on every stage's data:
///                         min Σ_l E_{D^l}[ ||P_θ(o, a, z^l) − o'||² + (R_φ(o, a, z^l) − r)² ]
///   f_ζ(z^L | z^1…z^{L−1}) the latent prediction, fitted on the stages seen: min ||f_ζ(z^1…z^{L−1}) − z^L||²
///   branched rollouts     from real o ∈ D^L, k model steps under π with the predicted next world ẑ = f_ζ(z^2…z^L):
///                         ô' = P_θ(o, a, ẑ), r̂ = R_φ(o, a, ẑ), Â = r̂ + γ V(ô') − V(o)
/// and the DPO update trains on the real rollout plus the model samples.
/// </summary>
public sealed class DeepMdpo : DeepDpo
{
    const ulong ModelPurpose = 0x3D90;
    readonly int _z, _aw, _stages;
    readonly BatchedMlp _dynamics, _reward, _latentPrediction;
    readonly BatchedMlp[] _encoders;
    readonly BatchedAdam _modelOptimizer;
    readonly List<(Tensor Obs, Tensor Act, Tensor Rew, Tensor Next)> _stageBuffers = new();   // D^1 (oldest) … D^L

    public DeepMdpo(DeepTask task, DeepOptions options, int allAgents) : base(task, options, allAgents)
    {
        var o = options.Mdpo;
        _z = o.LatentDim; _stages = Math.Max(2, o.Stages);
        _aw = task.IsDiscrete ? task.Discrete : task.ActionDim;
        int h = options.Common.Hidden, d = task.ObsDim, input = d + _aw + _z;
        _dynamics = new BatchedMlp(task.Agents, [input, h, h, d], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 10));
        _reward = new BatchedMlp(task.Agents, [input, h, h, 1], Activation.ReLU, task.ShareParams, i => task.RngFor(i, InitPurpose + 11));
        _encoders = Enumerable.Range(0, _stages)
            .Select(l => new BatchedMlp(task.Agents, [d, h, _z], Activation.Tanh, task.ShareParams, i => task.RngFor(i, InitPurpose + 20 + (ulong)l))).ToArray();
        _latentPrediction = new BatchedMlp(task.Agents, [(_stages - 1) * _z, h, _z], Activation.Tanh, task.ShareParams, i => task.RngFor(i, InitPurpose + 12));
        _modelOptimizer = new BatchedAdam(_dynamics.Parameters().Concat(_reward.Parameters()).Concat(_latentPrediction.Parameters())
            .Concat(_encoders.SelectMany(e => e.Parameters())), options.Common.LearningRate);
    }

    Tensor EncodeAction(Tensor actions) => Task.IsDiscrete
        ? nn.functional.one_hot(actions, Task.Discrete).to_type(ScalarType.Float32)
        : actions;

    /// <summary>z^l = mean over D^l of ψ_l(o): [N, 1, Z].</summary>
    Tensor StageLatent(int l) => _encoders[l].Forward(_stageBuffers[l].Obs).mean([1], keepdim: true);

    Tensor ModelInput(Tensor obs, Tensor encodedAction, Tensor z) => cat([obs, encodedAction, z.expand(-1, obs.shape[1], -1)], 2);

    protected override Samples CollectSamples()
    {
        var real = RealSamples(out var next, out var rewards, out _);
        ShiftStages(real.Obs, real.Actions, rewards, next);
        FitModels();
        var model = BranchedRollouts(real);
        MetricValues["model_samples"] = model.Obs.shape[1];
        return new Samples(cat([real.Obs, model.Obs], 1), cat([real.Actions, model.Actions], 1), cat([real.Advantages, model.Advantages], 1),
            cat([real.Returns, model.Returns], 1), cat([real.OldOutput, model.OldOutput], 1), real.OldLogStd);
    }

    /// <summary>D^1 ← D^2 … D^{L−1} ← D^L ← this rollout.</summary>
    void ShiftStages(Tensor obs, Tensor act, Tensor rew, Tensor next)
    {
        _stageBuffers.Add((obs.detach().clone().DetachFromDisposeScope(), act.detach().clone().DetachFromDisposeScope(),
            rew.detach().clone().DetachFromDisposeScope(), next.detach().clone().DetachFromDisposeScope()));
        if (_stageBuffers.Count > _stages)
        {
            var old = _stageBuffers[0];
            old.Obs.Dispose(); old.Act.Dispose(); old.Rew.Dispose(); old.Next.Dispose();
            _stageBuffers.RemoveAt(0);
        }
    }

    void FitModels()
    {
        for (int epoch = 0; epoch < Options.Mdpo.ModelEpochs; epoch++)
        {
            using var scope = NewDisposeScope();
            Tensor loss = zeros(Task.Agents);
            var latents = new List<Tensor>();
            for (int l = 0; l < _stageBuffers.Count; l++)
            {
                var (obs, act, rew, next) = _stageBuffers[l];
                var z = StageLatent(l);
                latents.Add(z);
                var x = ModelInput(obs, EncodeAction(act), z);
                loss = loss.Plus((_dynamics.Forward(x) - next).pow(S(2)).sum(2).mean([1]))      // ||P_θ(o, a, z^l) − o'||²
                            .Plus((_reward.Forward(x).squeeze(2) - rew).pow(S(2)).mean([1]));   // (R_φ(o, a, z^l) − r)²
            }
            if (latents.Count == _stages)                                                      // f_ζ(z^1…z^{L−1}) ≈ z^L
            {
                var predicted = _latentPrediction.Forward(cat(latents.Take(_stages - 1).Select(z => z.detach()).ToArray(), 2));
                loss = loss.Plus((predicted - latents[^1].detach()).pow(S(2)).sum(2).mean([1]));
            }
            _modelOptimizer.ZeroGrad();
            loss.sum().backward();
            _modelOptimizer.Step();
            MetricValues["model_loss"] = loss.mean().item<float>();
        }
    }

    /// <summary>ẑ, the latent of the world the next policy will meet: f_ζ(z^2…z^L) once L stages exist, z^L before.</summary>
    Tensor NextLatent()
    {
        var latents = Enumerable.Range(0, _stageBuffers.Count).Select(StageLatent).ToList();
        return latents.Count == _stages ? _latentPrediction.Forward(cat(latents.Skip(1).ToArray(), 2)) : latents[^1];
    }

    Samples BranchedRollouts(Samples real)
    {
        using var _ = no_grad();
        int m = (int)real.Obs.shape[1], branches = Math.Max(1, (int)(Options.Mdpo.Branches * m));
        var rng = Task.RngFor(0, ModelPurpose, Iterations);
        var start = tensor(Enumerable.Range(0, branches).Select(_ => (long)rng.NextInt(m)).ToArray());
        var obs = real.Obs.index_select(1, start);
        var z = NextLatent();
        var allObs = new List<Tensor>(); var allAct = new List<Tensor>(); var allAdv = new List<Tensor>(); var allRet = new List<Tensor>(); var allOut = new List<Tensor>();
        for (int k = 0; k < Math.Max(1, Options.Mdpo.BranchLength); k++)
        {
            var output = ActorOut(obs);
            var act = SampleActions(output, ref rng);
            var x = ModelInput(obs, EncodeAction(act), z);
            var nextObs = _dynamics.Forward(x);                                                 // ô' = P_θ(o, a, ẑ)
            var r = _reward.Forward(x).squeeze(2);                                              // r̂ = R_φ(o, a, ẑ)
            var value = Value(obs);
            var ret = r.Plus(S(Task.Gamma) * Value(nextObs));                                       // r̂ + γ V(ô')
            allObs.Add(obs); allAct.Add(act); allAdv.Add(ret - value); allRet.Add(ret); allOut.Add(output);
            obs = nextObs;
        }
        return new Samples(cat(allObs.ToArray(), 1), cat(allAct.ToArray(), 1), cat(allAdv.ToArray(), 1), cat(allRet.ToArray(), 1),
            cat(allOut.ToArray(), 1), null);
    }

    /// <summary>a ~ π(·|o) with noise from the run's own generator (Gumbel-max for categorical, μ + σε for Gaussian).</summary>
    Tensor SampleActions(Tensor output, ref MarlEdge.Shared.Numerics.Rng rng)
    {
        var noise = new float[output.numel()];
        if (Task.IsDiscrete)
        {
            for (int k = 0; k < noise.Length; k++) noise[k] = (float)-Math.Log(-Math.Log(1 - rng.NextDouble() * (1 - 1e-12)));
            return output.log_softmax(2).Plus(tensor(noise, output.shape)).argmax(2);
        }
        for (int k = 0; k < noise.Length; k++) noise[k] = (float)rng.Normal();
        return output.Plus(LogStdFor(output).exp() * tensor(noise, output.shape));
    }

    public override void Save(Checkpoint c)
    {
        base.Save(c);
        c.PutAll("mdpo.model", _dynamics.Parameters().Concat(_reward.Parameters()).Concat(_latentPrediction.Parameters()).Concat(_encoders.SelectMany(e => e.Parameters())));
        c.PutAll("mdpo.adam", _modelOptimizer.State); c.Put("mdpo.adam.steps", _modelOptimizer.Steps);
        c.Put("mdpo.stages", _stageBuffers.Count);
        for (int l = 0; l < _stageBuffers.Count; l++)
        {
            var (o, a, r, n) = _stageBuffers[l];
            c.Put($"mdpo.stage.{l}.obs", o); c.Put($"mdpo.stage.{l}.act", a.to_type(ScalarType.Float32)); c.Put($"mdpo.stage.{l}.rew", r); c.Put($"mdpo.stage.{l}.next", n);
            c.Put($"mdpo.stage.{l}.m", (double)o.shape[1]);
        }
    }

    public override void Load(Checkpoint c)
    {
        base.Load(c);
        c.RestoreAll("mdpo.model", _dynamics.Parameters().Concat(_reward.Parameters()).Concat(_latentPrediction.Parameters()).Concat(_encoders.SelectMany(e => e.Parameters())));
        c.RestoreAll("mdpo.adam", _modelOptimizer.State); _modelOptimizer.Steps = c.Long("mdpo.adam.steps");
        _stageBuffers.Clear();
        int n = Task.Agents, d = Task.ObsDim;
        for (int l = 0; l < c.Long("mdpo.stages"); l++)
        {
            long m = c.Long($"mdpo.stage.{l}.m");
            var act = Task.IsDiscrete ? tensor(c.Floats($"mdpo.stage.{l}.act"), [n, m]).to_type(ScalarType.Int64) : tensor(c.Floats($"mdpo.stage.{l}.act"), [n, m, Task.ActionDim]);
            _stageBuffers.Add((tensor(c.Floats($"mdpo.stage.{l}.obs"), [n, m, d]), act, tensor(c.Floats($"mdpo.stage.{l}.rew"), [n, m]), tensor(c.Floats($"mdpo.stage.{l}.next"), [n, m, d])));
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _dynamics.Dispose(); _reward.Dispose(); _latentPrediction.Dispose(); _modelOptimizer.Dispose();
        foreach (var e in _encoders) e.Dispose();
        foreach (var (o, a, r, n) in _stageBuffers) { o.Dispose(); a.Dispose(); r.Dispose(); n.Dispose(); }
    }
}
