namespace Skiff.Images.Fs;

/// <summary>
/// A file replaced whole: written beside itself as <c>PATH.tmp</c> and renamed over, so a reader
/// sees the old content or the new, never part of one. A write that fails removes its temporary.
/// Each caller's file has one writer at a time (its container's lock, or its creator), which is
/// why one fixed temporary name serves.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string temporary = path + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public static void Write(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));
}
