using System.Net;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet.Server;

namespace MarlEdge.Runtime.Telemetry;

/// <summary>The embedded MQTTnet broker (the default): bound to 127.0.0.1 only, so local SCADA or a bridge can subscribe.</summary>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    public MqttServer Server { get; }
    public int Port { get; }

    public EmbeddedBroker(int port)
    {
        Port = port;
        var factory = new MqttServerFactory();
        var options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port)
            .WithoutEncryptedEndpoint().Build();
        Server = factory.CreateMqttServer(options);
    }

    public Task StartAsync() => Server.StartAsync();
    public Task StopAsync() => Server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (Server.IsStarted) await Server.StopAsync();
        Server.Dispose();
    }
}

/// <summary>
/// Telemetry as a hosted service, entirely off the control thread: every interval_ms it samples the runtime's counters into a DDATA
/// payload and queues it on disk; the <see cref="SparkplugNode"/> sends from the queue whenever the broker is reachable. Stopping
/// (after the control loop stopped) queues a last sample, flushes for a few seconds and publishes NDEATH.
/// </summary>
sealed class TelemetryService(HostedAgents agents, ILogger<TelemetryService> log) : IHostedService
{
    EmbeddedBroker? _broker;
    SparkplugNode? _node;
    TelemetrySampler[]? _samplers;
    Timer? _timer;
    readonly Lock _sampleLock = new();
    Task _started = Task.CompletedTask;

    /// <summary>
    /// Returns at once: the broker, the disk queue and the Sparkplug node start on the thread pool, so the control loop (started
    /// next) does not wait for them before its first decision. Telemetry was never on the control path; now neither is its start-up.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = Task.Run(async () =>
        {
            try { await StartCoreAsync(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                log.LogError("telemetry did not start: {Error}; the device runs without telemetry", e.Message);
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    async Task StartCoreAsync()
    {
        var first = agents.Runtimes[0].Config;
        var cfg = first.Telemetry;
        if (cfg.Broker == "embedded")
        {
            _broker = new EmbeddedBroker(cfg.Port);
            try { await _broker.StartAsync(); log.LogInformation("embedded MQTT broker on 127.0.0.1:{Port}", cfg.Port); }
            catch (Exception e) { log.LogWarning("embedded MQTT broker did not start: {Error}; telemetry stays queued on disk", e.Message); }
        }
        string dir = cfg.QueueDir ?? Path.Combine(Path.GetTempPath(), $"marl-edge-{first.HostId}-telemetry");
        var queue = new DiskQueue(dir, cfg.QueueCapacity);
        // One Sparkplug device per agent, each with its own metrics; the node (NBIRTH/NDEATH, bdSeq, the queue) is shared.
        var samplers = agents.Runtimes.Select(rt => new TelemetrySampler(rt.Metrics, () => rt.Board.CpuTemperature, () => queue.Dropped)).ToArray();
        _samplers = samplers;
        var fullCfg = cfg.QueueDir is null ? CopyWithQueueDir(cfg, dir) : cfg;
        _node = new SparkplugNode(fullCfg, agents.Runtimes.Select((rt, i) => (rt.Config.DeviceId,
                (Func<Telemetry.Proto.Payload>)(() => { lock (_sampleLock) return samplers[i].Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); }))).ToArray(),
            queue, msg => log.LogDebug("{Message}", msg));
        _node.Start();
        var every = TimeSpan.FromMilliseconds(cfg.IntervalMs);
        _timer = new Timer(_ => Sample(), null, every, every);
    }

    static TelemetryConfig CopyWithQueueDir(TelemetryConfig c, string dir) => new()
    {
        Enabled = c.Enabled, Broker = c.Broker, Host = c.Host, Port = c.Port, ClientId = c.ClientId, Username = c.Username,
        PasswordFile = c.PasswordFile, Tls = c.Tls, Group = c.Group, EdgeNode = c.EdgeNode, IntervalMs = c.IntervalMs,
        QueueDir = dir, QueueCapacity = c.QueueCapacity,
    };

    /// <summary>One sample into the (fsynced) disk queue. A tick that comes while the previous sample is still being written is
    /// skipped and counted rather than queued up behind it, so a slow disk never piles up timer threads.</summary>
    void Sample()
    {
        if (!_sampleLock.TryEnter()) { Interlocked.Increment(ref _skippedSamples); return; }
        try
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < _samplers!.Length; i++) _node!.EnqueueData(i, _samplers[i].Sample(now));
        }
        catch (IOException e) { log.LogWarning("telemetry queue: {Error}", e.Message); }
        finally { _sampleLock.Exit(); }
    }

    long _skippedSamples;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _started;
        if (_timer is not null) await _timer.DisposeAsync();
        if (_node is not null)
        {
            lock (_sampleLock) { }   // a tick still writing finishes first, so the last sample is not skipped
            Sample();
            await _node.StopAsync(TimeSpan.FromSeconds(3));
            log.LogInformation("telemetry: {Published} messages published, {Queued} still queued on disk, {Dropped} dropped, {Skipped} ticks skipped behind a slow write",
                _node.Published, _node.Queue.Count, _node.Queue.Dropped, Interlocked.Read(ref _skippedSamples));
            await _node.DisposeAsync();
        }
        if (_broker is not null) await _broker.DisposeAsync();
    }
}
