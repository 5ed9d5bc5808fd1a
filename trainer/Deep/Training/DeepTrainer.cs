using System.Diagnostics;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Evaluation;
using TorchSharp;

namespace MarlEdge.Trainer.Deep.Training;

/// <summary>What a deep run is: the environment, the learner and its settings, the budget and the seed.</summary>
public sealed record DeepRunSpec(DeepEnvDefinition Env, string Algo, DeepOptions Options, long Steps, int Seed, bool ShareParams);

/// <summary>Hooks the trainer calls: progress, a curve point (with the learner's scalars), and a checkpoint to write.</summary>
public sealed record DeepTrainerHooks(Action<long, double>? Progress = null, Action<DeepCurvePoint, IReadOnlyDictionary<string, double>>? CurvePoint = null,
    Action<Checkpoint>? WriteCheckpoint = null);

/// <summary>
/// The decentralized training loop: E environment copies step together; every agent acts on its own observation; each agent's
/// learner receives only its own (o, a_i, r_i, o') rows. All randomness comes from counters and the seed (VecEnv episode seeds,
/// DeepTask.RngFor), and torch runs with a fixed thread count, so a seed fixes the run and a checkpoint fixes its continuation.
/// </summary>
public sealed class DeepTrainer : IDisposable
{
    readonly DeepRunSpec _spec;
    readonly VecEnv _vec;
    readonly StepBatch _batch;
    readonly List<DeepCurvePoint> _curve = new();
    readonly double _optimal, _uniform;
    public IDeepLearner Learner { get; }
    public DeepTask Task { get; }
    public IReadOnlyList<DeepCurvePoint> Curve => _curve;
    public ActionMapping Mapping => _vec.Mapping;
    long _step, _episodes, _windowEpisodes, _nextCheckpoint;
    double _windowReturn, _secondsBefore;

    public DeepTrainer(DeepRunSpec spec)
    {
        _spec = spec;
        torch.set_num_threads(spec.Options.Common.Threads);
        torch.manual_seed(spec.Seed);
        bool discrete = LearnerFactory.UsesDiscreteActions(spec.Algo) || spec.Env.IsTabular;
        int envs = spec.Options.Common.Envs;
        _vec = new VecEnv(spec.Env, envs, spec.Seed, discrete);
        var first = _vec.First;
        Task = new DeepTask(_vec.Agents, 0, _vec.ObsDim, _vec.Mapping.LearnerActions, _vec.Mapping.Dim, first.Gamma, envs, spec.Steps, spec.Seed,
            spec.ShareParams, first.EpisodeLimit, _vec.OneHotObs);
        Learner = LearnerFactory.Create(spec.Algo, Task, spec.Options, _vec.Agents);
        _batch = new StepBatch(_vec.Agents, envs, _vec.ObsDim, _vec.Mapping.Dim);
        if (spec.Env.Game is { } game)
        {
            _optimal = ExactEvaluator.Optimal(game);
            _uniform = ExactEvaluator.Uniform(game);
        }
        _nextCheckpoint = spec.Options.Common.CheckpointEvery;
        _vec.ResetAll(_batch);
    }

    long CurveEvery => Math.Max(1, _spec.Steps / Math.Max(1, _spec.Options.Common.CurvePoints));

    public void Run(DeepTrainerHooks hooks)
    {
        var clock = Stopwatch.StartNew();
        int envs = _vec.Count;
        while (_step < _spec.Steps)
        {
            _batch.Step = _step;
            Learner.Act(_batch.Obs, envs, _batch.Actions, _batch.Continuous, _step, greedy: false);
            _vec.Step(_batch);
            Learner.Observe(_batch);
            _vec.Advance(_batch, r => { _episodes++; _windowEpisodes++; _windowReturn += r; });
            long before = _step;
            _step += envs;

            if (_step / CurveEvery != before / CurveEvery || _step >= _spec.Steps)
            {
                var point = Evaluate(_secondsBefore + clock.Elapsed.TotalSeconds);
                _curve.Add(point);
                hooks.CurvePoint?.Invoke(point, Learner.Metrics);
                hooks.Progress?.Invoke(Math.Min(_step, _spec.Steps), point.TrainReturn);
                _windowReturn = 0; _windowEpisodes = 0;
            }
            bool allEnded = _batch.Terminated.Zip(_batch.Truncated).All(d => d.First || d.Second);
            if (_nextCheckpoint > 0 && _step >= _nextCheckpoint && allEnded && _step < _spec.Steps && hooks.WriteCheckpoint is not null)
            {
                var c = new Checkpoint();
                Save(c, _secondsBefore + clock.Elapsed.TotalSeconds);
                hooks.WriteCheckpoint(c);
                while (_nextCheckpoint <= _step) _nextCheckpoint += _spec.Options.Common.CheckpointEvery;
            }
        }
    }

    DeepCurvePoint Evaluate(double seconds)
    {
        double train = _windowEpisodes > 0 ? _windowReturn / _windowEpisodes : double.NaN, test = double.NaN, score = double.NaN;
        if (_spec.Env.Game is { } game)
        {
            double value = ExactEvaluator.Value(game, DeepEvaluation.PolicyOf(game, Learner));
            score = _optimal - _uniform > 1e-12 ? (value - _uniform) / (_optimal - _uniform) : 1;
        }
        else test = DeepEvaluation.GreedyReturn(_spec.Env, Learner, _spec.Options.Common.EvalEpisodes, Mapping.LearnerDiscrete, Mapping.Dim);
        return new DeepCurvePoint(Math.Min(_step, _spec.Steps), _episodes, train, test, score, Learner.Updates, seconds);
    }

    void Save(Checkpoint c, double seconds)
    {
        Learner.Save(c);
        c.Put("trainer.step", _step); c.Put("trainer.episodes", _episodes); c.Put("trainer.next_checkpoint", _nextCheckpoint);
        c.Put("trainer.seconds", seconds);
        c.Put("trainer.window_return", _windowReturn); c.Put("trainer.window_episodes", _windowEpisodes);
        c.Put("trainer.episode_index", _vec.EpisodeIndex.Select(x => (double)x).ToArray());
        c.Put("trainer.curve", _curve.SelectMany(p => p.ToArray()).ToArray());
    }

    /// <summary>Continues from a checkpoint: every copy restarts the episode it was about to start, from the same seed.</summary>
    public void Load(Checkpoint c)
    {
        Learner.Load(c);
        _step = c.Long("trainer.step"); _episodes = c.Long("trainer.episodes"); _nextCheckpoint = c.Long("trainer.next_checkpoint");
        _secondsBefore = c.Double("trainer.seconds");
        var idx = c.Doubles("trainer.episode_index");
        for (int e = 0; e < idx.Length && e < _vec.Count; e++) _vec.EpisodeIndex[e] = (long)idx[e];
        _curve.Clear();
        var flat = c.Doubles("trainer.curve");
        for (int k = 0; k + 7 <= flat.Length; k += 7) _curve.Add(DeepCurvePoint.FromArray(flat.AsSpan(k, 7)));
        _windowReturn = c.Double("trainer.window_return"); _windowEpisodes = c.Long("trainer.window_episodes");
        _vec.ResetAll(_batch);
    }

    public long Step => _step;

    public void Dispose()
    {
        Learner.Dispose();
        _vec.Dispose();
    }
}
