using System.Text.RegularExpressions;
using Skiff.Images.Oci;

namespace Skiff.Images.References;

/// <summary>
/// A fully qualified image reference: registry host, repository path, and a tag and/or digest.
/// Parsing follows Docker's reference grammar; short names get the configured default registry
/// (and "library/" when that registry is Docker Hub).
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, Digest? Digest)
{
    public const string DockerHub = "docker.io";
    public const string DefaultTag = "latest";

    /// <summary>registry/repository, e.g. docker.io/library/busybox.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>The canonical string: name, then :tag, then @digest where present.</summary>
    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>Docker's short form: Docker Hub names without "docker.io/" and "library/".</summary>
    public string FamiliarName => Registry == DockerHub
        ? Repository.StartsWith("library/", StringComparison.Ordinal) && Repository.IndexOf('/', 8) < 0 ? Repository[8..] : Repository
        : Name;

    public string FamiliarString =>
        FamiliarName + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    /// <summary>The string a registry wants after /manifests/: the digest if pinned, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? DefaultTag;

    public ImageReference WithTag(string tag) => this with { Tag = tag, Digest = null };

    /// <summary>Parse a user's reference; a missing tag stays missing (callers decide on "latest").</summary>
    public static ImageReference Parse(string text, string defaultRegistry = DockerHub) =>
        TryParse(text, defaultRegistry, out ImageReference? reference, out string? error)
            ? reference! : throw new ImageException($"invalid reference format \"{text}\": {error}");

    public static bool TryParse(string text, string defaultRegistry, out ImageReference? reference, out string? error)
    {
        reference = null;
        error = null;
        if (string.IsNullOrEmpty(text)) { error = "empty reference"; return false; }
        if (text.Length > 4096) { error = "reference too long"; return false; }

        string remainder = text;
        Digest? digest = null;
        int at = remainder.IndexOf('@');
        if (at >= 0)
        {
            if (!Oci.Digest.TryParse(remainder[(at + 1)..], out Digest parsed)) { error = "invalid digest"; return false; }
            digest = parsed;
            remainder = remainder[..at];
        }

        string? tag = null;
        int lastColon = remainder.LastIndexOf(':');
        if (lastColon > remainder.LastIndexOf('/'))
        {
            tag = remainder[(lastColon + 1)..];
            remainder = remainder[..lastColon];
            if (!TagPattern().IsMatch(tag)) { error = "invalid tag"; return false; }
        }

        string registry = defaultRegistry;
        string path = remainder;
        int slash = remainder.IndexOf('/');
        if (slash > 0)
        {
            string first = remainder[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsAsciiLetterUpper))
            {
                registry = first;
                path = remainder[(slash + 1)..];
            }
        }
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;
        if (!HostPattern().IsMatch(registry)) { error = "invalid registry host"; return false; }
        if (!PathPattern().IsMatch(path))
        {
            error = path.Any(char.IsAsciiLetterUpper) ? "repository name must be lowercase" : "invalid repository name";
            return false;
        }
        if (registry == DockerHub && !path.Contains('/')) path = "library/" + path;
        if ($"{registry}/{path}".Length > 255) { error = "repository name too long"; return false; }

        reference = new ImageReference(registry, path, tag, digest);
        return true;
    }

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex PathPattern();
}
