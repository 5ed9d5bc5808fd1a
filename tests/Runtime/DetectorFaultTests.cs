using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Hosting;
using System.Device.Gpio;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>safety.detector_faults: a stuck-off or stuck-on detector loop is a sensor fault that hands control to the fallback.</summary>
[Collection(RealTimeCollection.Name)]
public class DetectorFaultTests
{
    // 100 ms periods: 5 s = 50 periods, 3 s = 30; the healthy period is 10 s = 100 periods.
    const string Faults = "  safe_state: all_red\n  detector_faults: { no_count_s: 5, neighbour_counts: 20, stuck_on_s: 3 }\n";

    static SimDevice Device(Func<string, string>? edit = null) =>
        new(t => (edit ?? (x => x))(t.Replace("  safe_state: all_red\n", Faults)));

    /// <summary>Pulses every detector pin in 32..55 except the skipped ones, then runs one period.</summary>
    static void Period(EdgeRuntime rt, params int[] skip)
    {
        var gpio = rt.Board.SimulatedGpio!;
        for (int pin = 32; pin < 56; pin++) if (Array.IndexOf(skip, pin) < 0) gpio.Pulse(pin);
        rt.Loop.Step();
    }

    [Fact]
    public void A_detector_that_stops_counting_while_its_neighbours_count_is_a_fault_until_it_counts_again()
    {
        using var dev = Device();
        using var rt = dev.Start();
        for (int i = 0; i < 45; i++) Period(rt, 32);         // 4.5 s without a pulse on nb_t_stop (pin 32): not yet
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        for (int i = 0; i < 10; i++) Period(rt, 32);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.SensorFault));
        Assert.Contains("detector nb_t_stop (pin 32) stuck off", rt.Metrics.LastFaultText);
        Assert.Equal(1, rt.Board.DetectorHealth!.StuckOffFaults);
        for (int i = 0; i < 200; i++) Period(rt, 32);         // still stuck: the fallback keeps control
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        for (int i = 0; i < 101; i++) Period(rt);             // it counts again: hand-back after the healthy period
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(1, rt.Metrics.Handbacks);
    }

    [Fact]
    public void A_quiet_intersection_or_quiet_neighbours_are_not_a_fault()
    {
        // Nobody counts (night): no fault. The two left-turn stop-line loops are each other's only neighbours: through traffic
        // counting does not implicate them.
        using var dev = Device(t => t.Replace("{ name: nb_l_stop, pin: 38 }", "{ name: nb_l_stop, pin: 38, neighbours: [sb_l_stop] }")
            .Replace("{ name: sb_l_stop, pin: 41 }", "{ name: sb_l_stop, pin: 41, neighbours: [nb_l_stop] }"));
        using var rt = dev.Start();
        for (int i = 0; i < 100; i++) rt.Loop.Step();
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        for (int i = 0; i < 100; i++) Period(rt, 38, 41);    // nb_l_stop and its neighbour sb_l_stop both quiet
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        for (int i = 0; i < 60; i++) Period(rt, 38);         // now its neighbour counts
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.Contains("nb_l_stop (pin 38) stuck off", rt.Metrics.LastFaultText);
    }

    [Fact]
    public void A_detector_input_held_active_is_stuck_on_and_a_fault_until_released()
    {
        using var dev = Device();
        using var rt = dev.Start();
        var gpio = rt.Board.SimulatedGpio!;
        for (int i = 0; i < 10; i++) Period(rt);
        gpio.SetInput(33, PinValue.High);                    // nb_t_adv's loop reads "occupied" for good
        for (int i = 0; i < 25; i++) Period(rt, 33);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        for (int i = 0; i < 10; i++) Period(rt, 33);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.Contains("detector nb_t_adv (pin 33) stuck on", rt.Metrics.LastFaultText);
        Assert.Equal(1, rt.Board.DetectorHealth!.StuckOnFaults);
        gpio.SetInput(33, PinValue.Low);
        for (int i = 0; i < 101; i++) Period(rt);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
    }

    [Fact]
    public void A_period_with_detector_checks_on_allocates_nothing()
    {
        using var dev = Device();
        using var rt = dev.Start();
        for (int i = 0; i < 300; i++) rt.Loop.Step(); // warm-up past the first phase changes and tiered JIT, as the other allocation tests
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) rt.Loop.Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
    }

    [Fact]
    public void Config_check_names_detector_fault_errors_by_key_and_line()
    {
        string text = SimDevice.SimConfigText
            .Replace("{ name: nb_t_stop, pin: 32 }", "{ name: nb_t_stop, pin: 32, neighbours: [sb_t_stop, nb_x_stop, nb_t_stop] }")
            .Replace("  safe_state: all_red\n", "  safe_state: all_red\n  detector_faults:\n    neighbour_counts: 5\n    stuck_on_s: 0.01\n    no_count: 3\n");
        var lines = text.Split('\n');
        int Line(string s) => Array.FindIndex(lines, l => l.Contains(s)) + 1;
        var (_, schema) = DeviceConfig.Check(text, "x.yaml");
        Assert.Contains(schema, e => e.Key == "safety.detector_faults.no_count" && e.Line == Line("no_count: 3") && e.Message.StartsWith("unknown key"));
        Assert.Contains(schema, e => e.Key == "safety.detector_faults.stuck_on_s" && e.Line == Line("stuck_on_s: 0.01") && e.Message.Contains("0.1"));

        var (_, errors) = DeviceConfig.Check(text.Replace("    no_count: 3\n", "").Replace("stuck_on_s: 0.01", "stuck_on_s: 2"), "x.yaml");
        int line = Line("nb_x_stop");
        Assert.Contains(new ConfigError("io.detectors[0].neighbours[1]", line, "'nb_x_stop' is not a detector"), errors);
        Assert.Contains(new ConfigError("io.detectors[0].neighbours[2]", line, "a detector cannot be its own neighbour"), errors);
        Assert.Equal(2, errors.Count);

        var (_, empty) = DeviceConfig.Check(SimDevice.SimConfigText.Replace("  safe_state: all_red\n", "  safe_state: all_red\n  detector_faults: { neighbour_counts: 5 }\n"), "x.yaml");
        Assert.Contains(empty, e => e.Key == "safety.detector_faults" && e.Message == "needs no_count_s, stuck_on_s or both");
    }
}
