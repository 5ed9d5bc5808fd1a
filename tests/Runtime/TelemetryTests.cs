using System.Collections.Concurrent;
using System.Buffers;
using Google.Protobuf;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Telemetry;
using MarlEdge.Runtime.Telemetry.Proto;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>A SCADA-side subscriber: a persistent MQTT 3.1.1 session (clean session off) on spBv1.0/#, QoS 1.</summary>
sealed class SparkplugSubscriber : IAsyncDisposable
{
    readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    readonly int _port;
    readonly string? _user, _password;
    public ConcurrentQueue<(string Topic, Payload Payload)> Received { get; } = new();

    public SparkplugSubscriber(int port, string? user = null, string? password = null)
    {
        _port = port;
        _user = user;
        _password = password;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Received.Enqueue((e.ApplicationMessage.Topic, Payload.Parser.ParseFrom(e.ApplicationMessage.Payload.ToArray())));
            return Task.CompletedTask;
        };
    }

    public async Task ConnectAsync()
    {
        var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId("scada-host-test")
            .WithProtocolVersion(MqttProtocolVersion.V311).WithCleanSession(false);
        if (_user is not null) builder.WithCredentials(_user, _password);
        var options = builder.Build();
        for (int i = 0; ; i++)
        {
            try { await _client.ConnectAsync(options); break; }
            catch (Exception) when (i < 100) { await Task.Delay(50); }
        }
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic("spBv1.0/#").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build());
    }

    public async Task PublishAsync(string topic, Payload p) =>
        await _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(p.ToByteArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    public IEnumerable<ulong> Samples(string type = "DDATA") => Received.Where(m => m.Topic.Contains($"/{type}/"))
        .Select(m => m.Payload.Metrics.First(x => x.Name == "Telemetry/Sample").LongValue);

    public async ValueTask DisposeAsync()
    {
        try { if (_client.IsConnected) await _client.DisconnectAsync(); } catch (Exception) { }
        _client.Dispose();
    }
}

[Collection(RealTimeCollection.Name)]
public class TelemetryTests
{
    static TelemetryConfig Config(int port, string queueDir, int capacity, string broker = "external") => new()
    {
        Broker = broker, Host = "127.0.0.1", Port = port, Group = "test-group", EdgeNode = "node-1", QueueDir = queueDir,
        QueueCapacity = capacity, ClientId = "node-1",
    };

    [Fact]
    public void The_disk_queue_survives_a_restart_keeps_order_and_drops_the_oldest_past_its_capacity()
    {
        var dir = Directory.CreateTempSubdirectory("marledge-q-").FullName;
        try
        {
            var q = new DiskQueue(dir, 5);
            for (int i = 0; i < 8; i++) q.Enqueue("t", [(byte)i], i);
            Assert.Equal(3, q.Dropped);
            var again = new DiskQueue(dir, 5); // a restart
            Assert.Equal(5, again.Count);
            Assert.Equal(3, again.Dropped);
            for (int i = 3; i < 8; i++)
            {
                var m = again.Peek()!;
                Assert.Equal((byte)i, m.Payload[0]);
                again.Remove(m.Id);
            }
            Assert.Null(again.Peek());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Embedded_broker_restart_loses_nothing_births_carry_bdseq_seq_runs_and_rebirth_is_honoured()
    {
        int port = Net.FreePort();
        var dir = Directory.CreateTempSubdirectory("marledge-tel-").FullName;
        var seen = new ConcurrentQueue<(string Topic, Payload Payload)>();
        EmbeddedBroker NewBroker()
        {
            var b = new EmbeddedBroker(port);
            b.Server.InterceptingPublishAsync += e =>
            {
                seen.Enqueue((e.ApplicationMessage.Topic, Payload.Parser.ParseFrom(e.ApplicationMessage.Payload.ToArray())));
                return Task.CompletedTask;
            };
            return b;
        }
        var metrics = new RuntimeMetrics();
        var sampler = new TelemetrySampler(metrics);
        var broker = NewBroker();
        await broker.StartAsync();
        var node = new SparkplugNode(Config(port, dir, 1000, "embedded"), "dev-1", new DiskQueue(dir, 1000), () => new TelemetrySampler(metrics).Sample(0));
        try
        {
            node.Start();
            await Net.WaitUntil(() => node.IsConnected, TimeSpan.FromSeconds(10), "the first connection");
            await Task.Delay(50);
            for (int i = 0; i < 10; i++) node.EnqueueData(sampler.Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            await Net.WaitUntil(() => node.Queue.Count == 0, TimeSpan.FromSeconds(10), "the first 10 DDATA");
            await broker.DisposeAsync();
            await Net.WaitUntil(() => !node.IsConnected, TimeSpan.FromSeconds(10), "the node to notice the broker is gone");
            for (int i = 0; i < 20; i++) node.EnqueueData(sampler.Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            Assert.Equal(20, node.Queue.Count); // stored while the broker is down
            await Task.Delay(300);
            broker = NewBroker();
            await broker.StartAsync();
            await Net.WaitUntil(() => node.Queue.Count == 0, TimeSpan.FromSeconds(20), "the queue to flush after the restart");

            // DDATA samples 1..30 all arrived, in order, once each.
            var ddata = seen.Where(m => m.Topic == "spBv1.0/test-group/DDATA/node-1/dev-1").ToList();
            Assert.Equal(Enumerable.Range(1, 30).Select(i => (ulong)i), ddata.Select(m => m.Payload.Metrics[0].LongValue));
            var births = seen.Where(m => m.Topic == "spBv1.0/test-group/NBIRTH/node-1").ToList();
            Assert.Equal(2, births.Count);
            var bdSeqs = births.Select(b => b.Payload.Metrics.First(x => x.Name == "bdSeq").LongValue).ToList();
            Assert.Equal(bdSeqs[0] + 1, bdSeqs[1]);
            Assert.All(births, b => Assert.Equal(0ul, b.Payload.Seq));
            Assert.Equal(2, seen.Count(m => m.Topic == "spBv1.0/test-group/DBIRTH/node-1/dev-1"));
            // seq: NBIRTH 0, DBIRTH 1, then DDATA 2, 3, ... within each session
            var order = seen.Where(m => !m.Topic.Contains("NCMD")).Select(m => m.Payload.Seq).ToList();
            for (int i = 1; i < order.Count; i++) Assert.True(order[i] == 0 || order[i] == order[i - 1] + 1, $"seq {order[i - 1]} then {order[i]}");
            // data made while the broker was down is flagged historical
            Assert.All(ddata.Skip(10), m => Assert.True(m.Payload.Metrics.All(x => x.IsHistorical)));
            Assert.All(ddata.Take(10), m => Assert.DoesNotContain(m.Payload.Metrics, x => x.IsHistorical));

            // Rebirth: a host asks over NCMD; the node publishes NBIRTH and DBIRTH again.
            await using (var host = new SparkplugSubscriber(port))
            {
                await host.ConnectAsync();
                var cmd = new Payload { Timestamp = 1 };
                cmd.Metrics.Add(Sparkplug.Bool(Sparkplug.RebirthMetric, true));
                await host.PublishAsync("spBv1.0/test-group/NCMD/node-1", cmd);
                await Net.WaitUntil(() => seen.Count(m => m.Topic.Contains("/NBIRTH/")) == 3, TimeSpan.FromSeconds(10), "the rebirth");
                // Anything else on NCMD or DCMD is ignored: no extra births, no crash.
                var other = new Payload();
                other.Metrics.Add(Sparkplug.String("Policy/Version", "evil"));
                await host.PublishAsync("spBv1.0/test-group/DCMD/node-1/dev-1", other);
                await Task.Delay(300);
                Assert.Equal(3, seen.Count(m => m.Topic.Contains("/NBIRTH/")));
                Assert.Equal(1, node.Rebirths);
            }
        }
        finally
        {
            await node.DisposeAsync();
            await broker.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Mosquitto_restart_loses_nothing_within_the_cap_and_drops_the_oldest_past_it()
    {
        using var mosquitto = new Mosquitto();
        var dir = Directory.CreateTempSubdirectory("marledge-tel-").FullName;
        var metrics = new RuntimeMetrics();
        var sampler = new TelemetrySampler(metrics);
        await using var host = new SparkplugSubscriber(mosquitto.Port);
        await host.ConnectAsync();
        var node = new SparkplugNode(Config(mosquitto.Port, dir, 25), "dev-1", new DiskQueue(dir, 25), () => new TelemetrySampler(metrics).Sample(0));
        try
        {
            node.Start();
            void Enqueue(int n) { for (int i = 0; i < n; i++) node.EnqueueData(sampler.Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())); }
            Enqueue(10);                                    // samples 1..10
            await Net.WaitUntil(() => node.Queue.Count == 0 && node.IsConnected, TimeSpan.FromSeconds(10), "live DDATA");

            mosquitto.Stop();
            await Net.WaitUntil(() => !node.IsConnected, TimeSpan.FromSeconds(10), "the node to notice mosquitto is gone");
            Enqueue(20);                                    // within the cap of 25
            mosquitto.Start();
            await host.ConnectAsync();                      // the persistent session got what was published meanwhile
            await Net.WaitUntil(() => node.Queue.Count == 0 && host.Samples().Distinct().Count() >= 30, TimeSpan.FromSeconds(20), "flush after restart");
            var all = host.Samples().Distinct().Order().ToList();

            mosquitto.Stop();
            await Net.WaitUntil(() => !node.IsConnected, TimeSpan.FromSeconds(10), "the second outage");
            Enqueue(40);                                    // 15 past the cap: the oldest go
            Assert.Equal(25, node.Queue.Count);
            Assert.Equal(15, node.Queue.Dropped);
            mosquitto.Start();
            await host.ConnectAsync();
            await Net.WaitUntil(() => node.Queue.Count == 0 && host.Samples().Distinct().Count() >= 55, TimeSpan.FromSeconds(20), "second flush");

            var samples = host.Samples().Distinct().Order().ToList();
            var expected = Enumerable.Range(1, 30).Concat(Enumerable.Range(46, 25)).Select(i => (ulong)i).ToList(); // all of 1..30, the 25 newest of 31..70
            Assert.Equal(expected, samples);
            Assert.Equal(30, all.Count);
        }
        finally
        {
            await node.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// The whole process against mosquitto: NBIRTH/DBIRTH/DDATA arrive; SIGKILL makes mosquitto publish the Last Will, an NDEATH
    /// whose bdSeq is the NBIRTH's; a second run stopped with SIGTERM finishes cleanly (exit 0, safe state, NDEATH sent by the node).
    /// </summary>
    [Fact]
    public async Task A_killed_process_leaves_its_ndeath_will_and_sigterm_shuts_down_cleanly()
    {
        using var mosquitto = new Mosquitto();
        using var dev = new SimDevice(t => t.Replace("broker: embedded", "broker: external\n  host: 127.0.0.1")
            .Replace("port: 18830", $"port: {mosquitto.Port}").Replace("interval_ms: 1000", "interval_ms: 200"));
        await using var host = new SparkplugSubscriber(mosquitto.Port);
        await host.ConnectAsync();

        using (var p = EdgeProcess.Start("run", "--config", dev.ConfigPath))
        {
            await Net.WaitUntil(() => host.Samples().Count() >= 2, TimeSpan.FromSeconds(30), "DDATA from the process");
            Net.kill(p.Id, Net.SIGKILL);
            p.WaitForExit();
        }
        await Net.WaitUntil(() => host.Received.Any(m => m.Topic.EndsWith("/NDEATH/sim-node")), TimeSpan.FromSeconds(30), "the NDEATH will");
        ulong BdSeq(Payload p) => p.Metrics.First(m => m.Name == "bdSeq").LongValue;
        var birth = host.Received.Last(m => m.Topic.EndsWith("/NBIRTH/sim-node"));
        var death = host.Received.Last(m => m.Topic.EndsWith("/NDEATH/sim-node"));
        Assert.Equal(BdSeq(birth.Payload), BdSeq(death.Payload));
        Assert.Contains(host.Received, m => m.Topic == "spBv1.0/marledge-sim/DBIRTH/sim-node/sim-intersection");
        var data = host.Received.Last(m => m.Topic.Contains("/DDATA/")).Payload;
        Assert.Equal("Policy", data.Metrics.First(m => m.Name == "Control/Mode").StringValue);
        // p99 is over the interval since the previous sample, NaN when no decision fell in it (a starved control thread on a loaded box).
        Assert.Contains(host.Received, m => m.Topic.Contains("/DDATA/") && m.Payload.Metrics.First(x => x.Name == "Control/Latency p99 us").DoubleValue > 0);

        using (var p = EdgeProcess.Start("run", "--config", dev.ConfigPath))
        {
            int deaths = host.Received.Count(m => m.Topic.EndsWith("/NDEATH/sim-node"));
            int births = host.Received.Count(m => m.Topic.EndsWith("/NBIRTH/sim-node"));
            await Net.WaitUntil(() => host.Received.Count(m => m.Topic.EndsWith("/NBIRTH/sim-node")) > births, TimeSpan.FromSeconds(30), "the second NBIRTH");
            await Task.Delay(500);
            Net.kill(p.Id, Net.SIGTERM);
            var stdout = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(20_000), "no exit within 20 s of SIGTERM");
            Assert.Equal(0, p.ExitCode);
            Assert.Contains("outputs in the safe state (all_red)", await stdout);
            await Net.WaitUntil(() => host.Received.Count(m => m.Topic.EndsWith("/NDEATH/sim-node")) > deaths, TimeSpan.FromSeconds(10), "the NDEATH on SIGTERM");
            var birth2 = host.Received.Last(m => m.Topic.EndsWith("/NBIRTH/sim-node"));
            Assert.Equal(BdSeq(birth.Payload) + 1, BdSeq(birth2.Payload));
            Assert.Equal(BdSeq(birth2.Payload), BdSeq(host.Received.Last(m => m.Topic.EndsWith("/NDEATH/sim-node")).Payload));
        }
    }
}
