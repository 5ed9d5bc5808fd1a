using System.Buffers.Binary;
using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;

namespace MarlEdge.Runtime.Io;

/// <summary>
/// A simulated GPIO chip: a real <see cref="GpioDriver"/> subclass behind a real <see cref="GpioController"/>, so the runtime's
/// code path is the one it takes on a Raspberry Pi or Jetson. Outputs keep what was written (the conflict monitor reads them
/// back); tests drive inputs with <see cref="Pulse"/> and <see cref="SetInput"/>, which fire the registered edge callbacks.
/// </summary>
public sealed class SimulatedGpioDriver(int pinCount = 64) : GpioDriver
{
    readonly PinValue[] _values = new PinValue[pinCount];
    readonly PinMode?[] _modes = new PinMode?[pinCount];
    readonly List<(int Pin, PinEventTypes Events, PinChangeEventHandler Handler)> _callbacks = [];
    readonly Lock _lock = new();
    long _writes;

    /// <summary>Output writes so far (tests check that nothing drove a pin while it should not).</summary>
    public long Writes => Interlocked.Read(ref _writes);
    /// <summary>Called after every output write with (pin, value): a test hook standing in for an oscilloscope.</summary>
    public Action<int, PinValue>? OnWrite { get; set; }

    protected override int PinCount => _values.Length;

    protected override void OpenPin(int pinNumber) => Check(pinNumber);
    protected override void ClosePin(int pinNumber) => _modes[pinNumber] = null;
    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[Check(pinNumber)] = mode;
    protected override PinMode GetPinMode(int pinNumber) => _modes[Check(pinNumber)] ?? PinMode.Input;
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;
    protected override PinValue Read(int pinNumber) => _values[Check(pinNumber)];

    readonly PinValue?[] _stuck = new PinValue?[pinCount];

    /// <summary>Fault injection: the line stays at this level whatever is written (a welded load-switch relay). Null frees it.</summary>
    public void Stick(int pin, PinValue? value)
    {
        _stuck[Check(pin)] = value;
        if (value is { } v) _values[pin] = v;
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        _values[Check(pinNumber)] = _stuck[pinNumber] ?? value;
        Interlocked.Increment(ref _writes);
        OnWrite?.Invoke(pinNumber, value);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne();
        return new WaitForEventResult { TimedOut = true, EventTypes = PinEventTypes.None };
    }

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_lock) _callbacks.Add((Check(pinNumber), eventTypes, callback));
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_lock) _callbacks.RemoveAll(c => c.Pin == pinNumber && c.Handler == callback);
    }

    /// <summary>Sets an input level; a change fires the matching edge callbacks, as the kernel's line events would.</summary>
    public void SetInput(int pin, PinValue value)
    {
        var old = _values[Check(pin)];
        _values[pin] = value;
        if (old == value) return;
        var edge = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        (int, PinEventTypes, PinChangeEventHandler)[] targets;
        lock (_lock) targets = _callbacks.Where(c => c.Pin == pin && (c.Events & edge) != 0).ToArray();
        foreach (var (_, _, handler) in targets) handler(this, new PinValueChangedEventArgs(edge, pin));
    }

    /// <summary>One detector pulse: a rising then a falling edge.</summary>
    public void Pulse(int pin)
    {
        SetInput(pin, PinValue.High);
        SetInput(pin, PinValue.Low);
    }

    public PinValue Peek(int pin) => _values[Check(pin)];

    int Check(int pin) => (uint)pin < (uint)_values.Length ? pin : throw new ArgumentOutOfRangeException(nameof(pin), $"pin {pin} is not on the simulated chip (0..{_values.Length - 1})");
}

/// <summary>
/// A simulated I2C device with 8-bit register addresses and big-endian 16-bit registers, as LM75 and INA219 have. The first byte of
/// a write sets the register pointer and any further bytes are written from it; a read returns bytes from the pointer. Bindings
/// from Iot.Device.Bindings talk to it exactly as they would to the chip. <see cref="Fail"/> makes every transfer throw, like a
/// disconnected sensor (NACK).
/// </summary>
public sealed class SimulatedI2cDevice(I2cConnectionSettings settings) : I2cDevice
{
    readonly byte[] _registers = new byte[512];
    int _pointer;
    public volatile bool Fail;
    public override I2cConnectionSettings ConnectionSettings { get; } = settings;

    public void SetRegister16(int register, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_registers.AsSpan(register * 2, 2), value);
    public ushort GetRegister16(int register) => BinaryPrimitives.ReadUInt16BigEndian(_registers.AsSpan(register * 2, 2));

    public override void Read(Span<byte> buffer)
    {
        Throw();
        lock (_registers) _registers.AsSpan(_pointer * 2, buffer.Length).CopyTo(buffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Throw();
        if (buffer.Length == 0) return;
        lock (_registers)
        {
            _pointer = buffer[0];
            if (buffer.Length > 1) buffer[1..].CopyTo(_registers.AsSpan(_pointer * 2));
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    void Throw()
    {
        if (Fail) throw new IOException($"I2C bus {ConnectionSettings.BusId} address 0x{ConnectionSettings.DeviceAddress:x2}: no acknowledge (simulated fault)");
    }

    /// <summary>An LM75 holding a temperature (register 0: 9-bit two's complement, 0.5 °C, left-aligned).</summary>
    public static SimulatedI2cDevice Lm75(I2cConnectionSettings settings, double celsius)
    {
        var d = new SimulatedI2cDevice(settings);
        d.SetLm75Temperature(celsius);
        return d;
    }

    public void SetLm75Temperature(double celsius) => SetRegister16(0, (ushort)((short)Math.Round(celsius * 2) << 7));
}

/// <summary>The simulated board's I2C buses: one <see cref="SimulatedI2cDevice"/> per (bus, address), created on first use.</summary>
public sealed class SimulatedI2cBus
{
    readonly Dictionary<(int, int), SimulatedI2cDevice> _devices = [];

    public SimulatedI2cDevice Device(int bus, int address)
    {
        lock (_devices)
        {
            if (!_devices.TryGetValue((bus, address), out var d))
                _devices[(bus, address)] = d = SimulatedI2cDevice.Lm75(new I2cConnectionSettings(bus, address), 21.5);
            return d;
        }
    }
}

/// <summary>
/// A simulated MCP3008 (8-channel 10-bit ADC) on SPI, at the bit level of its datasheet (section 6): on MOSI the chip waits for
/// the start bit, clocks in SGL/DIFF and D2..D0, samples for one clock, outputs a null bit and then B9..B0 on MISO, MSB first.
/// Whatever byte framing a driver uses, it reads what a real chip would give it. <see cref="Fail"/> makes every transfer throw.
/// </summary>
public sealed class SimulatedMcp3008(SpiConnectionSettings settings) : SpiDevice
{
    readonly int[] _channels = new int[8];
    public volatile bool Fail;
    public long Transfers;
    public override SpiConnectionSettings ConnectionSettings { get; } = settings;

    /// <summary>The raw 10-bit reading of a channel (single-ended), 0..1023.</summary>
    public void SetChannel(int channel, int raw) => Volatile.Write(ref _channels[channel], Math.Clamp(raw, 0, 1023));

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        if (Fail) throw new IOException($"SPI bus {ConnectionSettings.BusId} chip select {ConnectionSettings.ChipSelectLine}: no response (simulated fault)");
        Transfers++;
        readBuffer.Clear();
        int bits = writeBuffer.Length * 8, clock = 0;
        while (clock < bits && !Mosi(writeBuffer, clock)) clock++;  // leading zeros, then the start bit
        if (clock + 4 >= bits) return;
        bool single = Mosi(writeBuffer, clock + 1);
        int channel = (Mosi(writeBuffer, clock + 2) ? 4 : 0) | (Mosi(writeBuffer, clock + 3) ? 2 : 0) | (Mosi(writeBuffer, clock + 4) ? 1 : 0);
        int d0 = clock + 4;
        // Differential mode (CH+ − CH−) on the pair; a negative difference reads 0, as on the chip.
        int value = single ? Volatile.Read(ref _channels[channel])
            : Math.Max(0, Volatile.Read(ref _channels[channel]) - Volatile.Read(ref _channels[channel ^ 1]));
        // d0 + 1: sample period; d0 + 2: null bit (0); d0 + 3 .. d0 + 12: B9 .. B0.
        for (int k = 0; k < 10; k++)
        {
            int c = d0 + 3 + k;
            if ((value & (1 << (9 - k))) != 0 && c < readBuffer.Length * 8) readBuffer[c / 8] |= (byte)(0x80 >> (c % 8));
        }
    }

    static bool Mosi(ReadOnlySpan<byte> w, int c) => (w[c / 8] & (0x80 >> (c % 8))) != 0;

    public override void Read(Span<byte> buffer) => TransferFullDuplex(new byte[buffer.Length], buffer);
    public override byte ReadByte() { Span<byte> b = stackalloc byte[1]; Read(b); return b[0]; }
    public override void Write(ReadOnlySpan<byte> buffer) => TransferFullDuplex(buffer, new byte[buffer.Length]);
    public override void WriteByte(byte value) => Write([value]);
}

/// <summary>The simulated board's SPI buses: one <see cref="SimulatedMcp3008"/> per (bus, chip select), created on first use.</summary>
public sealed class SimulatedSpiBus
{
    readonly Dictionary<(int, int), SimulatedMcp3008> _devices = [];

    public SimulatedMcp3008 Device(int bus, int chipSelect)
    {
        lock (_devices)
        {
            if (!_devices.TryGetValue((bus, chipSelect), out var d))
                _devices[(bus, chipSelect)] = d = new SimulatedMcp3008(new SpiConnectionSettings(bus, chipSelect));
            return d;
        }
    }
}
