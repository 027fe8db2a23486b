using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// SCMP_ACT_NOTIFY: the runtime hands the filter's listener fd to the agent on listenerPath with
/// the container process state, and the agent, not the kernel, decides what the notified calls return.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class SeccompNotifyTests(Suite suite)
{
    private const int EDQUOT = 122;
    private const int GetppidX86_64 = 110;

    [Fact]
    public void Agent_receives_the_listener_and_state_and_answers_the_containers_calls()
    {
        using var c = new TestContainer(suite);
        using var agent = new SeccompAgent(Path.Combine(c.Dir, "agent.sock"), nr => nr == GetppidX86_64 ? (4242, 0) : (0, -EDQUOT));
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = agent.Path,
            ListenerMetadata = "skt-metadata " + c.Id,
            Syscalls = [new SeccompSyscall { Names = ["getppid", "mkdir", "mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
        };
        // ash reads getppid() into $PPID at startup; mkdir is answered with EDQUOT and never runs.
        c.Shell("echo ppid=$PPID; mkdir /notified 2>/dev/null; echo mkdir=$?; test -d /notified && echo exists || echo absent");

        var lines = c.Output().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["ppid=4242", "mkdir=1", "absent"], lines);
        Assert.False(Directory.Exists(Path.Combine(c.Rootfs, "notified")));
        var received = Assert.Single(agent.Received);
        Assert.Equal(["seccompFd"], received.State.Fds);
        Assert.Equal("skt-metadata " + c.Id, received.State.Metadata);
        Assert.False(string.IsNullOrEmpty(received.State.OciVersion));
        Assert.Equal(c.Id, received.State.State.Id);
        Assert.Equal(ContainerStatus.Creating, received.State.State.Status);
        Assert.Equal(c.BundleDir, received.State.State.Bundle);
        Assert.True(received.State.Pid > 0, received.Json);
        Assert.Equal(received.State.Pid, received.State.State.Pid);
        // The kernel names the caller in the agent's pid namespace: the container's process, as the runtime said.
        var calls = agent.Calls.ToArray();
        Assert.Contains(calls, call => call.Nr == GetppidX86_64 && call.Pid == received.State.Pid);
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact("runc 1.1.5 predates SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")]
    public void Wait_killable_recv_flag_is_loaded_with_the_listener()
    {
        using var c = new TestContainer(suite);
        using var agent = new SeccompAgent(Path.Combine(c.Dir, "agent.sock"), _ => (31, 0));
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = agent.Path,
            Flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
            Syscalls = [new SeccompSyscall { Names = ["getppid"], Action = "SCMP_ACT_NOTIFY" }],
        };
        c.Shell("echo ppid=$PPID");

        Assert.Equal("ppid=31\n", c.Output());
        Assert.Single(agent.Received);
    }

    [Fact]
    public void Notify_without_a_listener_path_is_refused_naming_the_field()
    {
        using var c = new TestContainer(suite);
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["getppid"], Action = "SCMP_ACT_NOTIFY" }],
        };
        c.Shell("true");

        var result = c.Run();

        Assert.True(result.ExitCode != 0 && result.StderrLines.Count == 1, $"expected one error line\n{result}");
        Assert.Contains("listenerPath", result.StderrLines[0]);
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Exec_hands_its_own_listener_over_with_the_running_state()
    {
        using var c = new TestContainer(suite);
        using var agent = new SeccompAgent(Path.Combine(c.Dir, "agent.sock"), nr => nr == GetppidX86_64 ? (99, 0) : (0, 0));
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = agent.Path,
            ListenerMetadata = "exec",
            Syscalls = [new SeccompSyscall { Names = ["getppid"], Action = "SCMP_ACT_NOTIFY" }],
        };
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        var result = c.Cli.Invoke("exec", c.Id, "sh", "-c", "echo ppid=$PPID").AssertSuccess();

        Assert.Equal("ppid=99\n", result.Stdout);
        var received = agent.Received.ToArray();
        Assert.Equal(2, received.Length);
        var (exec, _) = received[1];
        Assert.Equal("exec", exec.Metadata);
        Assert.Equal(ContainerStatus.Running, exec.State.Status);
        Assert.Equal(c.PidFromFile(), exec.State.Pid);
        Assert.NotEqual(exec.State.Pid, exec.Pid);
        Assert.Contains(agent.Calls, call => call.Nr == GetppidX86_64 && call.Pid == exec.Pid);
    }

    [SkiffOnlyFact("runc 1.1.5's init panics (nil pointer dereference) when a notify filter loads before the user change")]
    public void Listener_is_handed_over_when_the_filter_loads_before_the_user_changes()
    {
        // Without no_new_privs and without CAP_SYS_ADMIN the filter goes in while the process is
        // still root, before the identity steps: the hand-over happens there instead.
        using var c = new TestContainer(suite);
        using var agent = new SeccompAgent(Path.Combine(c.Dir, "agent.sock"), _ => (7, 0));
        c.Process.NoNewPrivileges = false;
        c.Process.User = new User { Uid = 1000, Gid = 1000 };
        c.Linux.Seccomp = new Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = agent.Path,
            Syscalls = [new SeccompSyscall { Names = ["getppid"], Action = "SCMP_ACT_NOTIFY" }],
        };
        c.Shell("echo ppid=$PPID; id -u");

        Assert.Equal("ppid=7\n1000\n", c.Output());
        var received = Assert.Single(agent.Received);
        Assert.Null(received.State.Metadata);
        Assert.DoesNotContain("\"metadata\"", received.Json);
    }

    /// <summary>
    /// A seccomp agent as the spec describes one: it accepts connections on a unix stream socket,
    /// takes the fd named "seccompFd" and the state from each, then answers every notification
    /// with SECCOMP_IOCTL_NOTIF_RECV / SECCOMP_IOCTL_NOTIF_SEND until it is disposed.
    /// </summary>
    private sealed unsafe class SeccompAgent : IDisposable
    {
        private const ulong NotifRecv = 0xC0502100; // _IOWR('!', 0, struct seccomp_notif) (80 bytes)
        private const ulong NotifSend = 0xC0182101; // _IOWR('!', 1, struct seccomp_notif_resp) (24 bytes)

        private readonly int _listener;
        private readonly Func<int, (long Value, int Error)> _answer;
        private readonly List<int> _notifyFds = new();
        private readonly Thread _thread;
        private readonly ConcurrentQueue<string> _errors = new();
        private volatile bool _stop;

        public string Path { get; }

        public ConcurrentQueue<(ContainerProcessState State, string Json)> Received { get; } = new();

        public ConcurrentQueue<(int Nr, int Pid)> Calls { get; } = new();

        public SeccompAgent(string path, Func<int, (long Value, int Error)> answer)
        {
            Path = path;
            _answer = answer;
            _listener = Native.Socket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
            var address = new Native.SockaddrUn { Family = Native.AF_UNIX };
            var bytes = Encoding.UTF8.GetBytes(path);
            for (var i = 0; i < bytes.Length; i++)
                address.Path[i] = bytes[i];
            if (_listener < 0 || Native.Bind(_listener, &address, (uint)sizeof(Native.SockaddrUn)) != 0 || Native.Listen(_listener, 8) != 0)
                throw new IOException($"agent socket {path}: {Native.Describe(Marshal.GetLastPInvokeError())}");
            _thread = new Thread(Serve) { IsBackground = true, Name = "seccomp agent" };
            _thread.Start();
        }

        private void Serve()
        {
            var polls = new Native.PollFd[16];
            while (!_stop)
            {
                var count = 0;
                polls[count++] = new Native.PollFd { Fd = _listener, Events = Native.POLLIN };
                foreach (var fd in _notifyFds)
                    polls[count++] = new Native.PollFd { Fd = fd, Events = Native.POLLIN };
                int ready;
                fixed (Native.PollFd* p = polls)
                    ready = Native.Poll(p, (nuint)count, 100);
                if (ready <= 0)
                    continue;
                if ((polls[0].Revents & Native.POLLIN) != 0)
                    Accept();
                for (var i = 1; i < count; i++)
                {
                    if ((polls[i].Revents & Native.POLLIN) != 0)
                        Answer(polls[i].Fd);
                    else if ((polls[i].Revents & Native.POLLHUP) != 0)
                    {
                        // Every process under the filter is gone.
                        Native.Close(polls[i].Fd);
                        _notifyFds.Remove(polls[i].Fd);
                    }
                }
            }
        }

        private void Accept()
        {
            var connection = Native.Accept4(_listener, null, null, Native.SOCK_CLOEXEC);
            if (connection < 0)
                return;
            try
            {
                var payload = new byte[65536];
                var control = stackalloc ulong[8];
                fixed (byte* data = payload)
                {
                    var iov = new Native.IoVec { Base = data, Length = (nuint)payload.Length };
                    var message = new Native.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
                    var n = Native.RecvMsg(connection, &message, 0x40000000 /* MSG_CMSG_CLOEXEC */);
                    var header = (Native.CmsgHdr*)control;
                    if (n <= 0 || message.ControlLength < (nuint)sizeof(Native.CmsgHdr) || header->Level != Native.SOL_SOCKET || header->Type != Native.SCM_RIGHTS)
                    {
                        _errors.Enqueue($"connection without an SCM_RIGHTS fd (recvmsg {n})");
                        return;
                    }
                    var fd = *(int*)((byte*)control + sizeof(Native.CmsgHdr));
                    var json = Encoding.UTF8.GetString(payload, 0, (int)n);
                    var state = JsonSerializer.Deserialize(json, OciJsonContext.Default.ContainerProcessState)!;
                    Received.Enqueue((state, json));
                    _notifyFds.Add(fd);
                }
            }
            finally
            {
                Native.Close(connection);
            }
        }

        private void Answer(int fd)
        {
            var notification = stackalloc byte[80];
            new Span<byte>(notification, 80).Clear();
            if (Ioctl(fd, NotifRecv, notification) != 0)
                return; // the caller died meanwhile (ENOENT)
            var id = *(ulong*)notification;
            var pid = *(int*)(notification + 8);
            var nr = *(int*)(notification + 16);
            Calls.Enqueue((nr, pid));
            var (value, error) = _answer(nr);
            var response = stackalloc byte[24];
            *(ulong*)response = id;
            *(long*)(response + 8) = value;
            *(int*)(response + 16) = error;
            *(uint*)(response + 20) = 0;
            if (Ioctl(fd, NotifSend, response) != 0)
                _errors.Enqueue($"NOTIF_SEND for syscall {nr}: {Native.Describe(Marshal.GetLastPInvokeError())}");
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            foreach (var fd in _notifyFds)
                Native.Close(fd);
            Native.Close(_listener);
            File.Delete(Path);
            Assert.True(_errors.IsEmpty, "seccomp agent: " + string.Join("; ", _errors));
        }

        [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        private static extern int Ioctl(int fd, ulong request, void* argument);
    }
}
