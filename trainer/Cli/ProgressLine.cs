using System.Diagnostics;
using System.Globalization;

namespace MarlEdge.Trainer.Cli;

/// <summary>
/// A live progress line on stderr: steps, episode return, steps per second and ETA. On a terminal it redraws in place;
/// otherwise (CI, pipes) it prints a line at most every 10% so logs stay short.
/// </summary>
public sealed class ProgressLine(string label, long total, bool quiet) : IDisposable
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly bool _interactive = !Console.IsErrorRedirected;
    int _lastDecile = -1;
    bool _drawn;

    public void Report(long done, double episodeReturn)
    {
        if (quiet) return;
        double seconds = _clock.Elapsed.TotalSeconds, rate = done / Math.Max(seconds, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : 0;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{label}: {done:N0}/{total:N0} steps ({100.0 * done / Math.Max(1, total):F0}%)  return {episodeReturn:G4}  {rate:N0} steps/s  ETA {eta:F0}s");
        if (_interactive)
        {
            Console.Error.Write("\r" + line.PadRight(100));
            _drawn = true;
        }
        else
        {
            int decile = (int)(10 * done / Math.Max(1, total));
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            Console.Error.WriteLine(line);
        }
    }

    public void Done()
    {
        if (_drawn) Console.Error.WriteLine();
        _drawn = false;
    }

    public void Dispose() => Done();
}
