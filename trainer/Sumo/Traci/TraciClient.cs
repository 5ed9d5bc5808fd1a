using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>Receives subscription results as they are parsed, without copying: spans point into the received message.</summary>
public interface ISubscriptionSink
{
    /// <summary>
    /// One variable of one object. For a variable subscription <paramref name="objectId"/> equals
    /// <paramref name="subscribedId"/>; for a context subscription it is an object found around the subscribed one.
    /// Variables arrive in the order they were subscribed.
    /// </summary>
    void OnValue(byte responseId, ReadOnlySpan<byte> subscribedId, ReadOnlySpan<byte> objectId, byte variableId, TraciValue value);
}

/// <summary>
/// A TraCI client over TCP. Commands that only return a status (such as setting a traffic light) can be queued; all
/// queued commands travel in one message with the next round trip, so setting every light of the net costs one.
/// </summary>
public sealed class TraciClient : IDisposable
{
    readonly Socket _socket;
    readonly TraciMessageWriter _writer = new();
    byte[] _queuedIds = new byte[32];
    byte[] _received = new byte[1 << 16];

    TraciClient(Socket socket) => _socket = socket;

    /// <summary>Connects to SUMO on the loopback port. Throws SocketException when nobody listens yet.</summary>
    public static TraciClient Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return new TraciClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // ---- control commands ----

    public (int ApiVersion, string Identifier) GetVersion()
    {
        Begin(TraciCommand.GetVersion);
        End();
        var reader = RoundTrip();
        reader.ReadCommandLength();
        Expect(reader.ReadByte(), TraciCommand.GetVersion);
        int api = reader.ReadInt();
        return (api, Encoding.Latin1.GetString(reader.ReadString()));
    }

    public void SetOrder(int order)
    {
        Begin(TraciCommand.SetOrder);
        _writer.WriteInt(order);
        End();
        RoundTrip();
    }

    /// <summary>
    /// Simulates up to <paramref name="targetTime"/> seconds (0: exactly one step),
    /// after sending every queued command (in a message of their own), and hands every subscription result to <paramref name="sink"/> (null skips them). Returns the number of results.
    /// </summary>
    public int SimulationStep(double targetTime, ISubscriptionSink? sink)
    {
        // SUMO 1.15 drops the status answers of commands that precede a simulation step in the same message (it
        // resets its output at the step), so errors would pass silently: queued commands travel in their own message.
        if (!_writer.IsEmpty) RoundTrip();
        Begin(TraciCommand.SimulationStep);
        _writer.WriteDouble(targetTime);
        End();
        var reader = RoundTrip();
        int count = reader.ReadInt();
        for (int i = 0; i < count; i++) ReadSubscriptionResult(ref reader, sink);
        return count;
    }

    /// <summary>Ends the simulation: SUMO writes its outputs and exits.</summary>
    public void Close()
    {
        Begin(TraciCommand.Close);
        End();
        RoundTrip();
    }

    // ---- traffic lights ----

    /// <summary>Queues setRedYellowGreenState; it is sent with the next round trip.</summary>
    public void QueueSetTrafficLightState(string tlsId, string state)
    {
        Begin(TraciCommand.SetTrafficLight);
        _writer.WriteByte(TraciVariable.TrafficLightState);
        _writer.WriteString(tlsId);
        _writer.WriteTypedString(state);
        End();
    }

    public string GetTrafficLightState(string tlsId) => GetString(TraciCommand.GetTrafficLight, TraciVariable.TrafficLightState, tlsId);

    // ---- generic getters (one round trip each; the decision loop uses subscriptions instead) ----

    public string GetString(byte domain, byte variable, string objectId)
    {
        var reader = Get(domain, variable, objectId);
        var value = reader.ReadTypedValue();
        if (value.Type != TraciType.String) throw new TraciProtocolException($"expected a string, got type 0x{value.Type:x2}");
        return value.TextAsString();
    }

    public double GetNumber(byte domain, byte variable, string objectId)
    {
        var reader = Get(domain, variable, objectId);
        var value = reader.ReadTypedValue();
        if (value.Type is not (TraciType.Double or TraciType.Integer or TraciType.UByte or TraciType.Byte or TraciType.StringList))
            throw new TraciProtocolException($"expected a number, got type 0x{value.Type:x2}");
        return value.Number;
    }

    TraciReader Get(byte domain, byte variable, string objectId)
    {
        Begin(domain);
        _writer.WriteByte(variable);
        _writer.WriteString(objectId);
        End();
        var reader = RoundTrip();
        reader.ReadCommandLength();
        Expect(reader.ReadByte(), (byte)(domain + TraciCommand.ResponseOffset));
        Expect(reader.ReadByte(), variable);
        reader.ReadString();
        return reader;
    }

    // ---- subscriptions ----

    /// <summary>Subscribes variables of one object for the whole simulation; results arrive with every SimulationStep.</summary>
    public void SubscribeVariables(byte subscribeCommand, string objectId, ReadOnlySpan<byte> variables, ISubscriptionSink? sink = null)
    {
        Begin(subscribeCommand);
        WriteSubscriptionHeader(objectId);
        _writer.WriteByte((byte)variables.Length);
        foreach (byte v in variables) _writer.WriteByte(v);
        End();
        var reader = RoundTrip();
        ReadSubscriptionResult(ref reader, sink);
    }

    /// <summary>
    /// Subscribes variables of every object of <paramref name="domain"/> (a get command id, e.g. vehicles 0xa4)
    /// within <paramref name="range"/> metres of the object, e.g. all vehicles around a junction.
    /// </summary>
    public void SubscribeContext(byte subscribeCommand, string objectId, byte domain, double range, ReadOnlySpan<byte> variables, ISubscriptionSink? sink = null)
    {
        Begin(subscribeCommand);
        WriteSubscriptionHeader(objectId);
        _writer.WriteByte(domain);
        _writer.WriteDouble(range);
        _writer.WriteByte((byte)variables.Length);
        foreach (byte v in variables) _writer.WriteByte(v);
        End();
        var reader = RoundTrip();
        ReadSubscriptionResult(ref reader, sink);
    }

    /// <summary>TraCI's INVALID_DOUBLE_VALUE: as a subscription's begin it means "now", as its end "never".</summary>
    const double InvalidDouble = -1073741824.0;

    void WriteSubscriptionHeader(string objectId)
    {
        _writer.WriteDouble(InvalidDouble);  // begin: now
        _writer.WriteDouble(InvalidDouble);  // end: never
        _writer.WriteString(objectId);
    }

    static void ReadSubscriptionResult(ref TraciReader reader, ISubscriptionSink? sink)
    {
        reader.ReadCommandLength();
        byte response = reader.ReadByte();
        bool isContext = response is >= 0x90 and <= 0x9f;
        var subscribedId = reader.ReadString();
        if (isContext) reader.ReadByte();  // the context domain
        int variableCount = reader.ReadByte();
        if (!isContext)
        {
            ReadVariables(ref reader, sink, response, subscribedId, subscribedId, variableCount);
            return;
        }
        int objectCount = reader.ReadInt();
        for (int o = 0; o < objectCount; o++)
        {
            var objectId = reader.ReadString();
            ReadVariables(ref reader, sink, response, subscribedId, objectId, variableCount);
        }
    }

    static void ReadVariables(ref TraciReader reader, ISubscriptionSink? sink, byte response, ReadOnlySpan<byte> subscribedId, ReadOnlySpan<byte> objectId, int count)
    {
        for (int v = 0; v < count; v++)
        {
            byte variable = reader.ReadByte();
            byte status = reader.ReadByte();
            var value = reader.ReadTypedValue();
            if (status != 0)
                throw new TraciCommandException(response, $"subscription variable 0x{variable:x2} of '{Encoding.Latin1.GetString(subscribedId)}': {value.TextAsString()}");
            sink?.OnValue(response, subscribedId, objectId, variable, value);
        }
    }

    // ---- message plumbing ----

    void Begin(byte commandId)
    {
        if (_writer.CommandCount == _queuedIds.Length) Array.Resize(ref _queuedIds, _queuedIds.Length * 2);
        _queuedIds[_writer.CommandCount] = commandId;
        _writer.BeginCommand(commandId);
    }

    void End() => _writer.EndCommand();

    /// <summary>
    /// Sends the message with every queued command, receives the answer and checks one status per command. Only the
    /// last command may carry a response body; the returned reader is positioned at it.
    /// </summary>
    TraciReader RoundTrip()
    {
        int commands = _writer.CommandCount;
        try
        {
            var message = _writer.Complete();
            while (message.Length > 0)
            {
                int sent = _socket.Send(message);
                message = message[sent..];
            }
        }
        catch (SocketException e)
        {
            throw new TraciProtocolException($"connection to SUMO lost while sending ({e.SocketErrorCode})");
        }
        finally
        {
            _writer.Clear();
        }
        int length = ReceiveMessage();
        var reader = new TraciReader(_received.AsSpan(0, length));
        TraciCommandException? refused = null;
        for (int i = 0; i < commands; i++)
        {
            reader.ReadCommandLength();
            byte id = reader.ReadByte();
            byte result = reader.ReadByte();
            var description = reader.ReadString();
            if (result != 0)
            {
                refused ??= new TraciCommandException(_queuedIds[i], Encoding.Latin1.GetString(description));
                break;
            }
            if (id != _queuedIds[i]) throw new TraciProtocolException($"answer for command 0x{id:x2} where 0x{_queuedIds[i]:x2} was expected");
        }
        if (refused is not null) throw refused;
        return reader;
    }

    int ReceiveMessage()
    {
        Span<byte> header = stackalloc byte[4];
        ReceiveExactly(header);
        int total = BinaryPrimitives.ReadInt32BigEndian(header) - 4;
        if (total < 0) throw new TraciProtocolException($"bad message length {total + 4}");
        if (total > _received.Length) _received = new byte[Math.Max(total, _received.Length * 2)];
        ReceiveExactly(_received.AsSpan(0, total));
        return total;
    }

    void ReceiveExactly(Span<byte> target)
    {
        while (target.Length > 0)
        {
            int n;
            try { n = _socket.Receive(target); }
            catch (SocketException e) { throw new TraciProtocolException($"connection to SUMO lost ({e.SocketErrorCode})"); }
            if (n == 0) throw new TraciProtocolException("connection to SUMO closed");
            target = target[n..];
        }
    }

    static void Expect(byte actual, byte expected)
    {
        if (actual != expected) throw new TraciProtocolException($"got 0x{actual:x2} where 0x{expected:x2} was expected");
    }

    public void Dispose() => _socket.Dispose();
}
