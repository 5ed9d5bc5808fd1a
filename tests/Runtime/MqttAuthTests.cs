using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Telemetry;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>
/// MQTT user name + password against a real mosquitto from Debian (allow_anonymous false, a password_file made by mosquitto_passwd,
/// on a free loopback port): the right credentials connect and deliver; wrong or missing ones are refused with a line naming the
/// cause, while the control loop runs unchanged and the telemetry stays queued on disk.
/// </summary>
[Collection(RealTimeCollection.Name)]
public class MqttAuthTests
{
    const string Passwd = "/usr/bin/mosquitto_passwd";

    sealed class AuthMosquitto : IDisposable
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("marledge-mqtt-auth-").FullName;
        public int Port { get; } = Net.FreePort();
        readonly Process _process;

        public AuthMosquitto(params (string User, string Password)[] users)
        {
            foreach (var f in new[] { Mosquitto.Binary, Passwd })
                if (!File.Exists(f)) throw new InvalidOperationException($"{f} is required for this test: install it with `apt-get install mosquitto`");
            string pw = Path.Combine(Dir, "passwd");
            for (int i = 0; i < users.Length; i++)
            {
                var args = new List<string> { "-b" };
                if (i == 0) args.Add("-c");
                args.AddRange([pw, users[i].User, users[i].Password]);
                using var p = Process.Start(new ProcessStartInfo(Passwd, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                p.WaitForExit();
                if (p.ExitCode != 0) throw new InvalidOperationException($"mosquitto_passwd failed: {p.StandardError.ReadToEnd()}");
            }
            // mosquitto started as root drops to its own user, which must read the password file (a test-only one).
            File.SetUnixFileMode(Dir, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(pw, (UnixFileMode)0b110_100_100);
            File.WriteAllText(Path.Combine(Dir, "m.conf"), $"listener {Port} 127.0.0.1\nallow_anonymous false\npassword_file {pw}\n");
            _process = Process.Start(new ProcessStartInfo(Mosquitto.Binary, ["-c", Path.Combine(Dir, "m.conf")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            var sw = Stopwatch.StartNew();
            while (true)
            {
                try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, Port); return; }
                catch (SocketException) when (sw.Elapsed < TimeSpan.FromSeconds(10) && !_process.HasExited) { Thread.Sleep(20); }
            }
        }

        public string PasswordFile(string name, string password)
        {
            string f = Path.Combine(Dir, name);
            File.WriteAllText(f, password + "\n");
            return f;
        }

        public void Dispose()
        {
            if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(); }
            _process.Dispose();
            try { Directory.Delete(Dir, true); } catch (IOException) { }
        }
    }

    static TelemetryConfig Cfg(AuthMosquitto m, string queue, string? user, string? passwordFile) => new()
    {
        Broker = "external", Host = "127.0.0.1", Port = m.Port, Group = "g", EdgeNode = "node-1", ClientId = "node-1-" + queue,
        QueueDir = Path.Combine(m.Dir, queue), Username = user, PasswordFile = passwordFile,
    };

    [Fact]
    public async Task Right_credentials_connect_and_deliver()
    {
        using var broker = new AuthMosquitto(("node-1", "s3cret pass"), ("scada", "scada-pw"));
        await using var host = new SparkplugSubscriber(broker.Port, "scada", "scada-pw");
        await host.ConnectAsync();
        var sampler = new TelemetrySampler(new RuntimeMetrics());
        var cfg = Cfg(broker, "good", "node-1", broker.PasswordFile("good.pw", "s3cret pass"));
        await using var node = new SparkplugNode(cfg, "dev", new DiskQueue(cfg.QueueDir!, 100), () => sampler.Sample(0));
        node.Start();
        for (int i = 0; i < 3; i++) node.EnqueueData(sampler.Sample(1));
        await Net.WaitUntil(() => node.Queue.Count == 0 && host.Samples().Count() == 3, TimeSpan.FromSeconds(15), "3 DDATA through the password-protected broker");
        Assert.Contains(host.Received, m => m.Topic == "spBv1.0/g/NBIRTH/node-1");
        Assert.Contains(host.Received, m => m.Topic == "spBv1.0/g/DBIRTH/node-1/dev");
        Assert.Null(node.LastError);
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_are_refused_naming_the_cause_while_the_loop_runs_and_data_stays_queued()
    {
        using var broker = new AuthMosquitto(("node-1", "s3cret pass"));
        using var dev = new SimDevice();
        using var rt = dev.Start();
        var sampler = new TelemetrySampler(rt.Metrics);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var wrong = Cfg(broker, "wrong", "node-1", broker.PasswordFile("wrong.pw", "not it"));
        var none = Cfg(broker, "none", null, null);
        var unreadable = Cfg(broker, "unreadable", "node-1", Path.Combine(broker.Dir, "missing.pw"));
        await using var bad = new SparkplugNode(wrong, rt.Config.DeviceId, new DiskQueue(wrong.QueueDir!, 1000), () => sampler.Sample(0), log.Enqueue);
        await using var anonymous = new SparkplugNode(none, rt.Config.DeviceId, new DiskQueue(none.QueueDir!, 1000), () => sampler.Sample(0));
        await using var noFile = new SparkplugNode(unreadable, rt.Config.DeviceId, new DiskQueue(unreadable.QueueDir!, 1000), () => sampler.Sample(0));
        bad.Start();
        anonymous.Start();
        noFile.Start();
        var gpio = rt.Board.SimulatedGpio!;
        int periods = 0, queued = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(3) || bad.LastError is null || anonymous.LastError is null || noFile.LastError is null)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) break;
            gpio.Pulse(32 + periods % 24);
            rt.Loop.Step();
            periods++;
            if (periods % 10 == 0)
            {
                var sample = sampler.Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                bad.EnqueueData(sample);
                anonymous.EnqueueData(sample);
                noFile.EnqueueData(sample);
                queued++;
            }
            Thread.Sleep(10);
        }
        // The control loop ran every period under the policy, unaffected by the refused telemetry.
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(periods, rt.Metrics.Decisions);
        Assert.Equal(periods, rt.Metrics.Periods);
        // Refused, with the cause named; nothing published; everything still queued on disk.
        Assert.Matches("refused the connection: (bad user name or password|not authorized - wrong user name or password).*telemetry.username 'node-1'", bad.LastError);
        Assert.Contains("wrong.pw", bad.LastError);
        Assert.Contains("it needs credentials: set telemetry.username and telemetry.password_file", anonymous.LastError);
        Assert.Contains("telemetry.password_file", noFile.LastError);
        Assert.Contains("missing.pw cannot be read", noFile.LastError);
        Assert.Contains(log, l => l.Contains("refused the connection") && l.Contains("stay queued on disk"));
        foreach (var n in new[] { bad, anonymous, noFile })
        {
            Assert.Equal(0, n.Published);
            Assert.Equal(0, n.Connects);
            Assert.Equal(queued, n.Queue.Count);
        }
        Assert.True(queued >= 20, $"{queued} samples queued");
    }
}
