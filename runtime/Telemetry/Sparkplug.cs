using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Telemetry.Proto;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace MarlEdge.Runtime.Telemetry;

/// <summary>Sparkplug B data types (the spec's DataType enum).</summary>
public static class SpDataType
{
    public const uint Int32 = 3, Int64 = 4, UInt64 = 8, Float = 9, Double = 10, Boolean = 11, String = 12;
}

/// <summary>Sparkplug B topics and metric helpers.</summary>
public static class Sparkplug
{
    public const string Namespace = "spBv1.0";
    public const string RebirthMetric = "Node Control/Rebirth";
    public const string BdSeqMetric = "bdSeq";

    public static string Topic(string group, string type, string node, string? device = null) =>
        device is null ? $"{Namespace}/{group}/{type}/{node}" : $"{Namespace}/{group}/{type}/{node}/{device}";

    public static Payload.Types.Metric Long(string name, long v) => new() { Name = name, Datatype = SpDataType.UInt64, LongValue = (ulong)Math.Max(0, v) };
    public static Payload.Types.Metric Int(string name, int v) => new() { Name = name, Datatype = SpDataType.Int32, IntValue = unchecked((uint)v) };
    public static Payload.Types.Metric Float(string name, float v) => float.IsFinite(v)
        ? new() { Name = name, Datatype = SpDataType.Float, FloatValue = v } : new() { Name = name, Datatype = SpDataType.Float, IsNull = true };
    public static Payload.Types.Metric Double(string name, double v) => double.IsFinite(v)
        ? new() { Name = name, Datatype = SpDataType.Double, DoubleValue = v } : new() { Name = name, Datatype = SpDataType.Double, IsNull = true };
    public static Payload.Types.Metric Bool(string name, bool v) => new() { Name = name, Datatype = SpDataType.Boolean, BooleanValue = v };
    public static Payload.Types.Metric String(string name, string v) => new() { Name = name, Datatype = SpDataType.String, StringValue = v };
}

/// <summary>
/// Turns the runtime's counters into a Sparkplug payload (latency percentiles over the interval since the last sample).
/// Called on the telemetry thread only.
/// </summary>
public sealed class TelemetrySampler(RuntimeMetrics m, Func<float>? cpuTemperature = null, Func<long>? queueDropped = null)
{
    long[]? _lastDecision;
    long _sample;

    public Payload Sample(long nowUnixMs)
    {
        var snap = m.Decision.Snapshot();
        var p = new Payload { Timestamp = (ulong)nowUnixMs };
        p.Metrics.Add(Sparkplug.Long("Telemetry/Sample", ++_sample));
        p.Metrics.Add(Sparkplug.Long("Control/Periods", Interlocked.Read(ref m.Periods)));
        p.Metrics.Add(Sparkplug.Long("Control/Decisions", Interlocked.Read(ref m.Decisions)));
        p.Metrics.Add(Sparkplug.Long("Control/Overruns", Interlocked.Read(ref m.Overruns)));
        p.Metrics.Add(Sparkplug.Double("Control/Latency p50 us", LatencyHistogram.PercentileUs(snap, _lastDecision, 0.50)));
        p.Metrics.Add(Sparkplug.Double("Control/Latency p99 us", LatencyHistogram.PercentileUs(snap, _lastDecision, 0.99)));
        p.Metrics.Add(Sparkplug.Double("Control/Latency max us", m.Decision.MaxNs / 1000.0));
        p.Metrics.Add(Sparkplug.Int("Control/Action", m.LastAction));
        p.Metrics.Add(Sparkplug.Float("Control/Reward", m.LastReward));
        p.Metrics.Add(Sparkplug.Double("Control/Cumulative reward", m.CumulativeReward));
        p.Metrics.Add(Sparkplug.String("Control/Mode", m.Mode.ToString()));
        p.Metrics.Add(Sparkplug.Bool("Control/Fallback", m.Mode != ControlMode.Policy));
        p.Metrics.Add(Sparkplug.String("Control/Faults", m.Faults.ToString()));
        p.Metrics.Add(Sparkplug.Long("Control/Fallback entries", Interlocked.Read(ref m.FallbackEntries)));
        p.Metrics.Add(Sparkplug.Long("Control/Handbacks", Interlocked.Read(ref m.Handbacks)));
        p.Metrics.Add(Sparkplug.Long("Control/Watchdog trips", Interlocked.Read(ref m.WatchdogTrips)));
        p.Metrics.Add(Sparkplug.Long("Control/Monitor trips", Interlocked.Read(ref m.MonitorTrips)));
        p.Metrics.Add(Sparkplug.String("Policy/Version", m.PolicyVersion));
        p.Metrics.Add(Sparkplug.Bool("Learning/Active", m.Learning));
        p.Metrics.Add(Sparkplug.Long("Learning/Updates", Interlocked.Read(ref m.Updates)));
        p.Metrics.Add(Sparkplug.Float("Learning/Loss", m.LastLoss));
        p.Metrics.Add(Sparkplug.Long("Learning/Promotions", Interlocked.Read(ref m.Promotions)));
        p.Metrics.Add(Sparkplug.Long("Learning/Rollbacks", Interlocked.Read(ref m.Rollbacks)));
        p.Metrics.Add(Sparkplug.Long("Learning/Dropped transitions", Interlocked.Read(ref m.DroppedTransitions)));
        if (queueDropped is not null) p.Metrics.Add(Sparkplug.Long("Telemetry/Dropped", queueDropped()));
        float temp = cpuTemperature?.Invoke() ?? float.NaN;
        if (float.IsFinite(temp)) p.Metrics.Add(Sparkplug.Float("Device/CPU temperature", temp));
        _lastDecision = snap;
        return p;
    }
}

/// <summary>
/// A Sparkplug B edge node with one device (or one per agent), over MQTTnet 5 (MQTT 3.1.1): NDEATH with bdSeq as the Last Will, NBIRTH then DBIRTH on
/// every (re)connect, DDATA with seq 0..255, all QoS 1. Data goes through the <see cref="DiskQueue"/> and is removed only when the
/// broker acknowledged it, so nothing is lost across a broker restart within the queue's capacity; messages made before the current
/// session are flagged is_historical. The node subscribes to its NCMD topic only, and acts only on Node Control/Rebirth.
/// </summary>
public sealed class SparkplugNode : IAsyncDisposable
{
    readonly TelemetryConfig _cfg;
    readonly string[] _devices;
    readonly string[] _ddataTopics;
    readonly DiskQueue _queue;
    readonly Func<Payload>[] _birthMetrics;
    readonly Action<string>? _log;
    readonly IMqttClient _client;
    readonly string _bdSeqFile;
    readonly CancellationTokenSource _stop = new();
    readonly SemaphoreSlim _wake = new(0);
    Task? _loop;
    ulong _bdSeq;
    ulong _seq;
    long _sessionStartMs;
    volatile bool _rebirth;
    public long Published, Connects, Rebirths, PublishFailures;
    /// <summary>Why the last connect or publish failed (null after a success): e.g. the broker refused the user name or password.</summary>
    public string? LastError => Volatile.Read(ref _lastError);
    string? _lastError;
    public bool IsConnected => _client.IsConnected;
    public DiskQueue Queue => _queue;
    public string NodeTopic(string type) => Sparkplug.Topic(_cfg.Group, type, _cfg.EdgeNode!);
    public string DeviceTopic(string type) => DeviceTopic(type, 0);
    public string DeviceTopic(string type, int device) => Sparkplug.Topic(_cfg.Group, type, _cfg.EdgeNode!, _devices[device]);

    public SparkplugNode(TelemetryConfig cfg, string deviceId, DiskQueue queue, Func<Payload> birthMetrics, Action<string>? log = null)
        : this(cfg, [(deviceId, birthMetrics)], queue, log) { }

    /// <summary>An edge node with several devices (one per agent on a multi-agent device): one NBIRTH, then a DBIRTH per device.</summary>
    public SparkplugNode(TelemetryConfig cfg, IReadOnlyList<(string DeviceId, Func<Payload> BirthMetrics)> devices, DiskQueue queue, Action<string>? log = null)
    {
        if (devices.Count == 0) throw new ArgumentException("an edge node needs at least one device", nameof(devices));
        _cfg = cfg;
        _devices = devices.Select(d => d.DeviceId).ToArray();
        _queue = queue;
        _birthMetrics = devices.Select(d => d.BirthMetrics).ToArray();
        _ddataTopics = _devices.Select((_, i) => DeviceTopic("DDATA", i)).ToArray();
        _log = log;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessage;
        _bdSeqFile = Path.Combine(cfg.QueueDir ?? Path.GetTempPath(), "bdseq");
        if (File.Exists(_bdSeqFile) && ulong.TryParse(File.ReadAllText(_bdSeqFile), out ulong b)) _bdSeq = b;
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Queues one DDATA payload of the first device (seq is set when it is sent).</summary>
    public void EnqueueData(Payload payload) => EnqueueData(0, payload);

    /// <summary>Queues one DDATA payload of device <paramref name="device"/> (seq is set when it is sent).</summary>
    public void EnqueueData(int device, Payload payload)
    {
        _queue.Enqueue(_ddataTopics[device], payload.ToByteArray(), (long)payload.Timestamp);
        _wake.Release();
    }

    MqttClientOptions Options(ulong bdSeq)
    {
        var death = new Payload { Timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        death.Metrics.Add(Sparkplug.Long(Sparkplug.BdSeqMetric, (long)bdSeq));
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer(_cfg.Broker == "embedded" ? "127.0.0.1" : _cfg.Host, _cfg.Port)
            .WithClientId(_cfg.ClientId ?? $"{_cfg.EdgeNode}")
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(10))
            .WithTimeout(TimeSpan.FromSeconds(5))
            .WithWillTopic(NodeTopic("NDEATH"))
            .WithWillPayload(death.ToByteArray())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillRetain(false);
        if (_cfg.Username is not null) b.WithCredentials(_cfg.Username, ReadPassword());
        if (_cfg.Tls.Enabled) b.WithTlsOptions(TlsOptions);
        return b.Build();
    }

    /// <summary>The password from password_file (its first line; read at each connect, so a rotated file takes effect).</summary>
    string ReadPassword()
    {
        if (_cfg.PasswordFile is null) return "";
        try { return File.ReadAllText(_cfg.PasswordFile).Split('\n')[0].TrimEnd('\r'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TelemetryConfigException($"telemetry.password_file {_cfg.PasswordFile} cannot be read: {e.Message}");
        }
    }

    /// <summary>One line naming why a connect or publish failed, for the log and <see cref="LastError"/>.</summary>
    string Describe(Exception e)
    {
        string broker = $"{(_cfg.Broker == "embedded" ? "127.0.0.1" : _cfg.Host)}:{_cfg.Port}";
        return e switch
        {
            BrokerRefusedException { Code: MqttClientConnectResultCode.BadUserNameOrPassword } =>
                $"the broker {broker} refused the connection: bad user name or password (telemetry.username '{_cfg.Username}', telemetry.password_file {_cfg.PasswordFile ?? "(none)"})",
            BrokerRefusedException { Code: MqttClientConnectResultCode.NotAuthorized } =>
                _cfg.Username is null
                    ? $"the broker {broker} refused the connection: not authorized (it needs credentials: set telemetry.username and telemetry.password_file)"
                    : $"the broker {broker} refused the connection: not authorized - wrong user name or password, or the user may not connect (telemetry.username '{_cfg.Username}', telemetry.password_file {_cfg.PasswordFile ?? "(none)"})",
            BrokerRefusedException r => $"the broker {broker} refused the connection: {r.Code}{(string.IsNullOrEmpty(r.Reason) ? "" : $" ({r.Reason})")}",
            TelemetryConfigException c => c.Message,
            _ => $"{e.GetType().Name}: {e.Message.Split('\n')[0]} ({e.GetBaseException().Message.Split('\n')[0]})",
        };
    }

    /// <summary>TLS with server validation: against the system store, or against ca_file as the only trusted root; host name checked.</summary>
    void TlsOptions(MqttClientTlsOptionsBuilder o)
    {
        o.UseTls().WithTargetHost(_cfg.Host).WithSslProtocols(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13);
        if (_cfg.Tls.ClientCert is not null && _cfg.Tls.ClientKey is not null)
        {
            var cert = X509Certificate2.CreateFromPemFile(_cfg.Tls.ClientCert, _cfg.Tls.ClientKey);
            o.WithClientCertificates([X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null)]);
        }
        if (_cfg.Tls.CaFile is { } caFile)
        {
            var ca = new X509Certificate2Collection();
            ca.ImportFromPemFile(caFile);
            o.WithCertificateValidationHandler(args =>
            {
                if ((args.SslPolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                if ((args.SslPolicyErrors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(args.Certificate));
            });
        }
    }

    async Task RunAsync(CancellationToken stop)
    {
        int backoffMs = 200;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await ConnectAsync(stop);
                    backoffMs = 200;
                }
                if (_rebirth)
                {
                    _rebirth = false;
                    Interlocked.Increment(ref Rebirths);
                    await PublishBirthsAsync(stop);
                }
                Volatile.Write(ref _lastError, null);
                var msg = _queue.Peek();
                if (msg is null)
                {
                    await _wake.WaitAsync(200, stop);
                    continue;
                }
                var payload = Payload.Parser.ParseFrom(msg.Payload);
                payload.Seq = NextSeq();
                if (msg.CreatedUnixMs < _sessionStartMs) foreach (var metric in payload.Metrics) metric.IsHistorical = true;
                await PublishAsync(msg.Topic, payload, stop);
                _queue.Remove(msg.Id);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                Interlocked.Increment(ref PublishFailures);
                string why = Describe(e);
                Volatile.Write(ref _lastError, why);
                _log?.Invoke($"telemetry: {why}; messages stay queued on disk; retrying in {backoffMs} ms");
                try { await Task.Delay(backoffMs, stop); } catch (OperationCanceledException) { break; }
                backoffMs = Math.Min(backoffMs * 2, 5000);
            }
        }
    }

    async Task ConnectAsync(CancellationToken stop)
    {
        ulong bdSeq = _bdSeq;
        var result = await _client.ConnectAsync(Options(bdSeq), stop);
        if (result.ResultCode != MqttClientConnectResultCode.Success) throw new BrokerRefusedException(result.ResultCode, result.ReasonString);
        _bdSeq = (bdSeq + 1) % 256;
        Shared.IO.AtomicFile.WriteAllText(_bdSeqFile, _bdSeq.ToString());
        _sessionStartMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Interlocked.Increment(ref Connects);
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(NodeTopic("NCMD")).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build(), stop);
        _currentBdSeq = bdSeq;
        await PublishBirthsAsync(stop);
    }

    ulong _currentBdSeq;

    async Task PublishBirthsAsync(CancellationToken stop)
    {
        _seq = 0;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var nbirth = new Payload { Timestamp = (ulong)now, Seq = NextSeq() };
        nbirth.Metrics.Add(Sparkplug.Long(Sparkplug.BdSeqMetric, (long)_currentBdSeq));
        nbirth.Metrics.Add(Sparkplug.Bool(Sparkplug.RebirthMetric, false));
        nbirth.Metrics.Add(Sparkplug.String("Properties/Software", "marl-edge"));
        await PublishAsync(NodeTopic("NBIRTH"), nbirth, stop);
        for (int d = 0; d < _devices.Length; d++)
        {
            var dbirth = _birthMetrics[d]();
            dbirth.Timestamp = (ulong)now;
            dbirth.Seq = NextSeq();
            await PublishAsync(DeviceTopic("DBIRTH", d), dbirth, stop);
        }
    }

    ulong NextSeq()
    {
        ulong s = _seq;
        _seq = (_seq + 1) % 256;
        return s;
    }

    async Task PublishAsync(string topic, Payload payload, CancellationToken stop)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload.ToByteArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var result = await _client.PublishAsync(message, stop);
        if (!result.IsSuccess) throw new IOException($"publish to {topic} refused: {result.ReasonCode}");
        Interlocked.Increment(ref Published);
    }

    Task OnMessage(MqttApplicationMessageReceivedEventArgs e)
    {
        // Only Sparkplug's rebirth request is honoured. Nothing received can change the policy, the config or the outputs.
        if (e.ApplicationMessage.Topic != NodeTopic("NCMD")) return Task.CompletedTask;
        try
        {
            var p = Payload.Parser.ParseFrom(e.ApplicationMessage.Payload.ToArray());
            if (p.Metrics.Any(m => m.Name == Sparkplug.RebirthMetric && m.BooleanValue)) { _rebirth = true; _wake.Release(); }
        }
        catch (InvalidProtocolBufferException) { }
        return Task.CompletedTask;
    }

    /// <summary>Flushes the queue for up to <paramref name="flushTimeout"/>, publishes NDEATH, and disconnects.</summary>
    public async Task StopAsync(TimeSpan flushTimeout)
    {
        var deadline = DateTime.UtcNow + flushTimeout;
        while (_queue.Count > 0 && _client.IsConnected && DateTime.UtcNow < deadline) await Task.Delay(20);
        _stop.Cancel();
        if (_loop is not null) await _loop;
        if (_client.IsConnected)
        {
            try
            {
                var death = new Payload { Timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
                death.Metrics.Add(Sparkplug.Long(Sparkplug.BdSeqMetric, (long)_currentBdSeq));
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await PublishAsync(NodeTopic("NDEATH"), death, cts.Token);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or MQTTnet.Exceptions.MqttCommunicationException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync(TimeSpan.Zero);
        _client.Dispose();
    }
}

/// <summary>The broker answered CONNECT with a refusal (CONNACK return/reason code).</summary>
public sealed class BrokerRefusedException(MqttClientConnectResultCode code, string? reason) : Exception($"CONNACK {code}")
{
    public MqttClientConnectResultCode Code { get; } = code;
    public string? Reason { get; } = reason;
}

/// <summary>A telemetry setting that cannot be used as it is (an unreadable password file, say).</summary>
public sealed class TelemetryConfigException(string message) : Exception(message);
