using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Hosting;
using MarlEdge.Runtime.Inference;
using MarlEdge.Runtime.Io;

namespace MarlEdge.Tests.Runtime;

/// <summary>A temp folder with the simulated intersection's config (edited per test) and its dev bundle.</summary>
sealed class SimDevice : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("marledge-rt-").FullName;
    public string ConfigPath => Path.Combine(Root, "device.yaml");
    public string BundleDir => Path.Combine(Root, "bundle");
    public DeviceConfig Config { get; }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MarlEdge.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("MarlEdge.sln not found above the test binaries");
        }
    }

    public static string SimConfigText => File.ReadAllText(Path.Combine(RepoRoot, "firmware-config", "sim-intersection.yaml"));

    /// <param name="edit">edits the YAML text (string replacements) before it is loaded</param>
    public SimDevice(Func<string, string>? edit = null, bool writeBundle = true, int seed = 1)
    {
        string text = SimConfigText.Replace("path: sim-bundle", $"path: {BundleDir}");
        text = text.Replace("edge_node: sim-node", "edge_node: sim-node\n  queue_dir: " + Path.Combine(Root, "queue"));
        if (edit is not null) text = edit(text);
        File.WriteAllText(ConfigPath, text);
        Config = DeviceConfig.Load(ConfigPath);
        if (writeBundle) DevBundleCommand.Write(Config, BundleDir, [64, 64], seed);
    }

    public EdgeRuntime Start(Func<MarlEdge.Runtime.Learning.ActivePolicy, IPolicyRunner>? runner = null, Func<DateTimeOffset>? clock = null) =>
        new(Config, runnerFactory: runner, clock: clock);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A policy runner under a test's control: random, adversarial, NaN, slow or hanging.</summary>
sealed class ScriptedRunner(int obsDim, int actions, Func<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, int> decide) : IPolicyRunner
{
    public int ObservationDim => obsDim;
    public int ActionCount => actions;
    public string Version => "scripted";
    public int Calls;
    public int Decide(ReadOnlySpan<float> obs, ReadOnlySpan<float> mask, Span<float> values)
    {
        Calls++;
        return decide(obs, mask, values);
    }
    public void Dispose() { }
}

static class Net
{
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            await Task.Delay(20);
        }
    }

    [DllImport("libc", SetLastError = true)] public static extern int kill(int pid, int sig);
    public const int SIGTERM = 15, SIGKILL = 9;
}

/// <summary>A real mosquitto from Debian on a free loopback port, with persistence in a temp folder. Fails loudly if absent.</summary>
sealed class Mosquitto : IDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    public int Port { get; } = Net.FreePort();
    readonly string _dir = Directory.CreateTempSubdirectory("marledge-mosq-").FullName;
    Process? _process;

    public Mosquitto()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"mosquitto is required for this test but {Binary} does not exist: install it with `apt-get install mosquitto`");
        // mosquitto started as root runs as its own user: it must be able to write its persistence file here.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);
        File.WriteAllText(Path.Combine(_dir, "mosquitto.conf"), $"""
            listener {Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {_dir}/
            autosave_interval 1
            max_queued_messages 100000
            """.Replace("            ", ""));
        Start();
    }

    public void Start()
    {
        _process = Process.Start(new ProcessStartInfo(Binary, ["-c", Path.Combine(_dir, "mosquitto.conf")])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { Thread.Sleep(20); }
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited at start with code {_process.ExitCode}");
        }
        throw new TimeoutException("mosquitto did not listen within 10 s");
    }

    /// <summary>Graceful stop (SIGTERM): mosquitto saves its persistence file, so persistent sessions survive.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited) return;
        Net.kill(_process.Id, Net.SIGTERM);
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>Runs the marl-edge binary (the runtime project's build output beside the tests) as a child process.</summary>
static class EdgeProcess
{
    public static string Dll => typeof(MarlEdge.Runtime.Program).Assembly.Location;

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var p = Start(args);
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException("marl-edge did not exit"); }
        return (p.ExitCode, so.Result, se.Result);
    }
}
