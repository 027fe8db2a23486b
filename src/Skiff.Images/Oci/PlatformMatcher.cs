using System.Runtime.InteropServices;

namespace Skiff.Images.Oci;

/// <summary>The host's platform, --platform parsing, and choosing a manifest from an index.</summary>
public static class PlatformMatcher
{
    public static Platform Host { get; } = new()
    {
        Os = "linux",
        Architecture = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            Architecture.X86 => "386",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64le",
            Architecture.RiscV64 => "riscv64",
            Architecture.LoongArch64 => "loong64",
            _ => RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
        },
        Variant = RuntimeInformation.OSArchitecture switch { Architecture.Arm64 => "v8", Architecture.Arm => "v7", _ => null },
    };

    /// <summary>"os/arch[/variant]", as docker's --platform takes it (os may be omitted: "arm64").</summary>
    public static Platform Parse(string text)
    {
        string[] parts = text.ToLowerInvariant().Split('/');
        Platform platform = parts.Length switch
        {
            1 => new Platform { Os = "linux", Architecture = parts[0] },
            2 => new Platform { Os = parts[0], Architecture = parts[1] },
            3 => new Platform { Os = parts[0], Architecture = parts[1], Variant = parts[2] },
            _ => throw new ImageException($"invalid platform \"{text}\": expected os/arch[/variant]"),
        };
        if (platform.Os.Length == 0 || platform.Architecture.Length == 0) throw new ImageException($"invalid platform \"{text}\": expected os/arch[/variant]");
        platform.Architecture = platform.Architecture switch { "x86_64" or "x86-64" => "amd64", "aarch64" => "arm64", "i386" => "386", _ => platform.Architecture };
        return platform;
    }

    public static bool Matches(Platform wanted, Platform candidate)
    {
        if (candidate.Os != wanted.Os || candidate.Architecture != wanted.Architecture) return false;
        string? wantedVariant = NormalVariant(wanted), candidateVariant = NormalVariant(candidate);
        return wantedVariant is null || candidateVariant is null || wantedVariant == candidateVariant;
    }

    /// <summary>The best manifest of an index for <paramref name="wanted"/>: an exact variant beats a missing one.</summary>
    public static Descriptor? Select(IEnumerable<Descriptor> manifests, Platform wanted)
    {
        Descriptor? fallback = null;
        foreach (Descriptor descriptor in manifests)
        {
            if (!MediaTypes.IsManifest(descriptor.MediaType) && !MediaTypes.IsIndex(descriptor.MediaType)) continue;
            if (descriptor.Platform is not { } platform || !Matches(wanted, platform)) continue;
            if (NormalVariant(platform) == NormalVariant(wanted)) return descriptor;
            fallback ??= descriptor;
        }
        return fallback;
    }

    private static string? NormalVariant(Platform platform) =>
        platform.Variant is { Length: > 0 } variant ? variant : platform.Architecture == "arm64" ? "v8" : null;
}
