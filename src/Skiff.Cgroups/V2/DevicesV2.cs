using System.Runtime.InteropServices;
using Skiff.Cgroups.Devices;
using Skiff.Cgroups.Stats;
using Skiff.Linux;

namespace Skiff.Cgroups.V2;

/// <summary>
/// devices on cgroup v2: the rules compiled to an eBPF program, loaded with bpf(BPF_PROG_LOAD) and
/// attached to the cgroup with BPF_PROG_ATTACH. A new program is attached before the old ones are
/// detached, so a running container never passes through a moment without device control.
/// </summary>
internal sealed unsafe class DevicesV2 : IV2Controller
{
    private const long SysBpf = 321;
    private const int ProgLoad = 5, ProgAttach = 8, ProgDetach = 9, ProgGetFdById = 13, ProgQuery = 16;
    private const uint ProgTypeCgroupDevice = 15, AttachCgroupDevice = 6, AllowMulti = 2;
    private const int DirectoryFlags = 0x10000 | 0x80000; // O_RDONLY | O_DIRECTORY | O_CLOEXEC

    public string Name => "devices";

    public void Apply(string dir, ResourceRequest request)
    {
        if (request.Devices is not { } rules) return;
        var state = DeviceState.From(rules);
        int cgroupFd = Interop.Libc.Open(dir, DirectoryFlags, 0);
        if (cgroupFd < 0) throw Failure($"opening {dir}", Errno.Last);
        try
        {
            uint[] old = Attached(cgroupFd, dir);
            int program = Load(DeviceFilterProgram.Compile(state), dir);
            try
            {
                Attach(cgroupFd, program, dir);
            }
            finally
            {
                Interop.Libc.Close(program);
            }
            foreach (uint id in old) Detach(cgroupFd, id, dir);
        }
        finally
        {
            Interop.Libc.Close(cgroupFd);
        }
    }

    public void ReadStats(string dir, CgroupStats stats)
    {
    }

    /// <summary>The ids of the device programs attached to this cgroup itself.</summary>
    internal static uint[] Attached(int cgroupFd, string dir)
    {
        uint* ids = stackalloc uint[64];
        byte* attr = stackalloc byte[40];
        new Span<byte>(attr, 40).Clear();
        *(uint*)(attr + 0) = (uint)cgroupFd;
        *(uint*)(attr + 4) = AttachCgroupDevice;
        *(ulong*)(attr + 16) = (ulong)ids;
        *(uint*)(attr + 24) = 64;
        if (Bpf(ProgQuery, attr, 40) < 0) throw Failure($"querying the device programs of {dir}", Errno.Last);
        uint count = *(uint*)(attr + 24);
        return new ReadOnlySpan<uint>(ids, (int)Math.Min(count, 64)).ToArray();
    }

    /// <summary>
    /// Loads the program without a verifier log: a level-1 log traces every instruction the verifier
    /// walks, which costs time on every start and overflows any fixed buffer (ENOSPC, a refused load)
    /// once a container has a few hundred device rules. Only a refused program is loaded again with
    /// the log, to say why.
    /// </summary>
    private static int Load(ulong[] instructions, string dir)
    {
        long fd = TryLoad(instructions, null, 0);
        if (fd >= 0) return (int)fd;
        int errno = Errno.Last;
        const int logSize = 64 * 1024;
        byte* log = (byte*)NativeMemory.AllocZeroed(logSize);
        try
        {
            fd = TryLoad(instructions, log, logSize);
            // Refused the first time, it may pass now (a transient ENOMEM or EAGAIN): keep it then.
            if (fd >= 0) return (int)fd;
            string verifier = Marshal.PtrToStringUTF8((nint)log)?.Trim() ?? "";
            throw Failure($"loading the device eBPF program for {dir}" + (verifier.Length > 0 ? $" (verifier: {verifier.Split('\n')[^1]})" : ""), errno);
        }
        finally
        {
            NativeMemory.Free(log);
        }
    }

    /// <summary>One BPF_PROG_LOAD, with the verifier's level-1 log in <paramref name="log"/> when given: the fd, or -1.</summary>
    private static long TryLoad(ulong[] instructions, byte* log, int logSize)
    {
        fixed (ulong* code = instructions)
        fixed (byte* license = "Apache-2.0\0"u8)
        {
            byte* attr = stackalloc byte[120];
            new Span<byte>(attr, 120).Clear();
            *(uint*)(attr + 0) = ProgTypeCgroupDevice;
            *(uint*)(attr + 4) = (uint)instructions.Length;
            *(ulong*)(attr + 8) = (ulong)code;
            *(ulong*)(attr + 16) = (ulong)license;
            if (log is not null)
            {
                *(uint*)(attr + 24) = 1;
                *(uint*)(attr + 28) = (uint)logSize;
                *(ulong*)(attr + 32) = (ulong)log;
            }
            "skiff_devices"u8.CopyTo(new Span<byte>(attr + 48, 16));
            return Bpf(ProgLoad, attr, 120);
        }
    }

    private static void Attach(int cgroupFd, int program, string dir)
    {
        byte* attr = stackalloc byte[32];
        new Span<byte>(attr, 32).Clear();
        *(uint*)(attr + 0) = (uint)cgroupFd;
        *(uint*)(attr + 4) = (uint)program;
        *(uint*)(attr + 8) = AttachCgroupDevice;
        *(uint*)(attr + 12) = AllowMulti;
        if (Bpf(ProgAttach, attr, 32) < 0) throw Failure($"attaching the device eBPF program to {dir}", Errno.Last);
    }

    private static void Detach(int cgroupFd, uint id, string dir)
    {
        byte* byId = stackalloc byte[16];
        new Span<byte>(byId, 16).Clear();
        *(uint*)byId = id;
        long program = Bpf(ProgGetFdById, byId, 16);
        if (program < 0)
        {
            // Detached meanwhile by someone else: nothing left to do.
            if (Errno.Last == Errno.ENOENT) return;
            throw Failure($"opening device program {id} of {dir}", Errno.Last);
        }
        try
        {
            byte* attr = stackalloc byte[32];
            new Span<byte>(attr, 32).Clear();
            *(uint*)(attr + 0) = (uint)cgroupFd;
            *(uint*)(attr + 4) = (uint)program;
            *(uint*)(attr + 8) = AttachCgroupDevice;
            if (Bpf(ProgDetach, attr, 32) < 0 && Errno.Last != Errno.ENOENT)
                throw Failure($"detaching the old device program {id} from {dir}", Errno.Last);
        }
        finally
        {
            Interop.Libc.Close((int)program);
        }
    }

    private static long Bpf(int command, byte* attr, int size) => Interop.Libc.Syscall(SysBpf, command, (long)attr, size, 0, 0, 0);

    private static CgroupException Failure(string what, int errno) => new($"cgroup: {what}: {Errno.Describe(errno)}", errno);
}
