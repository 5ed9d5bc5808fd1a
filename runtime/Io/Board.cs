using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using System.Globalization;
using Iot.Device.Adc;
using Iot.Device.Lm75;
using MarlEdge.Runtime.Config;
using MarlEdge.Runtime.Control;

namespace MarlEdge.Runtime.Io;

/// <summary>
/// The device's I/O through the .NET IoT stack: one <see cref="GpioController"/> (libgpiod on a Pi or Jetson, or the
/// <see cref="SimulatedGpioDriver"/>), detector inputs counted by edge callbacks, I2C sensors through Iot.Device.Bindings (on real
/// buses, or <see cref="SimulatedI2cDevice"/>s), and the CPU temperature from sysfs. <see cref="ReadSensors"/> fills the frame
/// each period without allocating and reports a sensor fault instead of throwing.
/// </summary>
public sealed class Board : IDisposable
{
    public GpioController Gpio { get; }
    public SimulatedGpioDriver? SimulatedGpio { get; }
    public SimulatedI2cBus? SimulatedI2c { get; }
    public SimulatedSpiBus? SimulatedSpi { get; }
    readonly DetectorConfig[] _detectors;
    readonly int[] _detectorSlots;
    readonly long[] _counts;
    readonly long[] _periodCounts;
    readonly bool[] _active;
    public DetectorHealth? DetectorHealth { get; }
    readonly double _dt;
    readonly PinChangeEventHandler[] _handlers;
    readonly (Lm75? Lm75, Ina219? Ina, int[] Slots, string Name, I2cDevice Device)[] _i2c;
    readonly (Mcp3008 Adc, int[] Channels, int[] Slots, string Name, SpiDevice Device)[] _spi;
    readonly int _cpuSlot;
    readonly string? _cpuFile;
    readonly byte[] _cpuBuf = new byte[32];
    public string? LastFault { get; private set; }
    public long SensorFaults;
    long _cpuReadAt = long.MinValue / 2;
    readonly bool _checkStuckOn;

    public Board(DeviceConfig config, SourceCatalog catalog, SimulatedGpioDriver? simulatedGpio = null, SimulatedI2cBus? simulatedI2c = null)
    {
        if (config.IsSimulated)
        {
            SimulatedGpio = simulatedGpio ?? new SimulatedGpioDriver(128);
            SimulatedI2c = simulatedI2c ?? new SimulatedI2cBus();
            SimulatedSpi = new SimulatedSpiBus();
            Gpio = new GpioController(SimulatedGpio);
        }
        else
        {
            Gpio = new GpioController(new System.Device.Gpio.Drivers.LibGpiodDriver(config.GpioChip));
        }

        _detectors = config.Detectors.ToArray();
        _detectorSlots = _detectors.Select(d => catalog.SlotOf($"detector.{d.Name}.count")).ToArray();
        _counts = new long[_detectors.Length];
        _periodCounts = new long[_detectors.Length];
        _active = new bool[_detectors.Length];
        _dt = config.PeriodMs / 1000.0;
        if (config.Safety.DetectorFaults is { } df)
        {
            DetectorHealth = new DetectorHealth(_detectors, df);
            _checkStuckOn = df.StuckOnS is not null;
        }
        _handlers = new PinChangeEventHandler[_detectors.Length];
        for (int i = 0; i < _detectors.Length; i++)
        {
            int index = i;
            var d = _detectors[i];
            Gpio.OpenPin(d.Pin, PinMode.Input);
            _handlers[i] = (_, _) => Interlocked.Increment(ref _counts[index]);
            Gpio.RegisterCallbackForPinValueChangedEvent(d.Pin, d.RisingEdge ? PinEventTypes.Rising : PinEventTypes.Falling, _handlers[i]);
        }

        _i2c = config.I2c.Select(s =>
        {
            I2cDevice device = SimulatedI2c is not null ? SimulatedI2c.Device(s.Bus, s.Address) : I2cDevice.Create(new I2cConnectionSettings(s.Bus, s.Address));
            int[] slots = SourceCatalog.I2cMeasures(s.Type).Select(m => catalog.SlotOf($"i2c.{s.Name}.{m}")).ToArray();
            return s.Type switch
            {
                "lm75" => ((Lm75?)new Lm75(device), (Ina219?)null, slots, s.Name, device),
                "ina219" => (null, new Ina219(device), slots, s.Name, device),
                _ => throw new ArgumentException($"unknown I2C sensor type {s.Type}"),
            };
        }).ToArray();

        _spi = config.Spi.Select(s =>
        {
            SpiDevice device = SimulatedSpi is not null ? SimulatedSpi.Device(s.Bus, s.ChipSelect)
                : SpiDevice.Create(new SpiConnectionSettings(s.Bus, s.ChipSelect) { ClockFrequency = s.ClockHz, Mode = SpiMode.Mode0 });
            int[] channels = s.Channels.ToArray();
            return s.Type switch
            {
                "mcp3008" => (new Mcp3008(device), channels, channels.Select(ch => catalog.SlotOf($"spi.{s.Name}.ch{ch}")).ToArray(), s.Name, device),
                _ => throw new ArgumentException($"unknown SPI sensor type {s.Type}"),
            };
        }).ToArray();

        _cpuSlot = catalog.SlotOf("cpu.temperature");
        _cpuFile = config.CpuTemperatureFile ?? (File.Exists("/sys/class/thermal/thermal_zone0/temp") ? "/sys/class/thermal/thermal_zone0/temp" : null);
    }

    /// <summary>The CPU temperature in °C, or NaN where the board has none.</summary>
    public float CpuTemperature { get; private set; } = float.NaN;

    /// <summary>Fills detector counts (pulses since the last call), I2C readings and the CPU temperature. False on a sensor fault.</summary>
    public bool ReadSensors(Span<float> frame)
    {
        for (int i = 0; i < _detectors.Length; i++) frame[_detectorSlots[i]] = _periodCounts[i] = Interlocked.Exchange(ref _counts[i], 0);
        bool ok = true;
        if (DetectorHealth is { } health)
        {
            bool checkOn = _checkStuckOn;
            for (int i = 0; i < _detectors.Length; i++)
                _active[i] = checkOn && (Gpio.Read(_detectors[i].Pin) == PinValue.High) == _detectors[i].RisingEdge;
            if (health.Update(_periodCounts, _active, _dt) is { } fault)
            {
                ok = false;
                LastFault = fault;
            }
        }
        for (int i = 0; i < _i2c.Length; i++)
        {
            var (lm75, ina, slots, name, _) = _i2c[i];
            try
            {
                if (lm75 is not null) frame[slots[0]] = (float)lm75.Temperature.DegreesCelsius;
                else if (ina is not null)
                {
                    frame[slots[0]] = (float)ina.ReadBusVoltage().Volts;
                    frame[slots[1]] = (float)ina.ReadCurrent().Amperes;
                    frame[slots[2]] = (float)ina.ReadPower().Watts;
                }
                foreach (int s in slots)
                    if (!float.IsFinite(frame[s])) throw new IOException($"non-finite reading {frame[s]}");
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                ok = false;
                LastFault = $"i2c sensor {name}: {e.Message}";
                foreach (int s in slots) frame[s] = 0;
            }
        }
        for (int i = 0; i < _spi.Length; i++)
        {
            var (adc, channels, slots, name, _) = _spi[i];
            try
            {
                for (int k = 0; k < channels.Length; k++) frame[slots[k]] = adc.Read(channels[k]);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                ok = false;
                LastFault = $"spi sensor {name}: {e.Message}";
                foreach (int s in slots) frame[s] = 0;
            }
        }
        // sysfs is read about every 5 s, not every period: it is slow-moving and the read is a syscall.
        if (_cpuFile is not null && Environment.TickCount64 - _cpuReadAt >= 5000)
        {
            _cpuReadAt = Environment.TickCount64;
            CpuTemperature = ReadCpuTemperature();
        }
        frame[_cpuSlot] = float.IsFinite(CpuTemperature) ? CpuTemperature : 0;
        if (!ok) Interlocked.Increment(ref SensorFaults);
        return ok;
    }

    float ReadCpuTemperature()
    {
        if (_cpuFile is null) return float.NaN;
        try
        {
            using var h = File.OpenHandle(_cpuFile);
            int n = RandomAccess.Read(h, _cpuBuf, 0);
            return int.TryParse(_cpuBuf.AsSpan(0, n).TrimEnd((byte)'\n'), NumberStyles.Integer, CultureInfo.InvariantCulture, out int milli) ? milli / 1000f : float.NaN;
        }
        catch (IOException) { return float.NaN; }
        catch (UnauthorizedAccessException) { return float.NaN; }
    }

    public void Dispose()
    {
        for (int i = 0; i < _detectors.Length; i++) Gpio.UnregisterCallbackForPinValueChangedEvent(_detectors[i].Pin, _handlers[i]);
        foreach (var s in _i2c) { s.Lm75?.Dispose(); s.Ina?.Dispose(); s.Device.Dispose(); }
        foreach (var s in _spi) { s.Adc.Dispose(); s.Device.Dispose(); }
        Gpio.Dispose();
    }
}
