namespace MarlEdge.Shared.Onnx;

/// <summary>A file that is not a readable MarlEdge policy model. The message is one line naming the problem.</summary>
public sealed class OnnxFormatException(string message) : Exception(message);
