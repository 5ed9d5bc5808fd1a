namespace MarlEdge.Shared.Bundle;

/// <summary>A bundle that cannot be trusted or used. The message is one line saying exactly what is wrong.</summary>
public sealed class BundleException(string message) : Exception(message);
