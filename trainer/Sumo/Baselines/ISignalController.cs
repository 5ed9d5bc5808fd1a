namespace MarlEdge.Trainer.Sumo.Baselines;

/// <summary>A hand-written signal controller: picks each intersection's next green phase from its own detectors.</summary>
public interface ISignalController
{
    string Name { get; }
    /// <summary>True when SUMO's own program should run the lights and actions are ignored.</summary>
    bool UsesStaticProgram => false;
    int ChooseGreen(Intersection x, double time);
}

/// <summary>The four baselines, by their --algo names.</summary>
public static class SignalControllers
{
    public static readonly string[] Names = ["static", "fixed", "maxpressure", "greedy"];

    public static ISignalController Create(string name, SumoScenarioConfig config) => name switch
    {
        "static" => new StaticProgramController(),
        "fixed" => new FixedTimeController(config.FixedGreenS),
        "maxpressure" => new MaxPressureController(),
        "greedy" => new LongestQueueFirstController(),
        _ => throw new SumoException($"unknown baseline '{name}' (expected {string.Join(", ", Names)})"),
    };
}

/// <summary>`static`: SUMO's own program from the net file, untouched.</summary>
public sealed class StaticProgramController : ISignalController
{
    public string Name => "static";
    public bool UsesStaticProgram => true;
    public int ChooseGreen(Intersection x, double time) => x.CurrentGreen;
}

/// <summary>`fixed`: cycles through the green phases in program order, each green for a fixed time (plus yellow between).</summary>
public sealed class FixedTimeController(double greenSeconds) : ISignalController
{
    public string Name => "fixed";
    public int ChooseGreen(Intersection x, double time) =>
        time - x.GreenSince >= greenSeconds - 1e-9 ? (x.CurrentGreen + 1) % x.ActionCount : x.CurrentGreen;
}

/// <summary>
/// `maxpressure` (Varaiya 2013): the phase whose green movements have the largest total pressure, a movement's
/// pressure being the vehicles on its incoming lane minus those on its outgoing lane, within detector range.
/// Ties keep the current phase.
/// </summary>
public sealed class MaxPressureController : ISignalController
{
    public string Name => "maxpressure";

    public int ChooseGreen(Intersection x, double time)
    {
        int best = x.CurrentGreen;
        double bestPressure = Pressure(x, best);
        for (int k = 0; k < x.ActionCount; k++)
        {
            double p = Pressure(x, k);
            if (p > bestPressure + 1e-9) { best = k; bestPressure = p; }
        }
        return best;
    }

    static double Pressure(Intersection x, int phase)
    {
        double p = 0;
        foreach (var (i, o) in x.PhaseMovements[phase])
            p += x.Queue[i] + x.Approaching[i] - x.OutgoingCount[o];
        return p;
    }
}

/// <summary>`greedy`, longest queue first: the phase that serves the most halting vehicles (ties: most approaching, then the current phase).</summary>
public sealed class LongestQueueFirstController : ISignalController
{
    public string Name => "greedy";

    public int ChooseGreen(Intersection x, double time)
    {
        int best = x.CurrentGreen;
        var (bestQueue, bestApproaching) = Served(x, best);
        for (int k = 0; k < x.ActionCount; k++)
        {
            var (queue, approaching) = Served(x, k);
            if (queue > bestQueue || (queue == bestQueue && approaching > bestApproaching))
            {
                best = k; bestQueue = queue; bestApproaching = approaching;
            }
        }
        return best;
    }

    static (float Queue, float Approaching) Served(Intersection x, int phase)
    {
        float q = 0, a = 0;
        foreach (int lane in x.PhaseIncomingLanes[phase]) { q += x.Queue[lane]; a += x.Approaching[lane]; }
        return (q, a);
    }
}
