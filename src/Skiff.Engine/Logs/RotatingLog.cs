using Skiff.Images.Fs;

namespace Skiff.Engine.Logs;

/// <summary>
/// A log file rotated as Docker's json-file rotates: before a write, a file that has reached
/// max-size becomes FILE.1 (FILE.1 becomes FILE.2 and so on, the oldest beyond max-file is
/// deleted); with max-file 1 the file starts over empty. Readers following the file see a new
/// inode at the path and move to it.
/// </summary>
public sealed class RotatingLog(string path, long maxSize, int maxFile) : IDisposable
{
    private FileStream _file = Open(path);

    public void Write(ReadOnlySpan<byte> entry)
    {
        if (maxSize > 0 && _file.Length >= maxSize) Rotate();
        _file.Write(entry);
        _file.Flush();
    }

    private void Rotate()
    {
        _file.Dispose();
        if (maxFile > 1)
        {
            File.Delete($"{path}.{maxFile - 1}");
            for (int i = maxFile - 2; i >= 1; i--)
                if (File.Exists($"{path}.{i}")) File.Move($"{path}.{i}", $"{path}.{i + 1}");
            File.Move(path, path + ".1");
        }
        else
        {
            AtomicFile.Write(path, []);
        }
        _file = Open(path);
    }

    private static FileStream Open(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });

    /// <summary>The rotated files of <paramref name="path"/>, oldest first, then the live one.</summary>
    public static List<string> Generations(string path)
    {
        List<(int Number, string Path)> rotated = [];
        string? directory = Path.GetDirectoryName(path);
        if (directory is not null && Directory.Exists(directory))
            foreach (string file in Directory.EnumerateFiles(directory, Path.GetFileName(path) + ".*"))
                if (file.Length > path.Length + 1 && int.TryParse(file[(path.Length + 1)..], out int number) && number > 0) rotated.Add((number, file));
        return [.. rotated.OrderByDescending(r => r.Number).Select(r => r.Path), path];
    }

    public void Dispose() => _file.Dispose();
}
