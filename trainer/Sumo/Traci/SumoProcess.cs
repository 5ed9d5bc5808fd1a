using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>How to start one SUMO simulation.</summary>
public sealed record SumoLaunchOptions(string NetFile, IReadOnlyList<string> RouteFiles, string TripInfoPath)
{
    public string? Binary { get; init; }
    public int Seed { get; init; }
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A sumo child process serving TraCI on a free loopback port, with its client. Disposing kills the process if it is
/// still running; the last lines SUMO printed are kept to explain a failure in one line.
/// </summary>
public sealed class SumoProcess : IDisposable
{
    readonly Process _process;
    readonly SumoOutputTail _output;
    public TraciClient Client { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    SumoProcess(Process process, SumoOutputTail output, TraciClient client)
    {
        _process = process; _output = output; Client = client;
    }

    public static SumoProcess Start(SumoLaunchOptions options)
    {
        string binary = SumoBinary.Locate(options.Binary);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return StartOnce(binary, options, FreeLoopbackPort());
            }
            catch (SumoException e) when (attempt < 3 && e.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                // another process took the port between our probe and sumo's bind: try another one
            }
        }
    }

    static SumoProcess StartOnce(string binary, SumoLaunchOptions options, int port)
    {
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in BuildArguments(options, port)) info.ArgumentList.Add(arg);
        var output = new SumoOutputTail();
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new SumoNotInstalledException($"could not start {binary}; {SumoBinary.InstallHint}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SumoNotInstalledException($"could not start {binary} ({e.Message}); {SumoBinary.InstallHint}");
        }
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        LiveProcesses.Register(process);

        var deadline = DateTime.UtcNow + options.ConnectTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                LiveProcesses.Unregister(process);
                throw new SumoException($"sumo failed to start: {output.Explain(process.ExitCode)}");
            }
            try
            {
                var client = TraciClient.Connect(port);
                return new SumoProcess(process, output, client);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            catch (SocketException)
            {
                KillQuietly(process);
                throw new SumoException($"sumo did not accept a TraCI connection on port {port} within {options.ConnectTimeout.TotalSeconds:0} s");
            }
        }
    }

    static IEnumerable<string> BuildArguments(SumoLaunchOptions o, int port)
    {
        yield return "-n"; yield return o.NetFile;
        yield return "-r"; yield return string.Join(",", o.RouteFiles);
        yield return "--remote-port"; yield return port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--xml-validation"; yield return "never";
        yield return "--no-step-log"; yield return "true";
        yield return "--duration-log.disable"; yield return "true";
        yield return "--tripinfo-output"; yield return o.TripInfoPath;
        yield return "--tripinfo-output.write-unfinished"; yield return "true";   // as RESCO (multi_signal.py): its delay counts unfinished trips
        yield return "--seed"; yield return o.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string a in o.ExtraArguments) yield return a;
    }

    static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>True when the process has exited or does so within the timeout (a killed process takes a moment).</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit((int)timeout.TotalMilliseconds);

    /// <summary>Why SUMO stopped, in one line: its first error message, or its exit code.</summary>
    public string ExplainExit()
    {
        if (!_process.WaitForExit(2000)) return "sumo stopped answering";
        _process.WaitForExit();  // flushes the redirected output
        return _output.Explain(_process.ExitCode);
    }

    /// <summary>Sends TraCI close so SUMO writes its outputs (tripinfo) and exits, then waits for the exit.</summary>
    public void CloseAndWait(TimeSpan timeout)
    {
        Client.Close();
        Client.Dispose();
        if (!_process.WaitForExit((int)timeout.TotalMilliseconds))
            throw new SumoException($"sumo did not exit within {timeout.TotalSeconds:0} s after close");
        _process.WaitForExit();
        if (_process.ExitCode != 0) throw new SumoException($"sumo exited with an error after close: {_output.Explain(_process.ExitCode)}");
    }

    public void Dispose()
    {
        Client.Dispose();
        KillQuietly(_process);
        _process.Dispose();
    }

    static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
        LiveProcesses.Unregister(process);
    }

    /// <summary>Kills sumo children still alive when the trainer exits, so none outlives it.</summary>
    static class LiveProcesses
    {
        static readonly HashSet<Process> Running = [];
        static bool _hooked;

        public static void Register(Process p)
        {
            lock (Running)
            {
                Running.Add(p);
                if (_hooked) return;
                _hooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    Process[] all;
                    lock (Running) all = [.. Running];
                    foreach (var q in all)
                        try { if (!q.HasExited) q.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                };
            }
        }

        public static void Unregister(Process p)
        {
            lock (Running) Running.Remove(p);
        }
    }
}

/// <summary>The last lines SUMO printed, kept to name the reason when it fails.</summary>
sealed class SumoOutputTail
{
    const int MaxLines = 40;
    readonly Queue<string> _lines = new();
    string? _firstError;

    public void Add(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        lock (_lines)
        {
            if (_firstError is null && line.Contains("Error", StringComparison.Ordinal)) _firstError = line.Trim();
            _lines.Enqueue(line.Trim());
            if (_lines.Count > MaxLines) _lines.Dequeue();
        }
    }

    public string Explain(int exitCode)
    {
        lock (_lines)
        {
            if (_firstError is not null) return _firstError;
            string last = _lines.Count > 0 ? _lines.Last() : "no output";
            return $"exit code {exitCode} ({last})";
        }
    }
}
