using System.Security.Cryptography;
using MarlEdge.Shared.IO;

namespace MarlEdge.Shared.Bundle;

/// <summary>ECDSA P-256 key pairs for signing bundles: a PKCS#8 PEM private key and a SubjectPublicKeyInfo PEM public key.</summary>
public static class BundleKeys
{
    /// <summary>Writes <c>KEY.pem</c> (private) and <c>KEY.pub.pem</c> (public) for a path prefix KEY; returns the key id.</summary>
    public static string Generate(string keyPrefix)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        AtomicFile.WriteAllText(keyPrefix + ".pem", key.ExportPkcs8PrivateKeyPem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AtomicFile.WriteAllText(keyPrefix + ".pub.pem", key.ExportSubjectPublicKeyInfoPem() + "\n");
        return KeyId(key);
    }

    public static ECDsa LoadPrivate(string path) => Load(path, requirePrivate: true);

    public static ECDsa LoadPublic(string path) => Load(path, requirePrivate: false);

    /// <summary>The first 16 hex digits of the sha256 of the public key (SubjectPublicKeyInfo DER): names a key in messages.</summary>
    public static string KeyId(ECDsa key) => Sha256Hex.Of(key.ExportSubjectPublicKeyInfo())[..16];

    static ECDsa Load(string path, bool requirePrivate)
    {
        if (!File.Exists(path)) throw new BundleException($"key file '{path}' does not exist");
        var key = ECDsa.Create();
        try { key.ImportFromPem(File.ReadAllText(path)); }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new BundleException($"key file '{path}' is not an EC key in PEM form");
        }
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != "1.2.840.10045.3.1.7")
        {
            key.Dispose();
            throw new BundleException($"key file '{path}' is not a P-256 key");
        }
        if (requirePrivate)
        {
            try { key.ExportParameters(true); }
            catch (CryptographicException)
            {
                key.Dispose();
                throw new BundleException($"key file '{path}' holds a public key; signing needs the private key (KEY.pem, not KEY.pub.pem)");
            }
        }
        return key;
    }
}
