using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Telemetry;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>Telemetry over TLS to a real mosquitto that requires a client certificate: server validated against ca_file and host name.</summary>
[Collection(RealTimeCollection.Name)]
public class TlsTests
{
    static X509Certificate2 Ca(string cn, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
    }

    static (X509Certificate2 Cert, ECDsa Key) Leaf(X509Certificate2 ca, ECDsa caKey, string cn, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        var cert = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), serial);
        return (cert, key);
    }

    static void WritePem(string path, X509Certificate2 cert) => File.WriteAllText(path, cert.ExportCertificatePem());
    static void WriteKey(string path, ECDsa key) => File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());

    [Fact]
    public async Task Telemetry_goes_over_tls_with_a_client_certificate_and_refuses_a_server_it_cannot_validate()
    {
        if (!File.Exists(Mosquitto.Binary)) throw new InvalidOperationException($"mosquitto is required: {Mosquitto.Binary} is missing (apt-get install mosquitto)");
        var dir = Directory.CreateTempSubdirectory("marledge-tls-").FullName;
        var ca = Ca("marledge test ca", out var caKey);
        var (server, serverKey) = Leaf(ca, caKey, "localhost", server: true);
        var (client, clientKey) = Leaf(ca, caKey, "node-1", server: false);
        var other = Ca("someone else", out _);
        WritePem(Path.Combine(dir, "ca.pem"), ca);
        WritePem(Path.Combine(dir, "other-ca.pem"), other);
        WritePem(Path.Combine(dir, "server.pem"), server);
        WriteKey(Path.Combine(dir, "server.key"), serverKey);
        WritePem(Path.Combine(dir, "client.pem"), client);
        WriteKey(Path.Combine(dir, "client.key"), clientKey);
        // mosquitto drops root privileges to its own user, which must read these (test-only keys).
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        foreach (var f in Directory.GetFiles(dir)) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        int port = Net.FreePort();
        File.WriteAllText(Path.Combine(dir, "m.conf"), $"listener {port} 127.0.0.1\ncafile {dir}/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key\nrequire_certificate true\nallow_anonymous true\n");
        using var broker = Process.Start(new ProcessStartInfo(Mosquitto.Binary, ["-c", Path.Combine(dir, "m.conf")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            await Task.Delay(300);
            TelemetryConfig Cfg(string caFile, string q) => new()
            {
                Broker = "external", Host = "127.0.0.1", Port = port, Group = "g", EdgeNode = "node-1", ClientId = "node-1", QueueDir = Path.Combine(dir, q),
                Tls = new TlsConfig { Enabled = true, CaFile = Path.Combine(dir, caFile), ClientCert = Path.Combine(dir, "client.pem"), ClientKey = Path.Combine(dir, "client.key") },
            };
            var sampler = new TelemetrySampler(new RuntimeMetrics());
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            await using (var good = new SparkplugNode(Cfg("ca.pem", "q1"), "dev", new DiskQueue(Path.Combine(dir, "q1"), 100), () => sampler.Sample(0), log.Enqueue))
            {
                good.Start();
                for (int i = 0; i < 3; i++) good.EnqueueData(sampler.Sample(1));
                try { await Net.WaitUntil(() => good.Queue.Count == 0, TimeSpan.FromSeconds(15), "TLS publish"); }
                catch (TimeoutException)
                {
                    string why = broker.HasExited ? "mosquitto exited: " + broker.StandardError.ReadToEnd() + broker.StandardOutput.ReadToEnd() : "";
                    Assert.Fail(why + string.Join("\n", log.Take(3)));
                }
                Assert.True(good.Published >= 5); // NBIRTH, DBIRTH, 3 DDATA
            }
            await using (var bad = new SparkplugNode(Cfg("other-ca.pem", "q2"), "dev", new DiskQueue(Path.Combine(dir, "q2"), 100), () => sampler.Sample(0)))
            {
                bad.Start();
                bad.EnqueueData(sampler.Sample(1));
                await Task.Delay(1500);
                Assert.Equal(0, bad.Published);          // the server's chain does not lead to the configured CA
                Assert.True(bad.PublishFailures > 0);
                Assert.Equal(1, bad.Queue.Count);         // still stored, not lost
            }
        }
        finally
        {
            broker.Kill();
            broker.WaitForExit();
            Directory.Delete(dir, true);
        }
    }
}
