using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Telemetry;
using MarlEdge.Runtime.Telemetry.Proto;
using Xunit;
using Xunit.Abstractions;

namespace MarlEdge.Tests.Runtime;

/// <summary>
/// The telemetry queue writes each message durably (temp file, fsync, rename, directory fsync). These tests check that it still
/// keeps up with the fastest telemetry interval while the control loop runs, and that a message interrupted before its rename
/// is never delivered.
/// </summary>
[Collection(RealTimeCollection.Name)]
public class DiskQueueDurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public void A_message_interrupted_before_its_rename_is_discarded_on_open_and_whole_messages_survive()
    {
        var dir = Directory.CreateTempSubdirectory("marledge-q-").FullName;
        try
        {
            var q = new DiskQueue(dir, 10);
            q.Enqueue("t/a", [1, 2, 3], 5);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            File.WriteAllBytes(Path.Combine(dir, "000000000002.msg.tmp"), [9, 9]); // a power cut between write and rename
            var again = new DiskQueue(dir, 10);
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            Assert.Equal(1, again.Count);
            var m = again.Peek()!;
            Assert.Equal(("t/a", 5L), (m.Topic, m.CreatedUnixMs));
            Assert.Equal([1, 2, 3], m.Payload);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task The_fsynced_queue_keeps_up_with_the_fastest_interval_while_the_control_loop_runs_unchanged()
    {
        int port = Net.FreePort();
        using var dev = new SimDevice();
        using var rt = dev.Start();
        var dir = Path.Combine(dev.Root, "tel-queue");
        var seen = new ConcurrentQueue<Payload>();
        await using var broker = new EmbeddedBroker(port);
        broker.Server.InterceptingPublishAsync += e =>
        {
            if (e.ApplicationMessage.Topic.Contains("/DDATA/")) seen.Enqueue(Payload.Parser.ParseFrom(e.ApplicationMessage.Payload.ToArray()));
            return Task.CompletedTask;
        };
        await broker.StartAsync();
        var cfg = new TelemetryConfig { Broker = "embedded", Port = port, Group = "g", EdgeNode = "n", ClientId = "n", QueueDir = dir, QueueCapacity = 10_000 };
        var sampler = new TelemetrySampler(rt.Metrics);
        var node = new SparkplugNode(cfg, "dev", new DiskQueue(dir, cfg.QueueCapacity), () => sampler.Sample(0));
        node.Start();
        await Net.WaitUntil(() => node.IsConnected, TimeSpan.FromSeconds(10), "the connection");

        // The telemetry thread samples every 10 ms (the schema's fastest interval) into the fsynced queue, as TelemetryService does.
        var enqueueTicks = new List<long>();
        int maxDepth = 0, ticks = 0, skipped = 0;
        var sampleLock = new Lock();
        using var timer = new Timer(_ =>
        {
            Interlocked.Increment(ref ticks);
            if (!sampleLock.TryEnter()) { Interlocked.Increment(ref skipped); return; }
            try
            {
                long t0 = Stopwatch.GetTimestamp();
                node.EnqueueData(sampler.Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                enqueueTicks.Add(Stopwatch.GetTimestamp() - t0);
                maxDepth = Math.Max(maxDepth, node.Queue.Count);
            }
            finally { sampleLock.Exit(); }
        }, null, 10, 10);

        // Meanwhile the control loop runs its periods on this thread.
        var gpio = rt.Board.SimulatedGpio!;
        var loopTicks = new List<long>();
        var sw = Stopwatch.StartNew();
        int periods = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(4))
        {
            gpio.Pulse(32 + periods % 24);
            long t0 = Stopwatch.GetTimestamp();
            rt.Loop.Step();
            loopTicks.Add(Stopwatch.GetTimestamp() - t0);
            periods++;
            Thread.Sleep(5);
        }
        timer.Change(Timeout.Infinite, Timeout.Infinite);
        lock (sampleLock) { }
        int enqueued;
        lock (sampleLock) enqueued = enqueueTicks.Count;
        await Net.WaitUntil(() => node.Queue.Count == 0 && seen.Count >= enqueued, TimeSpan.FromSeconds(30), $"the {enqueued} samples to drain");
        await node.DisposeAsync();

        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(List<long> xs, double q) => Ms(xs.Order().ElementAt((int)Math.Min(xs.Count - 1, q * xs.Count)));
        output.WriteLine($"fsynced enqueue: {enqueued} messages, p50 {P(enqueueTicks, 0.5):F2} ms, p99 {P(enqueueTicks, 0.99):F2} ms, max queue depth {maxDepth}, timer ticks {ticks}, skipped while the previous enqueue ran {skipped}");
        output.WriteLine($"control period: {periods} periods, p50 {P(loopTicks, 0.5) * 1000:F1} us, p99 {P(loopTicks, 0.99) * 1000:F1} us");

        // Every sample arrived once, in order; nothing was dropped; the queue never backed up (the sender kept up).
        var samples = seen.Select(p => p.Metrics.First(m => m.Name == "Telemetry/Sample").LongValue).ToList();
        Assert.Equal(enqueued, samples.Count);
        for (int i = 1; i < samples.Count; i++) Assert.True(samples[i] > samples[i - 1], $"sample {samples[i]} after {samples[i - 1]}");
        Assert.Equal(0, node.Queue.Dropped);
        Assert.True(enqueued >= 50, $"only {enqueued} samples in 4 s at a 10 ms interval: the fsynced enqueue did not keep up");
        Assert.True(maxDepth < enqueued / 2, $"the queue backed up to {maxDepth} of {enqueued} messages");
        // The loop ran every period under the policy: the disk is not on its path.
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(periods, rt.Metrics.Decisions);
    }
}
