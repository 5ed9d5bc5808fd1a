using System.Diagnostics;
using System.Globalization;
using System.Text;
using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;

namespace MarlEdge.Trainer.Deep.Bench;

/// <summary>
/// Gradient updates/s and environment steps/s of each learner on random-sg 30/3/5 (3 agents), batched against a loop over
/// per-agent networks (one torch thread), and the RSS growth of a long IQL run.
/// </summary>
public static class DeepSpeedBench
{
    public const string Env = "random-sg:states=30,agents=3,actions=5,seed=0";

    public static string Run(long steps, long rssFrom, long rssTo, Action<string> log)
    {
        TorchSharp.torch.set_num_threads(1);
        var def = DeepEnvs.Resolve(Env);
        var sb = new StringBuilder("| learner | batched: env steps/s | batched: updates/s | per-agent loop: env steps/s | per-agent loop: updates/s | speed-up |\n|---|---|---|---|---|---|\n");
        foreach (var algo in DeepOptions.Algorithms)
        {
            var b = Measure(def, algo, steps, batched: true);
            var l = Measure(def, algo, steps, batched: false);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"| {algo.ToUpperInvariant()} | {b.Steps:N0} | {b.Updates:N0} | {l.Steps:N0} | {l.Updates:N0} | {b.Steps / l.Steps:F2}× |");
            log(line);
            sb.AppendLine(line);
        }
        sb.AppendLine();
        sb.AppendLine(Rss(def, rssFrom, rssTo, log));
        return sb.ToString();
    }

    static (double Steps, double Updates) Measure(DeepEnvDefinition def, string algo, long steps, bool batched)
    {
        // Q-learners start updating at once (LearningStarts is theirs only); everything else keeps the defaults.
        var options = DeepOptions.Default.With(algo, algo is "iql" or "ma2ql" or "i2q" ? "LearningStarts=0,CurvePoints=1,EvalEpisodes=0" : "CurvePoints=1,EvalEpisodes=0");
        using var vec = new VecEnv(def, options.Common.Envs, 0, true);
        var task = new DeepTask(vec.Agents, 0, vec.ObsDim, vec.Mapping.LearnerActions, 0, def.Game!.Gamma, options.Common.Envs, steps, 0, false, def.Game.Horizon, vec.OneHotObs);
        using IDeepLearner learner = batched ? LearnerFactory.Create(algo, task, options, vec.Agents) : new PerAgentLoop(algo, task, options);
        var batch = new StepBatch(vec.Agents, options.Common.Envs, vec.ObsDim, 0);
        vec.ResetAll(batch);
        var clock = Stopwatch.StartNew();
        long step = 0;
        while (step < steps)
        {
            batch.Step = step;
            learner.Act(batch.Obs, options.Common.Envs, batch.Actions, batch.Continuous, step, false);
            vec.Step(batch);
            learner.Observe(batch);
            vec.Advance(batch, _ => { });
            step += options.Common.Envs;
        }
        double s = clock.Elapsed.TotalSeconds;
        return (step / s, learner.Updates / s);
    }

    /// <summary>RSS after rssFrom and after rssTo environment steps of deep IQL (dispose scopes keep native memory flat).</summary>
    static string Rss(DeepEnvDefinition def, long from, long to, Action<string> log)
    {
        var options = DeepOptions.Default.With("iql", $"CurvePoints={Math.Max(1, to / from)},Threads=1");
        using var trainer = new DeepTrainer(new DeepRunSpec(def, "iql", options, to, 0, false));
        long rssFrom = 0, rssTo = 0;
        trainer.Run(new DeepTrainerHooks(CurvePoint: (p, _) =>
        {
            using var me = Process.GetCurrentProcess();
            if (p.Step >= from && rssFrom == 0) rssFrom = me.WorkingSet64;
            rssTo = me.WorkingSet64;
            log(string.Create(CultureInfo.InvariantCulture, $"IQL at {p.Step:N0} steps: RSS {me.WorkingSet64 / 1048576.0:F1} MiB"));
        }));
        double growth = 100.0 * (rssTo - rssFrom) / rssFrom;
        return string.Create(CultureInfo.InvariantCulture,
            $"RSS of deep IQL on {Env}: {rssFrom / 1048576.0:F1} MiB at {from:N0} steps, {rssTo / 1048576.0:F1} MiB at {to:N0} steps: growth {growth:F1}% (target < 5%)");
    }
}
