using System.Text.Json;
using MarlEdge.Shared.Games;
using MarlEdge.Trainer.Cli;
using MarlEdge.Trainer.Runs;

namespace MarlEdge.Trainer.Commands;

public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "evaluate a run folder's policy (exactly, on tabular games; deep runs too)";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "eval-sample" };
    public string Help => """
        usage: marl eval --run DIR [--json] [--episodes N] [--eval-epsilon E | --eval-sample] [--networks final|best|best-all|val]

        Evaluates the policy in a run folder. On tabular games the scores are exact (no sampling): the policy's value,
        V*, the uniform-random value, normalized_score = (V^π − V^unif)/(V* − V^unif), optimality_gap = V* − V^π and
        exploitability = Σ_i (best response of agent i − V^π). mean_return is the mean undiscounted return of 1000
        sampled episodes with the run's seed. The object is the same as the run's summary.json.
        Deep runs (marl train without --tabular): on tabular games the same exact scores of policy.json; on continuous
        games (diff-i2q, diff-dpo) mean_return is the mean return of 100 greedy episodes of networks/agent-<i>.onnx
        (Gaussian policies act with their mean), the episodes summary.json was computed on.

          --run DIR   a folder written by marl train
          --json      print one JSON object (otherwise a table)

        SUMO runs (sumo:...): every agent acts with its own networks/agent-<i>.onnx (or its table) for whole one-hour
        episodes from the held-out evaluation seeds 1000003, 1000004, ...; the metrics (RESCO's avg_delay and the rest)
        come from SUMO's tripinfo.xml, written into the run folder (the last episode's); summary.json is not rewritten.
        Beside RESCO's avg_delay: not_inserted (scheduled vehicles that never got in) and avg_delay_all, which charges
        each of them (end - scheduled depart) too (RESCO's term misses those behind an entry blocked for good).
          --episodes N        evaluation episodes, each from its own seed; the metrics are means (default 1)
          --eval-epsilon E    act ε-greedily: at each decision each agent takes a uniformly random one of its valid
                              phases with probability E (DQN's evaluation, Mnih et al. 2015, uses 0.05); seeded from the
                              episode's seed, so reruns repeat; recorded as eval_epsilon (default 0: greedy)
          --eval-sample       actor-critic runs (ippo, dpo, mdpo): each agent draws its phase from its actor's masked
                              softmax, as it did in training and as the edge runtime does when it learns on the device;
                              seeded from the episode's seed; recorded as eval_actions (greedy, epsilon-greedy, sampled)
          --networks best     evaluate networks-best/ (deep runs): the networks as they were at the end of the
                              training episode with the lowest avg_delay, chosen on training episodes only; the
                              summary names that episode (default final: networks/, the end of training)
          --networks best-all evaluate networks-best-all/: the same, selected on the lowest avg_delay_all (which a
                              policy cannot lower by keeping vehicles outside the net)
          --networks val      evaluate networks-val/: the snapshot marl validate chose on validation seeds
        """;

    public int Run(CommandArgs args)
    {
        var folder = new RunFolder(args.RequiredString("run"));
        bool json = args.Flag("json");
        int episodes = args.Int("episodes", 1, min: 1);
        double epsilon = args.Double("eval-epsilon", 0);
        bool sample = args.Flag("eval-sample");
        var selection = Sumo.Learning.NetworkSelection.Named(args.String("networks") ?? "final");
        args.RejectUnknown();
        var config = folder.ReadConfig();
        if (Sumo.Learning.SumoEval.Handles(config))
            return Sumo.Learning.SumoEval.Run(folder, config, json, episodes, new Sumo.Learning.EvalExploration(epsilon, sample), selection);
        if (episodes != 1 || epsilon != 0 || sample || selection is not null) throw new UsageException("--episodes, --eval-epsilon, --eval-sample and --networks apply to SUMO runs only");
        RunSummary summary;
        if (!config.Tabular) summary = Deep.Training.DeepRun.Evaluate(folder);   // deep runs: the object of their summary.json
        else
        {
            var game = GameSpecs.RequireTabular(config.Env);
            var policy = TabularPolicy.Read(folder.PolicyPath);
            policy.CheckFits(game);
            summary = TabularSummaries.Of(game, config.Env, config.Algo, config.Seed, config.Steps, policy);
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(summary));
        else
        {
            using var doc = JsonDocument.Parse(JsonSerializer.Serialize(summary));
            foreach (var p in doc.RootElement.EnumerateObject()) Console.WriteLine($"{p.Name,-18} {p.Value}");
        }
        return 0;
    }
}
