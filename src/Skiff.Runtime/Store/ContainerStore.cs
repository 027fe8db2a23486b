using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Skiff.Linux;
using Skiff.Oci.Runtime;

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
        if (id.Length == 0 || id.Length > 1024 || id is "." or ".." ||
            !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.'))
            throw new RuntimeException($"invalid container id \"{id}\": ids are letters, digits, _ + - and .");
    }

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
        return ContainerLock.Take(dir);
    }

    public ContainerLock Lock(string id)
    {
        ValidateId(id);
        string dir = DirectoryOf(id);
        if (!Directory.Exists(dir)) throw new RuntimeException($"container \"{id}\" does not exist");
        return ContainerLock.Take(dir);
    }

    public ContainerRecord Load(string id) =>
        Read(id, "state.json", StateJsonContext.Default.ContainerRecord, $"container \"{id}\" does not exist");

    public void Save(ContainerRecord record) =>
        Write(record.Id, "state.json", record, StateJsonContext.Default.ContainerRecord);

    /// <summary>
    /// The config the container was created with (and `update` changed since): exec and update read
    /// it from here, as the bundle may have changed or gone since create.
    /// </summary>
    public void SaveConfig(string id, Spec spec) => Write(id, "config.json", JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.Spec));

    /// <summary>The bundle's config.json as it was read: nothing to serialize on the way to start.</summary>
    public void SaveConfig(string id, byte[] config) => Write(id, "config.json", config);

    public Spec LoadConfig(string id) =>
        Read(id, "config.json", OciJsonContext.Default.Spec, $"container \"{id}\" has no stored config.json (created by an older skiff-runc?)");

    private T Read<T>(string id, string name, JsonTypeInfo<T> type, string whenMissing)
    {
        string file = Path.Combine(DirectoryOf(id), name);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(file), type)
                ?? throw new RuntimeException($"container \"{id}\": {name} is empty");
        }
        catch (FileNotFoundException) { throw new RuntimeException(whenMissing); }
        catch (DirectoryNotFoundException) { throw new RuntimeException($"container \"{id}\" does not exist"); }
        catch (JsonException e) { throw new RuntimeException($"container \"{id}\": {name} is corrupt: {e.Message}"); }
    }

    /// <summary>Written beside and renamed over, so a reader sees the old file or the new one, never half.</summary>
    private void Write<T>(string id, string name, T value, JsonTypeInfo<T> type) => Write(id, name, JsonSerializer.SerializeToUtf8Bytes(value, type));

    private void Write(string id, string name, byte[] content)
    {
        string dir = DirectoryOf(id);
        string temp = Path.Combine(dir, name + ".tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, Path.Combine(dir, name), overwrite: true);
    }

    public void Remove(string id) => Directory.Delete(DirectoryOf(id), recursive: true);

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
    private const int F_SETLKW = 7;
    private const short F_WRLCK = 1;
    private int _fd;

    private ContainerLock(int fd) => _fd = fd;

    public static ContainerLock Take(string dir)
    {
        string path = Path.Combine(dir, "lock");
        int fd = Interop.Libc.Open(path, 0x42 /* O_RDWR|O_CREAT */ | 0x80000 /* O_CLOEXEC */, 0x180);
        if (fd < 0) throw SystemCallException.Last($"opening {path}");
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
        return new ContainerLock(fd);
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Interop.Libc.Close(_fd);
        _fd = -1;
    }
}
