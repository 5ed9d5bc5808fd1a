namespace MarlEdge.Shared.Onnx;

/// <summary>What a lone .onnx policy says about itself in metadata_props: whose policy it is and how its observation is laid out.</summary>
public sealed record PolicyModelInfo(string AgentId, IReadOnlyList<string> ObservationFeatures);
