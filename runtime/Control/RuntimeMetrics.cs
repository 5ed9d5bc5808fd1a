using System.Diagnostics;

namespace MarlEdge.Runtime.Control;

/// <summary>
/// A latency histogram the control thread records into without allocating or locking: 250 ns buckets up to 2 ms, then one
/// overflow bucket. Readers (telemetry) take snapshots and compute percentiles over the counts since their last snapshot.
/// </summary>
public sealed class LatencyHistogram
{
    public const int BucketNs = 250;
    public const int Buckets = 8000;
    readonly long[] _counts = new long[Buckets + 1];
    long _maxNs;

    public void Record(long ticks)
    {
        long ns = ticks * 1_000_000_000L / Stopwatch.Frequency;
        long b = ns / BucketNs;
        Interlocked.Increment(ref _counts[b < Buckets ? b : Buckets]);
        if (ns > Volatile.Read(ref _maxNs)) Volatile.Write(ref _maxNs, ns);
    }

    public long[] Snapshot()
    {
        var s = new long[_counts.Length];
        for (int i = 0; i < s.Length; i++) s[i] = Volatile.Read(ref _counts[i]);
        return s;
    }

    public long MaxNs => Volatile.Read(ref _maxNs);

    /// <summary>The q-quantile in microseconds of (now − before) counts (upper bucket edge); NaN when empty.</summary>
    public static double PercentileUs(long[] now, long[]? before, double q)
    {
        long total = 0;
        for (int i = 0; i < now.Length; i++) total += now[i] - (before?[i] ?? 0);
        if (total == 0) return double.NaN;
        long rank = (long)Math.Ceiling(q * total), seen = 0;
        for (int i = 0; i < now.Length; i++)
        {
            seen += now[i] - (before?[i] ?? 0);
            if (seen >= rank) return (i + 1) * BucketNs / 1000.0;
        }
        return (now.Length) * BucketNs / 1000.0;
    }
}

public enum ControlMode { Policy, Fallback, FailSafe }

/// <summary>Why the fallback controller has control. Several can hold at once.</summary>
[Flags]
public enum Fault
{
    None = 0,
    PolicyInvalid = 1,
    NonFiniteOutput = 2,
    SensorFault = 4,
    Overruns = 8,
    Watchdog = 16,
}

/// <summary>Everything the runtime counts. The control thread writes; telemetry and tests read.</summary>
public sealed class RuntimeMetrics
{
    public readonly LatencyHistogram Decision = new();
    public readonly LatencyHistogram Period = new();
    public long Periods, Decisions, Overruns, FallbackEntries, Handbacks, WatchdogTrips, MonitorTrips;
    public long NonFiniteFaults, SensorFaults, OverrunFaults;
    public long Updates, Promotions, Rollbacks, DroppedTransitions, SavedVersions;
    public volatile int LastAction = -1;
    public volatile float LastReward, LastLoss = float.NaN;
    public double CumulativeReward;
    public volatile ControlMode Mode;
    public volatile Fault Faults;
    public volatile string PolicyVersion = "none";
    public volatile string? LastFaultText;
    public volatile bool Learning;
    public long FirstDecisionTimestamp;
}
