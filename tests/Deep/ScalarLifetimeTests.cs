using MarlEdge.Trainer.Deep.Envs;
using MarlEdge.Trainer.Deep.Learners;
using MarlEdge.Trainer.Deep.Training;
using Xunit;

namespace MarlEdge.Tests.Deep;

/// <summary>
/// TorchSharp's Scalar holds a raw native handle and frees it in its finalizer. A Scalar made implicitly for one call
/// (t * 0.9, t.pow(2)) is unreachable once its handle is read, so a garbage collection during the native call may free it
/// while libtorch still reads it ("Unknown scalar type", or worse). This test trains every learner while another thread
/// collects garbage and runs finalizers as fast as it can, which makes that race likely if any hot path still has it.
/// </summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void EveryLearnerTrainsWhileAnotherThreadCollectsGarbage()
    {
        using var stop = new CancellationTokenSource();
        var hammer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        hammer.Start();
        try
        {
            foreach (var (env, algo) in new[]
            {
                ("random-sg:states=6,agents=2,actions=3,seed=1", "iql"), ("random-sg:states=6,agents=2,actions=3,seed=1", "ma2ql"),
                ("random-sg:states=6,agents=2,actions=3,seed=1", "i2q"), ("random-sg:states=6,agents=2,actions=3,seed=1", "ippo"),
                ("random-sg:states=6,agents=2,actions=3,seed=1", "dpo"), ("random-sg:states=6,agents=2,actions=3,seed=1", "mdpo"),
                ("diff-dpo", "dpo"), ("diff-dpo", "ippo"), ("diff-dpo", "mdpo"),
            })
            {
                var options = DeepOptions.Default.With(algo, "CurvePoints=1,EvalEpisodes=0,Hidden=16");
                if (algo is "iql" or "ma2ql" or "i2q") options = options with { Q = options.Q with { LearningStarts = 100 } };
                using var trainer = new DeepTrainer(new DeepRunSpec(DeepEnvs.Resolve(env), algo, options, 1500, 3, false));
                trainer.Run(new DeepTrainerHooks());
            }
        }
        finally
        {
            stop.Cancel();
            hammer.Join();
        }
    }
}
