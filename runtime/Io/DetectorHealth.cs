using MarlEdge.Runtime.Config;

namespace MarlEdge.Runtime.Io;

/// <summary>
/// Detects failed detector loops, in the spirit of a controller's detector diagnostics: <b>stuck off</b>, a detector with no pulse
/// for <c>no_count_s</c> while its neighbours (<c>io.detectors[].neighbours</c>, default every other detector) counted at least
/// <c>neighbour_counts</c> pulses meanwhile; <b>stuck on</b>, its input held at the active level (high for rising-edge counting,
/// low for falling) for <c>stuck_on_s</c>. Fed each period's counts by the board; a fault lasts until the detector counts again
/// (or is released). Allocation-free per period: the fault text of each detector and kind is made once.
/// </summary>
public sealed class DetectorHealth
{
    readonly DetectorFaultConfig _cfg;
    readonly int[][] _neighbours;
    readonly double[] _quietS, _onS;
    readonly long[] _neighbourCounts;
    readonly string[] _stuckOffText, _stuckOnText;
    public long StuckOffFaults, StuckOnFaults;
    bool[] _wasStuckOff, _wasStuckOn;

    public DetectorHealth(IReadOnlyList<DetectorConfig> detectors, DetectorFaultConfig cfg)
    {
        _cfg = cfg;
        var index = detectors.Select((d, i) => (d.Name, i)).ToDictionary(x => x.Name, x => x.i);
        _neighbours = detectors.Select((d, i) => (d.Neighbours?.Select(n => index[n]) ?? Enumerable.Range(0, detectors.Count).Where(j => j != i)).ToArray()).ToArray();
        int n = detectors.Count;
        _quietS = new double[n];
        _onS = new double[n];
        _neighbourCounts = new long[n];
        _wasStuckOff = new bool[n];
        _wasStuckOn = new bool[n];
        _stuckOffText = detectors.Select(d => $"detector {d.Name} (pin {d.Pin}) stuck off: no pulse for {cfg.NoCountS} s while its neighbours counted {cfg.NeighbourCounts} or more").ToArray();
        _stuckOnText = detectors.Select(d => $"detector {d.Name} (pin {d.Pin}) stuck on: input active for {cfg.StuckOnS} s").ToArray();
    }

    /// <summary>One period: counts[i] pulses and whether each input is at its active level now. Returns the first fault's text, or null.</summary>
    public string? Update(ReadOnlySpan<long> counts, ReadOnlySpan<bool> active, double dt)
    {
        string? fault = null;
        for (int i = 0; i < counts.Length; i++)
        {
            if (_cfg.NoCountS is { } limit && _neighbours[i].Length > 0)
            {
                if (counts[i] > 0) { _quietS[i] = 0; _neighbourCounts[i] = 0; }
                else
                {
                    _quietS[i] += dt;
                    foreach (int j in _neighbours[i]) _neighbourCounts[i] += counts[j];
                }
                bool stuck = _quietS[i] >= limit - 1e-9 && _neighbourCounts[i] >= _cfg.NeighbourCounts;
                if (stuck && !_wasStuckOff[i]) StuckOffFaults++;
                _wasStuckOff[i] = stuck;
                if (stuck) fault ??= _stuckOffText[i];
            }
            if (_cfg.StuckOnS is { } onLimit)
            {
                _onS[i] = active[i] ? _onS[i] + dt : 0;
                bool stuck = _onS[i] >= onLimit - 1e-9;
                if (stuck && !_wasStuckOn[i]) StuckOnFaults++;
                _wasStuckOn[i] = stuck;
                if (stuck) fault ??= _stuckOnText[i];
            }
        }
        return fault;
    }
}
