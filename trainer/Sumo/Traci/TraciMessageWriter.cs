using System.Buffers.Binary;
using System.Text;

namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>
/// Builds one TraCI message (an int total length, then commands) in a reusable buffer. Each command is
/// <c>length, command id, content</c>; a command longer than 255 bytes uses the extended length (0 then an int).
/// </summary>
public sealed class TraciMessageWriter
{
    byte[] _buffer = new byte[4096];
    int _length = 4;       // room for the message length
    int _commandStart = -1;

    public int CommandCount { get; private set; }
    public bool IsEmpty => CommandCount == 0;

    public void BeginCommand(byte commandId)
    {
        if (_commandStart >= 0) throw new InvalidOperationException("previous command not ended");
        _commandStart = _length;
        WriteByte(0);           // length, patched in EndCommand
        WriteByte(commandId);
    }

    public void EndCommand()
    {
        int length = _length - _commandStart;
        if (length <= 255)
        {
            _buffer[_commandStart] = (byte)length;
        }
        else
        {
            // Extended length: 0, then an int counting the whole command including these 5 bytes.
            Ensure(4);
            Array.Copy(_buffer, _commandStart + 1, _buffer, _commandStart + 5, length - 1);
            _buffer[_commandStart] = 0;
            BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_commandStart + 1), length + 4);
            _length += 4;
        }
        _commandStart = -1;
        CommandCount++;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteInt(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteDouble(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleBigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>An untyped string (int length + Latin-1 bytes), as object ids are sent.</summary>
    public void WriteString(string value)
    {
        int count = Encoding.Latin1.GetByteCount(value);
        WriteInt(count);
        Ensure(count);
        Encoding.Latin1.GetBytes(value, _buffer.AsSpan(_length));
        _length += count;
    }

    public void WriteTypedString(string value)
    {
        WriteByte(TraciType.String);
        WriteString(value);
    }

    public void WriteTypedDouble(double value)
    {
        WriteByte(TraciType.Double);
        WriteDouble(value);
    }

    /// <summary>The finished message with its length prefix filled in.</summary>
    public ReadOnlySpan<byte> Complete()
    {
        if (_commandStart >= 0) throw new InvalidOperationException("command not ended");
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _length);
        return _buffer.AsSpan(0, _length);
    }

    public void Clear()
    {
        _length = 4;
        _commandStart = -1;
        CommandCount = 0;
    }

    void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
    }
}
