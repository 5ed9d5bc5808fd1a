using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;
using Xunit;

namespace MarlEdge.Tests.Runtime;

/// <summary>An SPI sensor bound in the firmware-config: Iot.Device.Bindings' Mcp3008 over a simulated MCP3008 (bit-level SPI).</summary>
[Collection(RealTimeCollection.Name)]
public class SpiSensorTests
{
    const string Spi = "  spi:\n    - { name: loops_adc, type: mcp3008, bus: 0, chip_select: 1, channels: [0, 3, 7] }\n";
    const string Feature = "  - { feature: in_clearance, source: signal.in_clearance }\n  - { feature: occupancy, source: spi.loops_adc.ch3, scale: 0.5 }\n";

    static SimDevice Device() => new(t => t.Replace("  i2c:\n", Spi + "  i2c:\n").Replace("  - { feature: in_clearance, source: signal.in_clearance }\n", Feature));

    [Fact]
    public void The_mcp3008_binding_reads_each_configured_channel_into_the_observation()
    {
        using var dev = Device();
        using var rt = dev.Start();
        var adc = rt.Board.SimulatedSpi!.Device(0, 1);
        adc.SetChannel(0, 0);
        adc.SetChannel(3, 517);
        adc.SetChannel(7, 1023);
        adc.SetChannel(5, 300); // not configured: never read
        var frame = rt.Catalog.NewFrame();
        Assert.True(rt.Board.ReadSensors(frame));
        Assert.Equal(0, frame[rt.Catalog.SlotOf("spi.loops_adc.ch0")]);
        Assert.Equal(517, frame[rt.Catalog.SlotOf("spi.loops_adc.ch3")]);
        Assert.Equal(1023, frame[rt.Catalog.SlotOf("spi.loops_adc.ch7")]);
        Assert.Equal(3, adc.Transfers);
        rt.Loop.Step();
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
        Assert.Equal(31, rt.Loop.LastObservation.Length);
        Assert.Equal(258.5f, rt.Loop.LastObservation[30]); // the feature's scale applied to the raw reading
        for (int raw = 0; raw < 1024; raw += 31)
        {
            adc.SetChannel(3, raw);
            Assert.True(rt.Board.ReadSensors(frame));
            Assert.Equal(raw, frame[rt.Catalog.SlotOf("spi.loops_adc.ch3")]);
        }
    }

    [Fact]
    public void An_spi_fault_hands_control_to_the_fallback_until_the_sensor_answers_again_and_a_period_allocates_nothing()
    {
        using var dev = Device();
        using var rt = dev.Start();
        var adc = rt.Board.SimulatedSpi!.Device(0, 1);
        for (int i = 0; i < 300; i++) rt.Loop.Step(); // warm-up past the first phase changes and tiered JIT, as the other allocation tests
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) rt.Loop.Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        adc.Fail = true;
        rt.Loop.Step();
        Assert.Equal(ControlMode.Fallback, rt.Metrics.Mode);
        Assert.True(rt.Metrics.Faults.HasFlag(Fault.SensorFault));
        Assert.Contains("spi sensor loops_adc", rt.Metrics.LastFaultText);
        adc.Fail = false;
        for (int i = 0; i < 101; i++) rt.Loop.Step();
        Assert.Equal(ControlMode.Policy, rt.Metrics.Mode);
    }

    [Fact]
    public void Config_check_names_spi_errors_by_key_and_line()
    {
        string text = SimDevice.SimConfigText.Replace("  i2c:\n",
            "  spi:\n    - { name: a, type: mcp3008, bus: 0, chip_select: 0, channels: [1, 1] }\n    - { name: b, type: mcp3008, bus: 0, chip_select: 0, channels: [2] }\n" +
            "    - { name: c, type: mcp3204, bus: 1, chip_select: 0, channels: [8] }\n  i2c:\n");
        var lines = text.Split('\n');
        int Line(string s) => Array.FindIndex(lines, l => l.Contains(s)) + 1;
        var (_, schema) = DeviceConfig.Check(text, "x.yaml");
        Assert.Contains(schema, e => e.Key == "io.spi[2].type" && e.Line == Line("name: c,") && e.Message.Contains("must be one of: mcp3008"));
        Assert.Contains(schema, e => e.Key == "io.spi[2].channels[0]" && e.Line == Line("name: c,") && e.Message.Contains("7"));
        var (_, errors) = DeviceConfig.Check(text.Replace("    - { name: c, type: mcp3204, bus: 1, chip_select: 0, channels: [8] }\n", ""), "x.yaml");
        Assert.Contains(new ConfigError("io.spi[1].chip_select", Line("name: b,"), "bus 0 chip select 0 is already io.spi[0]"), errors);
        Assert.Contains(new ConfigError("io.spi[0].channels[1]", Line("name: a,"), "channel 1 is listed twice"), errors);
        Assert.Equal(2, errors.Count);
    }
}
