using System.Globalization;
using System.Text.Json;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;
using MarlEdge.Trainer.Tabular;

namespace MarlEdge.Trainer.Commands;

public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "train decentralized agents on an environment and write a run folder";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "tabular", "quiet", "share-params" };
    public string Help => $"""
        usage: marl train --env SPEC --algo iql|ma2ql|i2q|ippo|dpo --tabular --steps N [--seed S] --out DIR [--set K=V,...]
               marl train --env SPEC --algo iql|ma2ql|i2q|ippo|dpo|mdpo --steps N [--seed S] --out DIR [--set K=V,...] [--share-params]
               marl train --resume DIR

        Trains one independent learner per agent: each learns from its own observation, its own action and the shared
        reward, with no communication, no parameter sharing and no centralized critic.

          --env SPEC     the environment:
        {Deep.Envs.DeepEnvs.SpecHelp}
          --algo NAME    iql, ma2ql, i2q, ippo, dpo, or (deep only) mdpo; SUMO's baselines run with marl sumo-baseline
          --tabular      tabular learners (one-hot observations of a tabular game; on sumo each intersection's state is its
                         current phase and the binned queue each green phase serves, see PhaseQueueStates); without it, the deep learners
                         (TorchSharp networks per agent, batched; see trainer/Deep), which also write networks/agent-<i>.onnx,
                         deep.json and, with --set CheckpointEvery=N, checkpoint.bin
          --share-params deep only: one network shared by all agents (off by default: every agent has its own)
          --resume DIR   deep runs, and tabular runs on sumo: continue the run in DIR from its last checkpoint; it ends
                         where an uninterrupted run ends
          --steps N      environment steps (≥ 0); on sumo: one step is one decision of every signal (step_length_s),
                         so one-hour episodes of 10 s steps are 360 steps each
                         sumo: one SUMO process (deep: Envs=1); the run folder also gets episodes.csv (each training
                         episode's avg_delay, throughput, ...), networks/observation.json (deep: feature scales) or
                         policy.json (tabular: each agent's discretization and greedy table) and tripinfo.xml of a final
                         greedy episode; summary.json holds RESCO's metrics; deep runs keep networks-best/,
                         networks-best-all/ (chosen on training episodes) and networks-snapshots/ (every 5 episodes,
                         for marl validate)
          --seed S       random seed (default 0); the same seed gives the same run
          --out DIR      the run folder: config.json, metrics.csv, summary.json, curve.png, policy.json
          --set K=V,...  override learner settings by name, e.g. --set Rounds=8,Growth=1.3 (MA2QL)
          --quiet        no progress display
        """;

    public int Run(CommandArgs args)
    {
        if (args.String("resume") is string resume)
        {
            bool q = args.Flag("quiet");
            args.RejectUnknown();
            if (Sumo.Learning.SumoTabularTraining.IsTabularSumoRun(resume)) { Console.WriteLine(Sumo.Learning.SumoTabularTraining.Resume(new RunFolder(resume), q).ToJsonString()); return 0; }
            if (Sumo.Learning.SumoTraining.IsSumoRun(resume)) { Console.WriteLine(Sumo.Learning.SumoTraining.Resume(new RunFolder(resume), q).ToJsonString()); return 0; }
            Console.WriteLine(JsonSerializer.Serialize(Deep.Training.DeepRun.Resume(new RunFolder(resume), q)));
            return 0;
        }
        string env = args.RequiredString("env");
        string algo = args.RequiredString("algo");
        bool tabular = args.Flag("tabular");
        long steps = args.Long("steps", -1);
        if (args.String("steps") is null) throw new UsageException("missing required option --steps");
        if (steps < 0) throw new UsageException($"--steps must not be negative, got {steps}");
        int seed = args.Int("seed", 0);
        string outDir = args.RequiredString("out");
        string? set = args.String("set");
        bool quiet = args.Flag("quiet");
        args.RejectUnknown();
        bool share = args.Flag("share-params");
        if (Sumo.SumoScenario.IsSumoSpec(env))
        {
            if (tabular)
            {
                if (share) throw new UsageException("--share-params applies to deep learners only");
                var tabularOptions = LearnerOptions.Default.With(algo, set);
                Console.WriteLine(Sumo.Learning.SumoTabularTraining.Start(new RunFolder(outDir), env, algo, tabularOptions, steps, seed, quiet, set).ToJsonString());
                return 0;
            }
            var sumoOptions = Sumo.Learning.SumoTraining.OptionsFor(env, algo, set);
            Console.WriteLine(Sumo.Learning.SumoTraining.Start(new RunFolder(outDir), env, algo, sumoOptions, steps, seed, share, quiet).ToJsonString());
            return 0;
        }
        if (!tabular)
        {
            var deepOptions = Deep.Learners.DeepOptions.Default.With(algo, set);
            var spec = new Deep.Training.DeepRunSpec(Deep.Envs.DeepEnvs.Resolve(env), algo, deepOptions, steps, seed, share);
            Console.WriteLine(JsonSerializer.Serialize(Deep.Training.DeepRun.Start(new RunFolder(outDir), spec, quiet)));
            return 0;
        }
        if (share) throw new UsageException("--share-params applies to deep learners only");

        var game = GameSpecs.RequireTabular(env);
        var options = LearnerOptions.Default.With(algo, set);
        var folder = new RunFolder(outDir);
        folder.WriteConfig(new RunConfig(env, algo, seed, steps, true, $"{algo}-{game.Name}-seed{seed}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}",
            DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), options.For(algo)));

        using var progress = new ProgressLine("train", steps, quiet);
        var run = TabularTrainer.Train(game, algo, options, steps, seed, progress: progress.Report);
        progress.Done();

        run.Policy.Write(folder.PolicyPath);
        folder.WriteTabularCurve($"{algo} on {game.Name} (seed {seed})", run.Curve);
        var summary = TabularSummaries.Of(game, env, algo, seed, steps, run.Policy);
        folder.WriteSummary(summary);
        Console.WriteLine(JsonSerializer.Serialize(summary));
        return 0;
    }
}
