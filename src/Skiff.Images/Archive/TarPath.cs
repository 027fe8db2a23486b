namespace Skiff.Images.Archive;

/// <summary>Entry names as the extractor sees them: lexically confined to the layer's root.</summary>
public static class TarPath
{
    /// <summary>
    /// The entry's path relative to the root, with "." and empty components dropped and ".." clamped
    /// at the root ("../../etc" is "etc", "/etc" is "etc"); "" is the root itself. Lexical cleaning
    /// alone cannot be escaped; symlinks along the way are the resolver's job.
    /// </summary>
    public static string Clean(string name)
    {
        if (name.Contains('\0')) throw new InvalidDataException($"entry name \"{name.Replace("\0", "\\0")}\" contains a NUL byte");
        List<string> parts = [];
        foreach (string part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static (string Directory, string Name) Split(string cleanPath)
    {
        int slash = cleanPath.LastIndexOf('/');
        return slash < 0 ? ("", cleanPath) : (cleanPath[..slash], cleanPath[(slash + 1)..]);
    }
}
