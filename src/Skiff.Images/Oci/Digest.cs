using System.Security.Cryptography;

namespace Skiff.Images.Oci;

/// <summary>A content digest "algorithm:hex" (OCI image-spec descriptor digests: sha256 and sha512).</summary>
public readonly record struct Digest
{
    public string Algorithm { get; }
    public string Hex { get; }

    private Digest(string algorithm, string hex) { Algorithm = algorithm; Hex = hex; }

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>The first 12 hex characters, as Docker shows ids.</summary>
    public string Short => Hex[..12];

    public static Digest Parse(string text) =>
        TryParse(text, out Digest digest) ? digest : throw new FormatException($"invalid digest \"{text}\"");

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (text is null) return false;
        int colon = text.IndexOf(':');
        if (colon <= 0) return false;
        string algorithm = text[..colon], hex = text[(colon + 1)..];
        int expected = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (hex.Length != expected) return false;
        foreach (char c in hex)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    public static Digest Sha256(ReadOnlySpan<byte> content) => FromHash("sha256", SHA256.HashData(content));

    public static Digest FromHash(string algorithm, byte[] hash) => new(algorithm, Convert.ToHexStringLower(hash));

    public HashAlgorithmName HashName => Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;

    public IncrementalHash CreateHash() => IncrementalHash.CreateHash(HashName);

    public bool Matches(ReadOnlySpan<byte> content) =>
        Convert.ToHexStringLower(Algorithm == "sha512" ? SHA512.HashData(content) : SHA256.HashData(content)) == Hex;
}
