using System.Formats.Tar;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;
using Skiff.Images;
using Skiff.Images.Archive;
using Skiff.Images.Fs;
using Skiff.Linux;

namespace Skiff.Engine.Files;

/// <summary>
/// What docker cp copies: an object held by an O_PATH fd, its kind, and the name it is copied
/// under (<see cref="Contents"/>: a directory's contents, asked for with a trailing "/.").
/// </summary>
public sealed class CopySource(UnixFd fd, bool isDirectory, bool contents, string name) : IDisposable
{
    public UnixFd Fd { get; } = fd;
    public bool IsDirectory { get; } = isDirectory;
    public bool Contents { get; } = contents;
    public string Name { get; } = name;

    /// <summary>Archives the source into <paramref name="output"/> under <paramref name="entryName"/>, or its contents at the top if that is null.</summary>
    public void WriteTar(Stream output, string? entryName)
    {
        using TarWriter tar = new(output, TarEntryFormat.Pax, leaveOpen: true);
        TreeArchiver archiver = new(tar);
        if (entryName is null) archiver.AddContents(Fd.Value, "");
        else archiver.Add(Fd.Value, "", entryName);
    }

    public void Dispose() => Fd.Dispose();
}

/// <summary>
/// docker cp's path rules and the fd plumbing under them. Container paths are resolved only with
/// openat2(RESOLVE_IN_ROOT) against a directory fd of the rootfs, so no symlink of the container
/// (absolute, relative, or swapped in during the copy) resolves outside it; what is written lands
/// through LayerExtractor, which creates every name with *at calls relative to a resolved directory
/// fd and never follows the last component.
/// </summary>
public static class ContainerCopy
{
    /// <summary>Opens SRC inside the container; -L follows a symlink there, otherwise a symlink is copied as one.</summary>
    public static CopySource OpenInContainer(UnixFd root, string path, bool follow, string container)
    {
        (string clean, bool contents, bool trailing) = Parse(path);
        int fd = ScopedFs.TryOpen(root.Value, clean, FileFlags.O_PATH | (follow || trailing ? 0 : FileFlags.O_NOFOLLOW), ScopedFs.InRoot);
        if (fd == -Errno.ENOENT || fd == -Errno.ENOTDIR) throw new EngineException($"Could not find the file {path} in container {container}", 1);
        if (fd < 0) throw new EngineException($"copying from container {container}: {path}: {Errno.Describe(-fd)}", 1);
        return Describe(new UnixFd(fd), path, clean, contents, trailing);
    }

    /// <summary>Opens SRC on the host; -L follows a symlink, otherwise it is copied as one.</summary>
    public static CopySource OpenOnHost(string path, bool follow)
    {
        (string clean, bool contents, bool trailing) = Parse(path, relativeTo: Directory.GetCurrentDirectory());
        int fd = Interop.Libc.Open("/" + clean, FileFlags.O_PATH | FileFlags.O_CLOEXEC | (follow || trailing ? 0 : FileFlags.O_NOFOLLOW), 0);
        if (fd < 0) throw new EngineException($"{(follow ? "stat" : "lstat")} {path}: {Errno.Describe(Errno.Last)}", 1);
        return Describe(new UnixFd(fd), path, clean, contents, trailing);
    }

    private static CopySource Describe(UnixFd fd, string path, string clean, bool contents, bool trailing)
    {
        if (Interop.Libc.FstatAt(fd.Value, "", out Interop.StatBuffer stat, FileFlags.AT_EMPTY_PATH) != 0)
        {
            int errno = Errno.Last;
            fd.Dispose();
            throw new EngineException($"{path}: {Errno.Describe(errno)}", 1);
        }
        if (trailing && !stat.IsDirectory)
        {
            fd.Dispose();
            throw new EngineException($"{path}: not a directory", 1);
        }
        string name = TarPath.Split(clean).Name;
        return new CopySource(fd, stat.IsDirectory, contents, name.Length == 0 ? "." : name);
    }

    /// <summary>
    /// Where a copy lands, by Docker's rules: into DEST if it is a directory (as SRC's name, or SRC's
    /// contents for "SRC/."); otherwise DEST's parent receives SRC under DEST's name.
    /// </summary>
    /// <returns>The directory to extract into (an O_PATH fd) and the entry name to give SRC (null: SRC's contents go there).</returns>
    public static (UnixFd Directory, string? Name) DestinationInContainer(UnixFd root, string path, CopySource source, string container)
    {
        (string clean, _, bool trailing) = Parse(path);
        int fd = ScopedFs.TryOpen(root.Value, clean, FileFlags.O_PATH, ScopedFs.InRoot);
        if (fd >= 0)
        {
            UnixFd existing = new(fd);
            if (IsDirectory(existing)) return (existing, source.Contents ? null : source.Name);
            existing.Dispose();
            if (source.IsDirectory) throw new EngineException($"cannot overwrite non-directory \"{path}\" with directory", 1);
        }
        else if (fd != -Errno.ENOENT)
        {
            throw new EngineException($"copying to container {container}: {path}: {Errno.Describe(-fd)}", 1);
        }
        else if (trailing && !source.IsDirectory)
        {
            throw new EngineException($"Could not find the file {path} in container {container}", 1);
        }
        (string parent, string name) = TarPath.Split(clean);
        if (name.Length == 0) throw new EngineException($"copying to container {container}: {path}: cannot replace the root", 1);
        int parentFd = ScopedFs.TryOpen(root.Value, parent, FileFlags.O_PATH | FileFlags.O_DIRECTORY, ScopedFs.InRoot);
        if (parentFd < 0) throw new EngineException($"Could not find the file /{parent} in container {container}", 1);
        return (new UnixFd(parentFd), name);
    }

    /// <summary>The same rules for a host DEST (the host's own paths, followed as the user gave them).</summary>
    public static (UnixFd Directory, string? Name) DestinationOnHost(string path, CopySource source)
    {
        (string clean, _, bool trailing) = Parse(path, relativeTo: Directory.GetCurrentDirectory());
        int fd = Interop.Libc.Open("/" + clean, FileFlags.O_PATH | FileFlags.O_CLOEXEC, 0);
        if (fd >= 0)
        {
            UnixFd existing = new(fd);
            if (IsDirectory(existing)) return (existing, source.Contents ? null : source.Name);
            existing.Dispose();
            if (source.IsDirectory) throw new EngineException($"cannot overwrite non-directory \"{path}\" with directory", 1);
        }
        else if (Errno.Last != Errno.ENOENT || trailing && !source.IsDirectory)
        {
            throw new EngineException($"{path}: {Errno.Describe(Errno.Last)}", 1);
        }
        (string parent, string name) = TarPath.Split(clean);
        if (name.Length == 0) throw new EngineException($"{path}: cannot replace the root", 1);
        int parentFd = Interop.Libc.Open("/" + parent, FileFlags.O_PATH | FileFlags.O_DIRECTORY | FileFlags.O_CLOEXEC, 0);
        if (parentFd < 0) throw new EngineException($"{path}: {Errno.Describe(Errno.Last)}", 1);
        return (new UnixFd(parentFd), name);
    }

    /// <summary>The directory a tar stream from stdin is extracted into: DEST, which must exist and be a directory.</summary>
    public static UnixFd DirectoryInContainer(UnixFd root, string path, string container)
    {
        (string clean, _, _) = Parse(path);
        int fd = ScopedFs.TryOpen(root.Value, clean, FileFlags.O_PATH, ScopedFs.InRoot);
        if (fd < 0) throw new EngineException($"Could not find the file {path} in container {container}", 1);
        UnixFd directory = new(fd);
        if (IsDirectory(directory)) return directory;
        directory.Dispose();
        throw new EngineException($"extraction point is not a directory: {path} in container {container}", 1);
    }

    /// <summary>
    /// Copies <paramref name="source"/> into directory <paramref name="directory"/> as <paramref name="name"/>
    /// (null: its contents), through a tar stream; returns the stream's size, what Docker reports as copied.
    /// </summary>
    public static long Copy(CopySource source, UnixFd directory, string? name, (int Uid, int Gid)? owner) =>
        Pump(output => source.WriteTar(output, name), input => Extract(input, directory, owner));

    /// <summary>Extracts a tar stream into <paramref name="directory"/>, no name of it leaving that directory.</summary>
    public static void Extract(Stream tar, UnixFd directory, (int Uid, int Gid)? owner)
    {
        // The magic link reopens the very directory the fd holds; nothing is looked up by name.
        using LayerExtractor extractor = new(directory.ProcPath, options: new ExtractOptions(Whiteouts: false, Owner: owner));
        extractor.Extract(tar);
    }

    /// <summary>Runs a tar producer and its consumer over a pipe and returns the bytes that passed; the producer's failure is the one reported.</summary>
    private static unsafe long Pump(Action<Stream> produce, Action<Stream> consume)
    {
        int* fds = stackalloc int[2];
        if (Interop.Libc.Pipe2(fds, FileFlags.O_CLOEXEC) != 0) throw new EngineException($"pipe: {Errno.Describe(Errno.Last)}");
        CountingStream reader = new(new FileStream(new SafeFileHandle(fds[0], ownsHandle: true), FileAccess.Read, 1));
        FileStream writer = new(new SafeFileHandle(fds[1], ownsHandle: true), FileAccess.Write, 1);
        Exception? produced = null;
        Thread producer = new(() =>
        {
            try
            {
                produce(writer);
            }
            catch (Exception e)
            {
                produced = e;
            }
            finally
            {
                writer.Dispose();
            }
        });
        producer.Start();
        Exception? consumed = null;
        try
        {
            consume(reader);
            reader.CopyTo(Stream.Null);   // the end-of-archive padding, so the producer never blocks
        }
        catch (Exception e)
        {
            consumed = e;
        }
        reader.Dispose();
        producer.Join();
        // A consumer that failed first leaves the producer a broken pipe, which says nothing.
        Exception? failure = produced is IOException && consumed is not null ? consumed : produced ?? consumed;
        if (failure is null) return reader.Count;
        if (failure is EngineException or ImageException) ExceptionDispatchInfo.Throw(failure);
        throw new EngineException(failure.Message, 1);
    }

    private static bool IsDirectory(UnixFd fd) =>
        Interop.Libc.FstatAt(fd.Value, "", out Interop.StatBuffer stat, FileFlags.AT_EMPTY_PATH) == 0 && stat.IsDirectory;

    /// <summary>
    /// A path made absolute and lexically clean ("" is the root); whether it asked for a directory's
    /// contents ("dir/.") and whether it ended in "/" or "/." (then it must be a directory).
    /// </summary>
    private static (string Clean, bool Contents, bool Trailing) Parse(string path, string relativeTo = "/")
    {
        bool contents = path == "." || path.EndsWith("/.", StringComparison.Ordinal);
        bool trailing = contents || path.EndsWith('/');
        string absolute = path.StartsWith('/') ? path : relativeTo.TrimEnd('/') + "/" + path;
        return (TarPath.Clean(absolute), contents, trailing);
    }
}
