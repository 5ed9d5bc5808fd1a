using System.Buffers.Binary;

namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>
/// Reads TraCI's big-endian wire format from a received message without copying: strings come back as byte spans
/// into the message buffer, valid until the next message arrives.
/// </summary>
public ref struct TraciReader(ReadOnlySpan<byte> data)
{
    readonly ReadOnlySpan<byte> _data = data;
    int _position;

    public readonly bool AtEnd => _position >= _data.Length;
    public readonly int Position => _position;

    public byte ReadByte() => Take(1)[0];
    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>A string: int length, then that many (Latin-1) bytes.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        int length = ReadInt();
        if (length < 0) throw new TraciProtocolException($"negative string length {length}");
        return Take(length);
    }

    /// <summary>A command's length: one byte, or 0 followed by an int when the command is longer than 255 bytes.</summary>
    public int ReadCommandLength()
    {
        int length = ReadByte();
        return length != 0 ? length : ReadInt();
    }

    /// <summary>Reads one typed value (type byte + value). Numbers land in Number, strings in Text; other types are skipped.</summary>
    public TraciValue ReadTypedValue()
    {
        byte type = ReadByte();
        switch (type)
        {
            case TraciType.Double: return new TraciValue(type, ReadDouble(), default);
            case TraciType.Integer: return new TraciValue(type, ReadInt(), default);
            case TraciType.UByte: return new TraciValue(type, ReadByte(), default);
            case TraciType.Byte: return new TraciValue(type, (sbyte)ReadByte(), default);
            case TraciType.String: return new TraciValue(type, 0, ReadString());
            case TraciType.StringList:
            {
                int count = ReadInt();
                for (int i = 0; i < count; i++) ReadString();
                return new TraciValue(type, count, default);
            }
            case TraciType.DoubleList:
            {
                int count = ReadInt();
                Take(8 * count);
                return new TraciValue(type, count, default);
            }
            case TraciType.Compound:
            {
                int count = ReadInt();
                for (int i = 0; i < count; i++) ReadTypedValue();
                return new TraciValue(type, count, default);
            }
            case TraciType.Color: Take(4); return new TraciValue(type, 0, default);
            case TraciType.Position2D: case TraciType.LonLat: Take(16); return new TraciValue(type, 0, default);
            case TraciType.Position3D: case TraciType.LonLatAlt: Take(24); return new TraciValue(type, 0, default);
            case TraciType.RoadMap: ReadString(); Take(9); return new TraciValue(type, 0, default);
            case TraciType.Polygon:
            {
                int count = ReadByte();
                if (count == 0) count = ReadInt();
                Take(16 * count);
                return new TraciValue(type, count, default);
            }
            default: throw new TraciProtocolException($"unknown TraCI value type 0x{type:x2}");
        }
    }

    ReadOnlySpan<byte> Take(int count)
    {
        if (_position + count > _data.Length)
            throw new TraciProtocolException($"message ends early: wanted {count} bytes at offset {_position} of {_data.Length}");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}

/// <summary>One typed value from a response. Text points into the message buffer (Latin-1 bytes).</summary>
public readonly ref struct TraciValue(byte type, double number, ReadOnlySpan<byte> text)
{
    public readonly byte Type = type;
    public readonly double Number = number;
    public readonly ReadOnlySpan<byte> Text = text;

    public string TextAsString() => System.Text.Encoding.Latin1.GetString(Text);
}
