using System.Text.Json;

namespace Skiff.Oci.Runtime;

/// <summary>
/// config.json into a <see cref="Spec"/> on <see cref="Utf8JsonReader"/> alone. A runtime verb
/// reads one config and exits, and the source-generated deserializer first builds the metadata of
/// every OCI type (through reflection, for its polymorphism check): a fifth of a `run`'s CPU and
/// most of its heap (bench/README.md). This reader takes the documents it knows exactly (each
/// field of its JSON type, no nulls, no duplicate keys); anything else goes to the generated
/// deserializer, so every other document is read, or refused with its error, exactly as before.
/// Tests compare the two field by field.
/// </summary>
public static class SpecReader
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The spec, or null for a document that is JSON null; a bad document throws the generated deserializer's JsonException.</summary>
    public static Spec? Read(byte[] json) =>
        TryRead(json, out Spec? spec) ? spec : JsonSerializer.Deserialize(json, OciJsonContext.Default.Spec);

    /// <summary>False when the document is one this reader leaves to the generated deserializer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out Spec? spec) => TryReadDocument(json, ReadSpec, out spec);

    /// <summary>
    /// `exec --process`'s document (containerd and Podman pass every exec this way), read as
    /// <see cref="Read"/> reads a config: what this reader does not take goes to the generated deserializer.
    /// </summary>
    public static Process? ReadProcessDocument(byte[] json) =>
        TryReadProcessDocument(json, out Process? process) ? process : JsonSerializer.Deserialize(json, OciJsonContext.Default.Process);

    public static bool TryReadProcessDocument(ReadOnlySpan<byte> json, out Process? process) => TryReadDocument(json, ReadProcess, out process);

    /// <summary>`update --resources`'s document, likewise.</summary>
    public static LinuxResources? ReadResourcesDocument(byte[] json) =>
        TryReadResourcesDocument(json, out LinuxResources? resources) ? resources : JsonSerializer.Deserialize(json, OciJsonContext.Default.LinuxResources);

    public static bool TryReadResourcesDocument(ReadOnlySpan<byte> json, out LinuxResources? resources) => TryReadDocument(json, ReadResources, out resources);

    private static bool TryReadDocument<T>(ReadOnlySpan<byte> json, ValueReader<T> read, out T? value) where T : class
    {
        value = null;
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            value = read(ref reader);
            // The document ends with its object (comments aside).
            return !reader.Read();
        }
        catch (NotHandledHere) { return false; }
        catch (JsonException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>What this reader does not take: a null, a value of another JSON type, a repeated key.</summary>
    private sealed class NotHandledHere : Exception;

    private delegate T ValueReader<T>(ref Utf8JsonReader r);

    private static Spec ReadSpec(ref Utf8JsonReader r)
    {
        var s = new Spec();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("ociVersion"u8)) s.OciVersion = String(ref r);
            else if (r.ValueTextEquals("process"u8)) s.Process = ReadProcess(ref r);
            else if (r.ValueTextEquals("root"u8)) s.Root = ReadRoot(ref r);
            else if (r.ValueTextEquals("hostname"u8)) s.Hostname = String(ref r);
            else if (r.ValueTextEquals("domainname"u8)) s.Domainname = String(ref r);
            else if (r.ValueTextEquals("mounts"u8)) s.Mounts = ListOf(ref r, ReadMount);
            else if (r.ValueTextEquals("hooks"u8)) s.Hooks = ReadHooks(ref r);
            else if (r.ValueTextEquals("annotations"u8)) s.Annotations = MapOf(ref r, String);
            else if (r.ValueTextEquals("linux"u8)) s.Linux = ReadLinux(ref r);
            else r.Skip();
        }
        return s;
    }

    private static Root ReadRoot(ref Utf8JsonReader r)
    {
        var root = new Root();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("path"u8)) root.Path = String(ref r);
            else if (r.ValueTextEquals("readonly"u8)) root.Readonly = Bool(ref r);
            else r.Skip();
        }
        return root;
    }

    private static Mount ReadMount(ref Utf8JsonReader r)
    {
        var m = new Mount();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("destination"u8)) m.Destination = String(ref r);
            else if (r.ValueTextEquals("type"u8)) m.Type = String(ref r);
            else if (r.ValueTextEquals("source"u8)) m.Source = String(ref r);
            else if (r.ValueTextEquals("options"u8)) m.Options = ListOf(ref r, String);
            else if (r.ValueTextEquals("uidMappings"u8)) m.UidMappings = ListOf(ref r, ReadIdMapping);
            else if (r.ValueTextEquals("gidMappings"u8)) m.GidMappings = ListOf(ref r, ReadIdMapping);
            else r.Skip();
        }
        return m;
    }

    private static Hooks ReadHooks(ref Utf8JsonReader r)
    {
        var h = new Hooks();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("prestart"u8)) h.Prestart = ListOf(ref r, ReadHook);
            else if (r.ValueTextEquals("createRuntime"u8)) h.CreateRuntime = ListOf(ref r, ReadHook);
            else if (r.ValueTextEquals("createContainer"u8)) h.CreateContainer = ListOf(ref r, ReadHook);
            else if (r.ValueTextEquals("startContainer"u8)) h.StartContainer = ListOf(ref r, ReadHook);
            else if (r.ValueTextEquals("poststart"u8)) h.Poststart = ListOf(ref r, ReadHook);
            else if (r.ValueTextEquals("poststop"u8)) h.Poststop = ListOf(ref r, ReadHook);
            else r.Skip();
        }
        return h;
    }

    private static Hook ReadHook(ref Utf8JsonReader r)
    {
        var h = new Hook();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("path"u8)) h.Path = String(ref r);
            else if (r.ValueTextEquals("args"u8)) h.Args = ListOf(ref r, String);
            else if (r.ValueTextEquals("env"u8)) h.Env = ListOf(ref r, String);
            else if (r.ValueTextEquals("timeout"u8)) h.Timeout = Int32(ref r);
            else r.Skip();
        }
        return h;
    }

    private static Process ReadProcess(ref Utf8JsonReader r)
    {
        var p = new Process();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("terminal"u8)) p.Terminal = Bool(ref r);
            else if (r.ValueTextEquals("consoleSize"u8)) p.ConsoleSize = ReadConsoleSize(ref r);
            else if (r.ValueTextEquals("user"u8)) p.User = ReadUser(ref r);
            else if (r.ValueTextEquals("args"u8)) p.Args = ListOf(ref r, String);
            else if (r.ValueTextEquals("commandLine"u8)) p.CommandLine = String(ref r);
            else if (r.ValueTextEquals("env"u8)) p.Env = ListOf(ref r, String);
            else if (r.ValueTextEquals("cwd"u8)) p.Cwd = String(ref r);
            else if (r.ValueTextEquals("capabilities"u8)) p.Capabilities = ReadCapabilities(ref r);
            else if (r.ValueTextEquals("rlimits"u8)) p.Rlimits = ListOf(ref r, ReadRlimit);
            else if (r.ValueTextEquals("noNewPrivileges"u8)) p.NoNewPrivileges = Bool(ref r);
            else if (r.ValueTextEquals("apparmorProfile"u8)) p.ApparmorProfile = String(ref r);
            else if (r.ValueTextEquals("oomScoreAdj"u8)) p.OomScoreAdj = Int32(ref r);
            else if (r.ValueTextEquals("selinuxLabel"u8)) p.SelinuxLabel = String(ref r);
            else if (r.ValueTextEquals("ioPriority"u8)) p.IoPriority = ReadIoPriority(ref r);
            else if (r.ValueTextEquals("scheduler"u8)) p.Scheduler = ReadScheduler(ref r);
            else if (r.ValueTextEquals("execCPUAffinity"u8)) p.ExecCpuAffinity = ReadCpuAffinity(ref r);
            else r.Skip();
        }
        return p;
    }

    private static ConsoleSize ReadConsoleSize(ref Utf8JsonReader r)
    {
        var c = new ConsoleSize();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("height"u8)) c.Height = UInt32(ref r);
            else if (r.ValueTextEquals("width"u8)) c.Width = UInt32(ref r);
            else r.Skip();
        }
        return c;
    }

    private static User ReadUser(ref Utf8JsonReader r)
    {
        var u = new User();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("uid"u8)) u.Uid = UInt32(ref r);
            else if (r.ValueTextEquals("gid"u8)) u.Gid = UInt32(ref r);
            else if (r.ValueTextEquals("umask"u8)) u.Umask = UInt32(ref r);
            else if (r.ValueTextEquals("additionalGids"u8)) u.AdditionalGids = ListOf(ref r, UInt32);
            else if (r.ValueTextEquals("username"u8)) u.Username = String(ref r);
            else r.Skip();
        }
        return u;
    }

    private static Capabilities ReadCapabilities(ref Utf8JsonReader r)
    {
        var c = new Capabilities();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("bounding"u8)) c.Bounding = ListOf(ref r, String);
            else if (r.ValueTextEquals("effective"u8)) c.Effective = ListOf(ref r, String);
            else if (r.ValueTextEquals("inheritable"u8)) c.Inheritable = ListOf(ref r, String);
            else if (r.ValueTextEquals("permitted"u8)) c.Permitted = ListOf(ref r, String);
            else if (r.ValueTextEquals("ambient"u8)) c.Ambient = ListOf(ref r, String);
            else r.Skip();
        }
        return c;
    }

    private static Rlimit ReadRlimit(ref Utf8JsonReader r)
    {
        var l = new Rlimit();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("type"u8)) l.Type = String(ref r);
            else if (r.ValueTextEquals("hard"u8)) l.Hard = UInt64(ref r);
            else if (r.ValueTextEquals("soft"u8)) l.Soft = UInt64(ref r);
            else r.Skip();
        }
        return l;
    }

    private static IoPriority ReadIoPriority(ref Utf8JsonReader r)
    {
        var p = new IoPriority();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("class"u8)) p.Class = String(ref r);
            else if (r.ValueTextEquals("priority"u8)) p.Priority = Int32(ref r);
            else r.Skip();
        }
        return p;
    }

    private static Scheduler ReadScheduler(ref Utf8JsonReader r)
    {
        var s = new Scheduler();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("policy"u8)) s.Policy = String(ref r);
            else if (r.ValueTextEquals("nice"u8)) s.Nice = Int32(ref r);
            else if (r.ValueTextEquals("priority"u8)) s.Priority = Int32(ref r);
            else if (r.ValueTextEquals("flags"u8)) s.Flags = ListOf(ref r, String);
            else if (r.ValueTextEquals("runtime"u8)) s.Runtime = UInt64(ref r);
            else if (r.ValueTextEquals("deadline"u8)) s.Deadline = UInt64(ref r);
            else if (r.ValueTextEquals("period"u8)) s.Period = UInt64(ref r);
            else r.Skip();
        }
        return s;
    }

    private static CpuAffinity ReadCpuAffinity(ref Utf8JsonReader r)
    {
        var a = new CpuAffinity();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("initial"u8)) a.Initial = String(ref r);
            else if (r.ValueTextEquals("final"u8)) a.Final = String(ref r);
            else r.Skip();
        }
        return a;
    }

    private static Linux ReadLinux(ref Utf8JsonReader r)
    {
        var l = new Linux();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("namespaces"u8)) l.Namespaces = ListOf(ref r, ReadNamespace);
            else if (r.ValueTextEquals("uidMappings"u8)) l.UidMappings = ListOf(ref r, ReadIdMapping);
            else if (r.ValueTextEquals("gidMappings"u8)) l.GidMappings = ListOf(ref r, ReadIdMapping);
            else if (r.ValueTextEquals("timeOffsets"u8)) l.TimeOffsets = MapOf(ref r, ReadTimeOffset);
            else if (r.ValueTextEquals("devices"u8)) l.Devices = ListOf(ref r, ReadDevice);
            else if (r.ValueTextEquals("cgroupsPath"u8)) l.CgroupsPath = String(ref r);
            else if (r.ValueTextEquals("resources"u8)) l.Resources = ReadResources(ref r);
            else if (r.ValueTextEquals("rootfsPropagation"u8)) l.RootfsPropagation = String(ref r);
            else if (r.ValueTextEquals("seccomp"u8)) l.Seccomp = ReadSeccomp(ref r);
            else if (r.ValueTextEquals("maskedPaths"u8)) l.MaskedPaths = ListOf(ref r, String);
            else if (r.ValueTextEquals("readonlyPaths"u8)) l.ReadonlyPaths = ListOf(ref r, String);
            else if (r.ValueTextEquals("mountLabel"u8)) l.MountLabel = String(ref r);
            else if (r.ValueTextEquals("sysctl"u8)) l.Sysctl = MapOf(ref r, String);
            else if (r.ValueTextEquals("personality"u8)) l.Personality = ReadPersonality(ref r);
            else if (r.ValueTextEquals("intelRdt"u8)) l.IntelRdt = ReadIntelRdt(ref r);
            else r.Skip();
        }
        return l;
    }

    private static LinuxNamespace ReadNamespace(ref Utf8JsonReader r)
    {
        var n = new LinuxNamespace();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("type"u8)) n.Type = String(ref r);
            else if (r.ValueTextEquals("path"u8)) n.Path = String(ref r);
            else r.Skip();
        }
        return n;
    }

    private static IdMapping ReadIdMapping(ref Utf8JsonReader r)
    {
        var m = new IdMapping();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("containerID"u8)) m.ContainerId = UInt32(ref r);
            else if (r.ValueTextEquals("hostID"u8)) m.HostId = UInt32(ref r);
            else if (r.ValueTextEquals("size"u8)) m.Size = UInt32(ref r);
            else r.Skip();
        }
        return m;
    }

    private static TimeOffset ReadTimeOffset(ref Utf8JsonReader r)
    {
        var t = new TimeOffset();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("secs"u8)) t.Secs = Int64(ref r);
            else if (r.ValueTextEquals("nanosecs"u8)) t.Nanosecs = UInt32(ref r);
            else r.Skip();
        }
        return t;
    }

    private static LinuxDevice ReadDevice(ref Utf8JsonReader r)
    {
        var d = new LinuxDevice();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("type"u8)) d.Type = String(ref r);
            else if (r.ValueTextEquals("path"u8)) d.Path = String(ref r);
            else if (r.ValueTextEquals("major"u8)) d.Major = Int64(ref r);
            else if (r.ValueTextEquals("minor"u8)) d.Minor = Int64(ref r);
            else if (r.ValueTextEquals("fileMode"u8)) d.FileMode = UInt32(ref r);
            else if (r.ValueTextEquals("uid"u8)) d.Uid = UInt32(ref r);
            else if (r.ValueTextEquals("gid"u8)) d.Gid = UInt32(ref r);
            else r.Skip();
        }
        return d;
    }

    private static Personality ReadPersonality(ref Utf8JsonReader r)
    {
        var p = new Personality();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("domain"u8)) p.Domain = String(ref r);
            else if (r.ValueTextEquals("flags"u8)) p.Flags = ListOf(ref r, String);
            else r.Skip();
        }
        return p;
    }

    private static IntelRdt ReadIntelRdt(ref Utf8JsonReader r)
    {
        var i = new IntelRdt();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("closID"u8)) i.ClosId = String(ref r);
            else if (r.ValueTextEquals("l3CacheSchema"u8)) i.L3CacheSchema = String(ref r);
            else if (r.ValueTextEquals("memBwSchema"u8)) i.MemBwSchema = String(ref r);
            else if (r.ValueTextEquals("enableCMT"u8)) i.EnableCmt = Bool(ref r);
            else if (r.ValueTextEquals("enableMBM"u8)) i.EnableMbm = Bool(ref r);
            else r.Skip();
        }
        return i;
    }

    private static LinuxResources ReadResources(ref Utf8JsonReader r)
    {
        var res = new LinuxResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("devices"u8)) res.Devices = ListOf(ref r, ReadDeviceRule);
            else if (r.ValueTextEquals("memory"u8)) res.Memory = ReadMemory(ref r);
            else if (r.ValueTextEquals("cpu"u8)) res.Cpu = ReadCpu(ref r);
            else if (r.ValueTextEquals("pids"u8)) res.Pids = ReadPids(ref r);
            else if (r.ValueTextEquals("blockIO"u8)) res.BlockIo = ReadBlockIo(ref r);
            else if (r.ValueTextEquals("hugepageLimits"u8)) res.HugepageLimits = ListOf(ref r, ReadHugepageLimit);
            else if (r.ValueTextEquals("network"u8)) res.Network = ReadNetwork(ref r);
            else if (r.ValueTextEquals("rdma"u8)) res.Rdma = MapOf(ref r, ReadRdma);
            else if (r.ValueTextEquals("unified"u8)) res.Unified = MapOf(ref r, String);
            else r.Skip();
        }
        return res;
    }

    private static DeviceCgroupRule ReadDeviceRule(ref Utf8JsonReader r)
    {
        var d = new DeviceCgroupRule();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("allow"u8)) d.Allow = Bool(ref r);
            else if (r.ValueTextEquals("type"u8)) d.Type = String(ref r);
            else if (r.ValueTextEquals("major"u8)) d.Major = Int64(ref r);
            else if (r.ValueTextEquals("minor"u8)) d.Minor = Int64(ref r);
            else if (r.ValueTextEquals("access"u8)) d.Access = String(ref r);
            else r.Skip();
        }
        return d;
    }

    private static MemoryResources ReadMemory(ref Utf8JsonReader r)
    {
        var m = new MemoryResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("limit"u8)) m.Limit = Int64(ref r);
            else if (r.ValueTextEquals("reservation"u8)) m.Reservation = Int64(ref r);
            else if (r.ValueTextEquals("swap"u8)) m.Swap = Int64(ref r);
            else if (r.ValueTextEquals("kernel"u8)) m.Kernel = Int64(ref r);
            else if (r.ValueTextEquals("kernelTCP"u8)) m.KernelTcp = Int64(ref r);
            else if (r.ValueTextEquals("swappiness"u8)) m.Swappiness = UInt64(ref r);
            else if (r.ValueTextEquals("disableOOMKiller"u8)) m.DisableOomKiller = Bool(ref r);
            else if (r.ValueTextEquals("useHierarchy"u8)) m.UseHierarchy = Bool(ref r);
            else if (r.ValueTextEquals("checkBeforeUpdate"u8)) m.CheckBeforeUpdate = Bool(ref r);
            else r.Skip();
        }
        return m;
    }

    private static CpuResources ReadCpu(ref Utf8JsonReader r)
    {
        var c = new CpuResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("shares"u8)) c.Shares = UInt64(ref r);
            else if (r.ValueTextEquals("quota"u8)) c.Quota = Int64(ref r);
            else if (r.ValueTextEquals("burst"u8)) c.Burst = UInt64(ref r);
            else if (r.ValueTextEquals("period"u8)) c.Period = UInt64(ref r);
            else if (r.ValueTextEquals("realtimeRuntime"u8)) c.RealtimeRuntime = Int64(ref r);
            else if (r.ValueTextEquals("realtimePeriod"u8)) c.RealtimePeriod = UInt64(ref r);
            else if (r.ValueTextEquals("cpus"u8)) c.Cpus = String(ref r);
            else if (r.ValueTextEquals("mems"u8)) c.Mems = String(ref r);
            else if (r.ValueTextEquals("idle"u8)) c.Idle = Int64(ref r);
            else r.Skip();
        }
        return c;
    }

    private static PidsResources ReadPids(ref Utf8JsonReader r)
    {
        var p = new PidsResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("limit"u8)) p.Limit = Int64(ref r);
            else r.Skip();
        }
        return p;
    }

    private static BlockIoResources ReadBlockIo(ref Utf8JsonReader r)
    {
        var b = new BlockIoResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("weight"u8)) b.Weight = UInt16(ref r);
            else if (r.ValueTextEquals("leafWeight"u8)) b.LeafWeight = UInt16(ref r);
            else if (r.ValueTextEquals("weightDevice"u8)) b.WeightDevice = ListOf(ref r, ReadWeightDevice);
            else if (r.ValueTextEquals("throttleReadBpsDevice"u8)) b.ThrottleReadBpsDevice = ListOf(ref r, ReadThrottleDevice);
            else if (r.ValueTextEquals("throttleWriteBpsDevice"u8)) b.ThrottleWriteBpsDevice = ListOf(ref r, ReadThrottleDevice);
            else if (r.ValueTextEquals("throttleReadIOPSDevice"u8)) b.ThrottleReadIopsDevice = ListOf(ref r, ReadThrottleDevice);
            else if (r.ValueTextEquals("throttleWriteIOPSDevice"u8)) b.ThrottleWriteIopsDevice = ListOf(ref r, ReadThrottleDevice);
            else r.Skip();
        }
        return b;
    }

    private static WeightDevice ReadWeightDevice(ref Utf8JsonReader r)
    {
        var w = new WeightDevice();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("major"u8)) w.Major = Int64(ref r);
            else if (r.ValueTextEquals("minor"u8)) w.Minor = Int64(ref r);
            else if (r.ValueTextEquals("weight"u8)) w.Weight = UInt16(ref r);
            else if (r.ValueTextEquals("leafWeight"u8)) w.LeafWeight = UInt16(ref r);
            else r.Skip();
        }
        return w;
    }

    private static ThrottleDevice ReadThrottleDevice(ref Utf8JsonReader r)
    {
        var t = new ThrottleDevice();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("major"u8)) t.Major = Int64(ref r);
            else if (r.ValueTextEquals("minor"u8)) t.Minor = Int64(ref r);
            else if (r.ValueTextEquals("rate"u8)) t.Rate = UInt64(ref r);
            else r.Skip();
        }
        return t;
    }

    private static HugepageLimit ReadHugepageLimit(ref Utf8JsonReader r)
    {
        var h = new HugepageLimit();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("pageSize"u8)) h.PageSize = String(ref r);
            else if (r.ValueTextEquals("limit"u8)) h.Limit = UInt64(ref r);
            else r.Skip();
        }
        return h;
    }

    private static NetworkResources ReadNetwork(ref Utf8JsonReader r)
    {
        var n = new NetworkResources();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("classID"u8)) n.ClassId = UInt32(ref r);
            else if (r.ValueTextEquals("priorities"u8)) n.Priorities = ListOf(ref r, ReadInterfacePriority);
            else r.Skip();
        }
        return n;
    }

    private static InterfacePriority ReadInterfacePriority(ref Utf8JsonReader r)
    {
        var p = new InterfacePriority();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("name"u8)) p.Name = String(ref r);
            else if (r.ValueTextEquals("priority"u8)) p.Priority = UInt32(ref r);
            else r.Skip();
        }
        return p;
    }

    private static RdmaResource ReadRdma(ref Utf8JsonReader r)
    {
        var d = new RdmaResource();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("hcaHandles"u8)) d.HcaHandles = UInt32(ref r);
            else if (r.ValueTextEquals("hcaObjects"u8)) d.HcaObjects = UInt32(ref r);
            else r.Skip();
        }
        return d;
    }

    private static Seccomp ReadSeccomp(ref Utf8JsonReader r)
    {
        var s = new Seccomp();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("defaultAction"u8)) s.DefaultAction = String(ref r);
            else if (r.ValueTextEquals("defaultErrnoRet"u8)) s.DefaultErrnoRet = UInt32(ref r);
            else if (r.ValueTextEquals("architectures"u8)) s.Architectures = ListOf(ref r, String);
            else if (r.ValueTextEquals("flags"u8)) s.Flags = ListOf(ref r, String);
            else if (r.ValueTextEquals("listenerPath"u8)) s.ListenerPath = String(ref r);
            else if (r.ValueTextEquals("listenerMetadata"u8)) s.ListenerMetadata = String(ref r);
            else if (r.ValueTextEquals("syscalls"u8)) s.Syscalls = ListOf(ref r, ReadSyscall);
            else r.Skip();
        }
        return s;
    }

    private static SeccompSyscall ReadSyscall(ref Utf8JsonReader r)
    {
        var s = new SeccompSyscall();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("names"u8)) s.Names = ListOf(ref r, String);
            else if (r.ValueTextEquals("action"u8)) s.Action = String(ref r);
            else if (r.ValueTextEquals("errnoRet"u8)) s.ErrnoRet = UInt32(ref r);
            else if (r.ValueTextEquals("args"u8)) s.Args = ListOf(ref r, ReadSeccompArg);
            else r.Skip();
        }
        return s;
    }

    private static SeccompArg ReadSeccompArg(ref Utf8JsonReader r)
    {
        var a = new SeccompArg();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            if (r.ValueTextEquals("index"u8)) a.Index = UInt32(ref r);
            else if (r.ValueTextEquals("value"u8)) a.Value = UInt64(ref r);
            else if (r.ValueTextEquals("valueTwo"u8)) a.ValueTwo = UInt64(ref r);
            else if (r.ValueTextEquals("op"u8)) a.Op = String(ref r);
            else r.Skip();
        }
        return a;
    }

    // The building blocks. Each reads the next value and takes it only in the JSON type its field
    // has; a null (which the generated deserializer treats per field) or any other type is NotHandledHere.

    private static void StartObject(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new NotHandledHere();
    }

    /// <summary>True on the next property name of the current object, false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader r)
    {
        if (!r.Read()) throw new NotHandledHere();
        return r.TokenType == JsonTokenType.PropertyName;
    }

    private static List<T> ListOf<T>(ref Utf8JsonReader r, ValueReader<T> item)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartArray) throw new NotHandledHere();
        var list = new List<T>();
        while (true)
        {
            // Each item reader reads its own first token: look ahead on a copy for the array's end.
            Utf8JsonReader ahead = r;
            if (!ahead.Read()) throw new NotHandledHere();
            if (ahead.TokenType == JsonTokenType.EndArray) { r = ahead; return list; }
            list.Add(item(ref r));
        }
    }

    private static Dictionary<string, T> MapOf<T>(ref Utf8JsonReader r, ValueReader<T> value)
    {
        var map = new Dictionary<string, T>();
        StartObject(ref r);
        while (NextProperty(ref r))
        {
            string key = r.GetString()!;
            if (!map.TryAdd(key, value(ref r))) throw new NotHandledHere();
        }
        return map;
    }

    private static JsonTokenType Next(ref Utf8JsonReader r) => r.Read() ? r.TokenType : throw new NotHandledHere();

    private static string String(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.String ? r.GetString()! : throw new NotHandledHere();

    private static bool Bool(ref Utf8JsonReader r) => Next(ref r) switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new NotHandledHere(),
    };

    private static int Int32(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.Number && r.TryGetInt32(out int v) ? v : throw new NotHandledHere();

    private static uint UInt32(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.Number && r.TryGetUInt32(out uint v) ? v : throw new NotHandledHere();

    private static ushort UInt16(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.Number && r.TryGetUInt16(out ushort v) ? v : throw new NotHandledHere();

    private static long Int64(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.Number && r.TryGetInt64(out long v) ? v : throw new NotHandledHere();

    private static ulong UInt64(ref Utf8JsonReader r) =>
        Next(ref r) == JsonTokenType.Number && r.TryGetUInt64(out ulong v) ? v : throw new NotHandledHere();
}
