using System.Text.Json;
using Skiff.Linux;
using Skiff.Oci.Runtime;
using static Skiff.Linux.Kernel;

namespace Skiff.Runtime.Store;

/// <summary>
/// The containers under --root: one directory each holding state.json, config.json, the exec fifo and a lock.
/// Writes go to a temporary file renamed over the old one, under an exclusive flock, so two
/// concurrent calls on one container never see or leave a torn state.
/// </summary>
public sealed class ContainerStore(string root)
{
    public string Root { get; } = root;

    public string DirectoryOf(string id) => Path.Combine(Root, id);
    public string FifoOf(string id) => Path.Combine(Root, id, "exec.fifo");

    public static void ValidateId(string id)
    {
        if (id.Length > 1024)
            throw new RuntimeException($"invalid container id \"{ErrorText.Bounded(id, 32)}\": {id.Length} characters, at most 1024");
        if (id.Length == 0 || id is "." or ".." ||
            id.AsSpan().ContainsAnyExcept(IdAlphabet))
            throw new RuntimeException($"invalid container id \"{ErrorText.Bounded(id, 64)}\": ids are letters, digits, _ + - and .");
    }

    private static readonly System.Buffers.SearchValues<char> IdAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-.");

    /// <summary>Claims the id: fails when a container of that id exists (mkdir is the atomic test).</summary>
    public ContainerLock Claim(string id)
    {
        ValidateId(id);
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string dir = DirectoryOf(id);
        if (Interop.Libc.Mkdir(dir, 0x1C0 /* 0700 */) != 0)
        {
            int errno = Errno.Last;
            if (errno == Errno.EEXIST) throw new RuntimeException($"container with id {id} already exists");
            throw new SystemCallException($"creating state directory {dir}", errno);
        }
        return ContainerLock.Create(dir);
    }

    public ContainerLock Lock(string id) =>
        TryLock(id) ?? throw new RuntimeException($"container \"{id}\" does not exist");

    /// <summary>The container's lock, or null when the container is gone (or was deleted while this call waited for it).</summary>
    public ContainerLock? TryLock(string id)
    {
        ValidateId(id);
        return ContainerLock.TryTake(DirectoryOf(id));
    }

    /// <summary>
    /// Removes what a create killed between its mkdir and its lock left: an empty directory.
    /// Anything more belongs to a container that has a lock.
    /// </summary>
    public void RemoveUnclaimed(string id)
    {
        if (Interop.Libc.Rmdir(DirectoryOf(id)) != 0 && Errno.Last is not (Errno.ENOENT or Errno.ENOTEMPTY or Errno.EEXIST))
            throw SystemCallException.Last($"removing {DirectoryOf(id)}");
    }

    /// <summary>The record; null with a reason when state.json is unreadable, null without one when the create never wrote it.</summary>
    public ContainerRecord? TryLoad(string id, out string? corruption)
    {
        corruption = null;
        try { return Load(id); }
        catch (CorruptRecordException e) { corruption = e.Message; return null; }
        catch (RuntimeException) { return null; }
    }

    public ContainerRecord Load(string id) =>
        Read(id, "state.json", StateFile.Read, $"container \"{id}\" does not exist");

    public void Save(ContainerRecord record) =>
        Write(record.Id, "state.json", StateFile.Write(record));

    /// <summary>
    /// The config the container was created with (and `update` changed since): exec and update read
    /// it from here, as the bundle may have changed or gone since create.
    /// </summary>
    public void SaveConfig(string id, Spec spec) => Write(id, "config.json", JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.Spec));

    /// <summary>The bundle's config.json as it was read: nothing to serialize on the way to start.</summary>
    public void SaveConfig(string id, byte[] config) => Write(id, "config.json", config);

    public Spec LoadConfig(string id) =>
        Read(id, "config.json", SpecReader.Read, $"container \"{id}\" has no stored config.json (created by an older skiff-runc?)");

    private T Read<T>(string id, string name, Func<byte[], T?> deserialize, string whenMissing)
    {
        string file = Path.Combine(DirectoryOf(id), name);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (FileNotFoundException) { throw new RuntimeException(whenMissing); }
        catch (DirectoryNotFoundException) { throw new RuntimeException($"container \"{id}\" does not exist"); }
        try
        {
            return deserialize(bytes)
                ?? throw new CorruptRecordException($"container \"{id}\": {file} is corrupt: it holds null");
        }
        catch (JsonException e) { throw new CorruptRecordException($"container \"{id}\": {file} is corrupt: {OciJsonError.Describe(e, bytes)}"); }
    }

    /// <summary>Written beside and renamed over, so a reader sees the old file or the new one, never half.</summary>
    private void Write(string id, string name, byte[] content)
    {
        string dir = DirectoryOf(id);
        string temp = Path.Combine(dir, name + ".tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, Path.Combine(dir, name), overwrite: true);
    }

    /// <summary>
    /// Removes the container's directory; one already gone is no error. The lock goes last: a
    /// delete killed part way leaves it with the lock (the next delete takes it and finishes) or
    /// empty (RemoveUnclaimed finishes), never with files but no lock.
    /// </summary>
    public void Remove(string id)
    {
        string dir = DirectoryOf(id);
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (Path.GetFileName(entry) == "lock") continue;
                if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            File.Delete(Path.Combine(dir, "lock"));
            Directory.Delete(dir);
        }
        catch (DirectoryNotFoundException) { }
    }

    public IEnumerable<string> Ids() =>
        Directory.Exists(Root) ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal) : [];
}

/// <summary>
/// An exclusive lock on a container's lock file, held for the length of one verb. A POSIX record
/// lock, not flock: it belongs to this process alone, so the container's init (a clone of this
/// process, holding copies of its descriptors until exec) cannot end up holding it.
/// </summary>
public sealed unsafe class ContainerLock : IDisposable
{
    private int _fd;

    private ContainerLock(int fd) => _fd = fd;

    /// <summary>Creates the lock of a directory just claimed and takes it.</summary>
    public static ContainerLock Create(string dir)
    {
        string path = Path.Combine(dir, "lock");
        int fd = Interop.Libc.Open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0x180);
        if (fd < 0) throw SystemCallException.Last($"creating {path}");
        return new ContainerLock(Acquire(fd, path));
    }

    /// <summary>
    /// Takes an existing lock, or returns null when the container is gone. The lock file is never
    /// created here: a waiter must not bring back a file a delete is removing. The file lives in
    /// the directory a delete removes, so a waiter may get the lock of an unlinked file once the
    /// delete is done: that, too, means gone.
    /// </summary>
    public static ContainerLock? TryTake(string dir)
    {
        string path = Path.Combine(dir, "lock");
        int fd = Interop.Libc.Open(path, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Errno.Last;
            if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
            throw new SystemCallException($"opening {path}", errno);
        }
        Acquire(fd, path);
        if (Interop.Libc.Fstat(fd, out Interop.StatBuffer stat) != 0 || stat.LinkCount == 0)
        {
            Interop.Libc.Close(fd);
            return null;
        }
        return new ContainerLock(fd);
    }

    private static int Acquire(int fd, string path)
    {
        long* flock = stackalloc long[4];
        new Span<long>(flock, 4).Clear();
        *(short*)flock = F_WRLCK;
        while (Interop.Libc.Syscall(72 /* fcntl */, fd, F_SETLKW, (long)flock, 0, 0, 0) != 0)
        {
            int errno = Errno.Last;
            if (errno == Errno.EINTR) continue;
            Interop.Libc.Close(fd);
            throw new SystemCallException($"locking {path}", errno);
        }
        return fd;
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Interop.Libc.Close(_fd);
        _fd = -1;
    }
}

/// <summary>A state.json that exists but cannot be read as a record: the container may still run.</summary>
public sealed class CorruptRecordException(string message) : RuntimeException(message);
