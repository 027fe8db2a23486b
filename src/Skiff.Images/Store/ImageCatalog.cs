using Skiff.Images.Oci;
using Skiff.Images.References;

namespace Skiff.Images.Store;

/// <summary>
/// Image records and their names: lookup by name, digest or id prefix (Docker's rules), tagging,
/// untagging and deletion of records. Content is never touched here; collection does that.
/// </summary>
public sealed class ImageCatalog(MetadataStore metadata, string defaultRegistry)
{
    public string DefaultRegistry => defaultRegistry;

    public IReadOnlyList<ImageRecord> List() => metadata.Read().Images;

    /// <summary>The record a user's reference names; throws <see cref="ImageNotFoundException"/>.</summary>
    public ImageRecord Resolve(string text) =>
        Find(metadata.Read(), text) ?? throw new ImageNotFoundException($"No such image: {text}");

    public ImageRecord? TryResolve(string text) => Find(metadata.Read(), text);

    /// <summary>Finds by full id first, then by name (tag defaults to latest) or digest, then by id prefix.</summary>
    public ImageRecord? Find(ImageRecordsFile records, string text)
    {
        string bare = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        bool hexOnly = bare.Length > 0 && bare.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
        if (hexOnly && bare.Length == 64 && ById(records, bare) is { } exact) return exact;

        if (!text.StartsWith("sha256:", StringComparison.Ordinal)
            && ImageReference.TryParse(text, defaultRegistry, out ImageReference? reference, out _))
        {
            if (reference!.Digest is { } digest)
            {
                string pinned = $"{reference.Name}@{digest}";
                ImageRecord? byDigest = records.Images.LastOrDefault(r => r.RepoDigests.Contains(pinned))
                    ?? records.Images.LastOrDefault(r => (r.ManifestDigest == digest.ToString() || r.IndexDigest == digest.ToString())
                        && r.RepoTags.Concat(r.RepoDigests).Any(name => NameOf(name) == reference.Name));
                if (byDigest is not null) return byDigest;
            }
            else
            {
                string tagged = reference.WithTag(reference.Tag ?? ImageReference.DefaultTag).ToString();
                if (records.Images.LastOrDefault(r => r.RepoTags.Contains(tagged)) is { } byTag) return byTag;
            }
        }

        if (hexOnly)
        {
            List<ImageRecord> matches = [.. records.Images.Where(r => Digest.TryParse(r.Id, out Digest id) && id.Hex.StartsWith(bare, StringComparison.Ordinal))];
            if (matches.Select(r => r.Id).Distinct().Count() > 1)
                throw new ImageException($"{text}: ambiguous image id prefix ({matches.Count} images match)");
            return matches.MaxBy(r => r.Added);
        }
        return null;
    }

    private static ImageRecord? ById(ImageRecordsFile records, string hex) =>
        records.Images.Where(r => r.Id == "sha256:" + hex).MaxBy(r => r.Added);

    /// <summary>The repository part of "name:tag" or "name@digest".</summary>
    public static string NameOf(string repoTagOrDigest)
    {
        int at = repoTagOrDigest.IndexOf('@');
        if (at >= 0) return repoTagOrDigest[..at];
        int colon = repoTagOrDigest.LastIndexOf(':');
        return colon > repoTagOrDigest.LastIndexOf('/') ? repoTagOrDigest[..colon] : repoTagOrDigest;
    }

    /// <summary>Points <paramref name="target"/> (a name, tag defaulting to latest) at the image <paramref name="source"/> names.</summary>
    public ImageRecord Tag(string source, string target)
    {
        ImageReference reference = ImageReference.Parse(target, defaultRegistry);
        if (reference.Digest is not null) throw new ImageException($"tag {target}: a tag cannot contain a digest");
        string name = reference.WithTag(reference.Tag ?? ImageReference.DefaultTag).ToString();
        return metadata.Update(records =>
        {
            ImageRecord record = Find(records, source) ?? throw new ImageNotFoundException($"No such image: {source}");
            MoveTag(records, record, name);
            return record;
        });
    }

    /// <summary>Gives <paramref name="record"/> the tag, taking it from whichever image had it.</summary>
    public static void MoveTag(ImageRecordsFile records, ImageRecord record, string tag)
    {
        foreach (ImageRecord other in records.Images)
            if (!ReferenceEquals(other, record)) other.RepoTags.Remove(tag);
        if (!record.RepoTags.Contains(tag)) record.RepoTags.Add(tag);
    }

    /// <summary>
    /// docker rmi: untags a name, and deletes the image once no tag is left; by id, deletes the image
    /// (all its names) if it has one repository or <paramref name="force"/>. Images a container stands on
    /// are only untagged, and only with force.
    /// </summary>
    /// <returns>Docker's report lines ("Untagged: ...", "Deleted: ...").</returns>
    public List<string> Remove(string text, bool force, Func<string, string?> containerUsing)
    {
        return metadata.Update(records =>
        {
            ImageRecord record = Find(records, text) ?? throw new ImageNotFoundException($"No such image: {text}");
            List<string> report = [];
            string shortId = Digest.Parse(record.Id).Short;
            bool byName = ImageReference.TryParse(text, defaultRegistry, out ImageReference? reference, out _)
                && !IsIdLike(text) && (record.RepoTags.Count + record.RepoDigests.Count > 0);
            string? container = containerUsing(record.Id);

            if (byName && reference!.Digest is null)
            {
                string tag = reference.WithTag(reference.Tag ?? ImageReference.DefaultTag).ToString();
                if (container is not null && !force && record.RepoTags.Count <= 1)
                    throw new ImageException($"conflict: unable to remove repository reference \"{text}\" (must force) - container {container} is using its referenced image {shortId}");
                record.RepoTags.Remove(tag);
                report.Add($"Untagged: {Familiar(tag)}");
                if (record.RepoTags.Count > 0 || container is not null) return report;
            }
            else
            {
                int repositories = record.RepoTags.Concat(record.RepoDigests).Select(NameOf).Distinct().Count();
                if (repositories > 1 && !force)
                    throw new ImageException($"conflict: unable to delete {shortId} (must be forced) - image is referenced in multiple repositories");
                if (container is not null)
                {
                    if (!force) throw new ImageException($"conflict: unable to delete {shortId} (must be forced) - image is being used by container {container}");
                    foreach (string tag in record.RepoTags) report.Add($"Untagged: {Familiar(tag)}");
                    record.RepoTags.Clear();
                    return report;
                }
                foreach (string tag in record.RepoTags) report.Add($"Untagged: {Familiar(tag)}");
            }
            foreach (string digest in record.RepoDigests) report.Add($"Untagged: {Familiar(digest)}");
            // Every record of this image id goes (they differ only in layer compression).
            records.Images.RemoveAll(r => r.Id == record.Id && (ReferenceEquals(r, record) || r.RepoTags.Count == 0));
            report.Add($"Deleted: {record.Id}");
            return report;
        });
    }

    /// <summary>Removes records: dangling ones (no tags), or with <paramref name="all"/> every one no container uses.</summary>
    public List<ImageRecord> Prune(bool all, Func<string, string?> containerUsing) => metadata.Update(records =>
    {
        List<ImageRecord> doomed = [.. records.Images.Where(r => (all || r.RepoTags.Count == 0) && containerUsing(r.Id) is null)];
        foreach (ImageRecord record in doomed) records.Images.Remove(record);
        return doomed;
    });

    private static bool IsIdLike(string text)
    {
        string bare = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        return text.StartsWith("sha256:", StringComparison.Ordinal) || (bare.Length >= 12 && bare.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'));
    }

    /// <summary>Docker's short form of a full "registry/repo:tag" or "registry/repo@digest".</summary>
    public static string Familiar(string full)
    {
        int at = full.IndexOf('@');
        string name = NameOf(full);
        string suffix = full[name.Length..];
        return ImageReference.TryParse(name, ImageReference.DockerHub, out ImageReference? reference, out _) && at != 0
            ? reference!.FamiliarName + suffix
            : full;
    }
}
