namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>SUMO answered a command with an error status (the command was refused; the connection is still usable).</summary>
public sealed class TraciCommandException(byte commandId, string message)
    : Exception($"SUMO refused TraCI command 0x{commandId:x2}: {message}")
{
    public byte CommandId { get; } = commandId;
}

/// <summary>The bytes on the wire did not follow the protocol, or the connection was lost.</summary>
public sealed class TraciProtocolException(string message) : Exception(message);
