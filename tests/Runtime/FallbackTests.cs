using System.Device.Gpio;
using MarlEdge.Runtime.Control;
using MarlEdge.Runtime.Io;
using MarlEdge.Shared.Bundle;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>The fallback controller takes over on each listed fault and hands back after the healthy period (10 s = 100 periods).</summary>
[Collection(RealTimeCollection.Name)]
public class FallbackTests
{
    static ScriptedRunner Greedy(Func<bool>? nan = null, Func<int>? sleepMs = null) => new(30, 4, (obs, mask, values) =>
    {
        if (sleepMs?.Invoke() is int ms and > 0) Thread.Sleep(ms);
        for (int a = 0; a < 4; a++) values[a] = nan?.Invoke() == true ? float.NaN : a;
        int best = 0;
        for (int a = 0; a < 4; a++) if (mask[a] > 0) best = a;
        return best;
    });

    /// <summary>The phases served, in order, while the loop runs n periods.</summary>
    static List<int> Served(MarlEdge.Runtime.Hosting.EdgeRuntime rt, int n)
    {
        var ctl = (SignalController)rt.Controller;
        var phases = new List<int>();
        for (int i = 0; i < n; i++)
        {
            rt.Loop.Step();
            if (ctl.GreenPhase >= 0 && (phases.Count == 0 || phases[^1] != ctl.GreenPhase)) phases.Add(ctl.GreenPhase);
        }
        return phases;
    }

    [Fact]
    public void A_policy_that_fails_validation_leaves_the_fixed_time_plan_in_control_for_good()
    {
        using var dev = new SimDevice();
        var model = Path.Combine(dev.BundleDir, "agent-0.onnx");
        var bytes = File.ReadAllBytes(model);
        bytes[^10] ^= 0x55; // tampered: sha256 mismatch
        File.WriteAllBytes(model, bytes);
        using var rt = dev.Start();
        Assert.NotNull(rt.PolicyError);
        Assert.Contains("sha256 mismatch", rt.PolicyError);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.PolicyInvalid));
        // The plan: ns_through 20 s, ns_left 8 s, ew_through 20 s, ew_left 8 s, with 3 s yellow and 1 s all-red between.
        var served = Served(rt, 2000);
        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3], served.Take(8));
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode); // no hand-back without a valid policy
        Assert.Equal(0, rt.Metrics.Decisions);
    }

    [Fact]
    public void Observation_features_that_differ_from_the_bundle_are_refused()
    {
        using var dev = new SimDevice(t => t.Replace("feature: nb_t_stop,", "feature: north_stop,"));
        // The bundle was written from the edited config; rewrite it from the original names.
        using var other = new SimDevice();
        Directory.Delete(dev.BundleDir, true);
        MarlEdge.Runtime.Hosting.DevBundleCommand.Write(other.Config, dev.BundleDir, [64, 64], 1);
        using var rt = dev.Start();
        Assert.Contains("observation feature 0 is 'north_stop'", rt.PolicyError);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
    }

    [Fact]
    public void NaN_outputs_hand_control_to_the_fallback_and_it_hands_back_after_a_healthy_period()
    {
        using var dev = new SimDevice();
        bool nan = false;
        using var rt = dev.Start(_ => Greedy(nan: () => nan));
        Served(rt, 50);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        nan = true;
        rt.Loop.Step();
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.NonFiniteOutput));
        Assert.Equal(1, rt.Metrics.FallbackEntries);
        nan = false;
        Served(rt, 99);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Served(rt, 2);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(1, rt.Metrics.Handbacks);
    }

    [Fact]
    public void A_sensor_fault_hands_control_to_the_fallback_until_the_sensor_is_healthy_again()
    {
        using var dev = new SimDevice();
        using var rt = dev.Start(_ => Greedy());
        Served(rt, 20);
        var lm75 = rt.Board.SimulatedI2c!.Device(1, 0x48);
        lm75.Fail = true;
        Served(rt, 30);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.SensorFault));
        Assert.Contains("cabinet", rt.Metrics.LastFaultText);
        lm75.Fail = false;
        Served(rt, 101);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
    }

    [Fact]
    public void The_lm75_binding_reads_the_simulated_sensor_through_i2c()
    {
        using var dev = new SimDevice();
        using var rt = dev.Start(_ => Greedy());
        rt.Board.SimulatedI2c!.Device(1, 0x48).SetLm75Temperature(37.5);
        var frame = rt.Catalog.NewFrame();
        Assert.True(rt.Board.ReadSensors(frame));
        Assert.Equal(37.5f, frame[rt.Catalog.SlotOf("i2c.cabinet.temperature")]);
    }

    [Fact]
    public void Repeated_overruns_hand_control_to_the_fallback_but_a_single_one_does_not()
    {
        using var dev = new SimDevice();
        int sleep = 0;
        using var rt = dev.Start(_ => Greedy(sleepMs: () => sleep));
        Served(rt, 10);
        sleep = 130; // the period is 100 ms
        rt.Loop.Step();
        sleep = 0;
        rt.Loop.Step();
        Assert.Equal(1, rt.Metrics.Overruns);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        sleep = 130;
        for (int i = 0; i < 3; i++) rt.Loop.Step();
        Assert.Equal(4, rt.Metrics.Overruns);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.Overruns));
    }

    [Fact]
    public void A_hung_policy_trips_the_watchdog_which_flashes_all_red_then_the_fallback_takes_over()
    {
        using var dev = new SimDevice(t => t.Replace("watchdog_ms: 1000", "watchdog_ms: 300"));
        int sleep = 0;
        using var entered = new ManualResetEventSlim();
        using var rt = dev.Start(_ => Greedy(sleepMs: () => { if (sleep > 0) entered.Set(); return sleep; }));
        var sig = dev.Config.Signal!;
        var gpio = rt.Board.SimulatedGpio!;
        using var cts = new CancellationTokenSource();
        rt.StartSafetyThread();
        var run = Task.Run(() => rt.RunLoop(cts.Token)); // real time, 100 ms periods
        Thread.Sleep(1000);
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(0, rt.Metrics.WatchdogTrips);
        sleep = 2000; // the policy hangs for 2 s
        Assert.True(entered.Wait(5000));
        Thread.Sleep(500);
        var red = new HashSet<PinValue>();
        bool anyGreen = false;
        var until = DateTime.UtcNow.AddMilliseconds(1000);
        while (DateTime.UtcNow < until)
        {
            red.Add(gpio.Peek(sig.Groups[0].Red));
            anyGreen |= sig.Groups.Any(g => gpio.Peek(g.Green) == PinValue.High);
            Thread.Sleep(10);
        }
        Assert.Equal(2, red.Count);      // flashing while the loop was stuck
        Assert.False(anyGreen);
        sleep = 0;
        SpinWait.SpinUntil(() => rt.Metrics.Mode == ControlMode.Fallback, 5000);
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.Watchdog));
        Assert.Equal(1, rt.Metrics.WatchdogTrips);
        // Back under control: all red first (resync), no green for the all-red time.
        Assert.All(sig.Groups, g => Assert.Equal(PinValue.Low, gpio.Peek(g.Green)));
        cts.Cancel();
        Assert.True(run.Wait(5000));
    }
}
