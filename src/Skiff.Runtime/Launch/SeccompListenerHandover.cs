using System.Text.Json;
using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runtime.Launch;

/// <summary>
/// Gives a seccomp notify fd to the agent listening on linux.seccomp.listenerPath, as runc does:
/// one connection on a unix stream socket, one message whose data is the container process state
/// (JSON) and whose SCM_RIGHTS array holds the fd named "seccompFd" in that state's fds list.
/// </summary>
internal static unsafe class SeccompListenerHandover
{
    public static void Send(string listenerPath, ContainerProcessState state, int fd)
    {
        byte[] json = Serialize(state);
        int socket;
        try { socket = HostFiles.ConnectUnix(listenerPath, "seccomp agent"); }
        catch (SystemCallException e)
        {
            throw new RuntimeException($"failed to connect with seccomp agent specified in the seccomp profile: {listenerPath}: {Errno.Describe(e.Number)}", e);
        }
        try
        {
            nint sent = FdPassing.Send(socket, json, fd);
            if (sent < 0)
                throw new RuntimeException($"cannot send seccomp fd to {listenerPath}: {Errno.Describe(Errno.Last)}");
            if (sent != json.Length)
                throw new RuntimeException($"cannot send seccomp fd to {listenerPath}: the state was cut short ({sent} of {json.Length} bytes)");
        }
        finally
        {
            Interop.Libc.Close(socket);
        }
    }

    /// <summary>Compact JSON, as runc writes it: agents read the state from a single message.</summary>
    private static byte[] Serialize(ContainerProcessState state)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
            JsonSerializer.Serialize(writer, state, OciJsonContext.Default.ContainerProcessState);
        return buffer.ToArray();
    }
}
