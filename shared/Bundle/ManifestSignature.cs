using System.Security.Cryptography;
using System.Text.Json;
using MarlEdge.Shared.IO;

namespace MarlEdge.Shared.Bundle;

/// <summary>
/// manifest.sig: an ECDSA P-256 / SHA-256 signature (IEEE P1363, base64) over the exact bytes of manifest.json, with the signing
/// key's id and the manifest's sha256 beside it. Those two only make the refusals precise (wrong key, manifest changed, signature
/// corrupted); the trust comes from the signature alone, which the manifest's hashes extend to every file.
/// </summary>
public sealed class ManifestSignature
{
    public const string FileName = "manifest.sig";
    public const string AlgorithmName = "ECDSA-P256-SHA256";

    public required string Algorithm { get; init; }
    public required string KeyId { get; init; }
    public required string ManifestSha256 { get; init; }
    public required string Signature { get; init; }

    public static ManifestSignature Sign(byte[] manifest, ECDsa key) => new()
    {
        Algorithm = AlgorithmName,
        KeyId = BundleKeys.KeyId(key),
        ManifestSha256 = Sha256Hex.Of(manifest),
        Signature = Convert.ToBase64String(key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)),
    };

    public void Write(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, BundleJsonContext.Info<ManifestSignature>(BundleManifest.Json)));

    public static ManifestSignature Parse(byte[] bytes)
    {
        try { return JsonSerializer.Deserialize(bytes, BundleJsonContext.Info<ManifestSignature>(BundleManifest.Json)) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new BundleException($"manifest.sig is malformed: {e.Message.Split('\n')[0]}"); }
    }

    /// <summary>Throws a <see cref="BundleException"/> naming the problem unless this signs <paramref name="manifest"/> with <paramref name="trusted"/>.</summary>
    public void Verify(byte[] manifest, ECDsa trusted)
    {
        if (Algorithm != AlgorithmName) throw new BundleException($"manifest.sig uses algorithm '{Algorithm}', not {AlgorithmName}");
        string trustedId = BundleKeys.KeyId(trusted);
        if (KeyId != trustedId) throw new BundleException($"manifest.sig was made with key {KeyId}, not with the trusted key {trustedId}");
        if (Sha256Hex.Of(manifest) != ManifestSha256) throw new BundleException("manifest.json was modified after it was signed (its sha256 is not the one manifest.sig covers)");
        byte[] signature;
        try { signature = Convert.FromBase64String(Signature); }
        catch (FormatException) { throw new BundleException("manifest.sig: the signature is not valid base64"); }
        if (!trusted.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            throw new BundleException("manifest.sig: the signature does not verify with the trusted key (it was corrupted or forged)");
    }
}
