using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MarlEdge.Shared.Bundle;

/// <summary>
/// Compile-time JSON metadata for everything a device reads or writes as JSON (manifest, signature, feature lists). The edge runtime is
/// published trimmed, where reflection-based serialization is off; these contracts work there and start faster everywhere.
/// </summary>
[JsonSerializable(typeof(BundleManifest))]
[JsonSerializable(typeof(ManifestSignature))]
[JsonSerializable(typeof(string[]))]
public sealed partial class BundleJsonContext : JsonSerializerContext
{
    /// <summary>The contract of <typeparamref name="T"/> under <paramref name="options"/> (which must resolve through this context).</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
