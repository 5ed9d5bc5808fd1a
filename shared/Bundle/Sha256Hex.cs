using System.Security.Cryptography;

namespace MarlEdge.Shared.Bundle;

public static class Sha256Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
