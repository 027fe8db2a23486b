using System.CommandLine;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Skiff.Oci.Runtime;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Go;

namespace Skiff.Runc.Verbs;

internal sealed class UpdateVerb : Verb
{
    private readonly Option<string> _resources = new("--resources", "-r")
    {
        Description = "path to the file containing the resources to update or '-' to read from the standard input " +
                      "(a LinuxResources JSON object; unchanged values can be omitted); when given, all other options are ignored",
    };

    private readonly Option<string> _blkioWeight = new("--blkio-weight") { Description = "Specifies per cgroup weight, range is from 10 to 1000" };
    private readonly Option<string> _cpuPeriod = new("--cpu-period") { Description = "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default" };
    private readonly Option<string> _cpuQuota = new("--cpu-quota") { Description = "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period" };
    private readonly Option<string> _cpuBurst = new("--cpu-burst") { Description = "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period" };
    // runc spells it --cpu-share; --cpu-shares (docker's spelling) is accepted too.
    private readonly Option<string> _cpuShare = new("--cpu-share", "--cpu-shares") { Description = "CPU shares (relative weight vs. other containers)" };
    private readonly Option<string> _cpuRtPeriod = new("--cpu-rt-period") { Description = "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default" };
    private readonly Option<string> _cpuRtRuntime = new("--cpu-rt-runtime") { Description = "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period" };
    private readonly Option<string> _cpusetCpus = new("--cpuset-cpus") { Description = "CPU(s) to use" };
    private readonly Option<string> _cpusetMems = new("--cpuset-mems") { Description = "Memory node(s) to use" };
    private readonly Option<string> _cpuIdle = new("--cpu-idle") { Description = "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE" };
    private readonly Option<string> _kernelMemory = new("--kernel-memory") { Description = "(obsoleted; do not use)", Hidden = true };
    private readonly Option<string> _kernelMemoryTcp = new("--kernel-memory-tcp") { Description = "(obsoleted; do not use)", Hidden = true };
    private readonly Option<string> _memory = new("--memory") { Description = "Memory limit (in bytes; k, m, g suffixes accepted)" };
    private readonly Option<string> _memoryReservation = new("--memory-reservation") { Description = "Memory reservation or soft_limit (in bytes)" };
    private readonly Option<string> _memorySwap = new("--memory-swap") { Description = "Total memory usage (memory + swap); set '-1' to enable unlimited swap" };
    private readonly Option<string> _pidsLimit = new("--pids-limit") { Description = "Maximum number of pids allowed in the container" };
    private readonly Option<string> _l3CacheSchema = new("--l3-cache-schema") { Description = "The string of Intel RDT/CAT L3 cache schema" };
    private readonly Option<string> _memBwSchema = new("--mem-bw-schema") { Description = "The string of Intel RDT/MBA memory bandwidth schema" };

    public UpdateVerb() : base("update", "update container resource constraints", 1, [ContainerId])
    {
        foreach (Option option in new Option[]
                 {
                     _resources, _blkioWeight, _cpuPeriod, _cpuQuota, _cpuBurst, _cpuShare, _cpuRtPeriod, _cpuRtRuntime,
                     _cpusetCpus, _cpusetMems, _cpuIdle, _kernelMemory, _kernelMemoryTcp, _memory, _memoryReservation,
                     _memorySwap, _pidsLimit, _l3CacheSchema, _memBwSchema,
                 })
            Command.Options.Add(option);
    }

    protected override RuncCommand Bind(ParseResult result, string[] arguments)
    {
        var ignored = new List<string>();
        if (result.GetValue(_kernelMemory) is not null) ignored.Add("kernel-memory");
        if (result.GetValue(_kernelMemoryTcp) is not null) ignored.Add("kernel-memory-tcp");
        var flags = new UpdateFlags
        {
            BlkioWeight = GoInt(result, _blkioWeight, "blkio-weight") is { } weight and not 0 ? (ushort)weight : null,
            CpusetCpus = result.GetValue(_cpusetCpus),
            CpusetMems = result.GetValue(_cpusetMems),
            CpuIdle = Signed(result, _cpuIdle, "cpu-idle"),
            CpuBurst = Unsigned(result, _cpuBurst, "cpu-burst"),
            CpuPeriod = Unsigned(result, _cpuPeriod, "cpu-period"),
            CpuRtPeriod = Unsigned(result, _cpuRtPeriod, "cpu-rt-period"),
            CpuShares = Unsigned(result, _cpuShare, "cpu-share"),
            CpuQuota = Signed(result, _cpuQuota, "cpu-quota"),
            CpuRtRuntime = Signed(result, _cpuRtRuntime, "cpu-rt-runtime"),
            Memory = Size(result, _memory, "memory"),
            MemorySwap = Size(result, _memorySwap, "memory-swap"),
            MemoryReservation = Size(result, _memoryReservation, "memory-reservation"),
            PidsLimit = GoInt(result, _pidsLimit, "pids-limit") ?? 0,
        };
        return new UpdateCommand(arguments[0], result.GetValue(_resources), flags, string.Join(",", ignored),
            result.GetValue(_l3CacheSchema), result.GetValue(_memBwSchema));
    }

    private static long? GoInt(ParseResult result, Option<string> option, string name) =>
        result.GetValue(option) is not { } text ? null
        : GoNumbers.Int(text) ?? throw new CliException($"invalid value \"{text}\" for flag -{name}: parse error");

    private static ulong? Unsigned(ParseResult result, Option<string> option, string name) =>
        result.GetValue(option) is not { } text ? null
        : GoNumbers.DecimalUInt(text) ?? throw new CliException($"invalid value for {name}: \"{text}\" is not an unsigned integer");

    private static long? Signed(ParseResult result, Option<string> option, string name) =>
        result.GetValue(option) is not { } text ? null
        : GoNumbers.DecimalInt(text) ?? throw new CliException($"invalid value for {name}: \"{text}\" is not an integer");

    /// <summary>A size in runc's syntax ("64m", "1g", plain bytes), or -1 for no limit.</summary>
    private static long? Size(ParseResult result, Option<string> option, string name) =>
        result.GetValue(option) is not { } text ? null
        : text == "-1" ? -1
        : GoNumbers.RamInBytes(text) ?? throw new CliException($"invalid value for {name}: invalid size: '{text}'");
}

/// <summary>The resources `update` was given by flag; null (or 0 for the pids limit, as in runc) leaves a value alone.</summary>
internal sealed record UpdateFlags
{
    public ushort? BlkioWeight { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public long? CpuIdle { get; init; }
    public ulong? CpuBurst { get; init; }
    public ulong? CpuPeriod { get; init; }
    public ulong? CpuRtPeriod { get; init; }
    public ulong? CpuShares { get; init; }
    public long? CpuQuota { get; init; }
    public long? CpuRtRuntime { get; init; }
    public long? Memory { get; init; }
    public long? MemorySwap { get; init; }
    public long? MemoryReservation { get; init; }
    public long PidsLimit { get; init; }

    public LinuxResources ToResources() => new()
    {
        Memory = new MemoryResources { Limit = Memory, Swap = MemorySwap, Reservation = MemoryReservation },
        Cpu = new CpuResources
        {
            Shares = CpuShares, Quota = CpuQuota, Burst = CpuBurst, Period = CpuPeriod, RealtimeRuntime = CpuRtRuntime,
            RealtimePeriod = CpuRtPeriod, Cpus = CpusetCpus, Mems = CpusetMems, Idle = CpuIdle,
        },
        BlockIo = new BlockIoResources { Weight = BlkioWeight },
        Pids = new PidsResources { Limit = PidsLimit },
    };
}

/// <summary>
/// `update`: new limits for a running container, from flags or from a LinuxResources JSON document
/// (dockerd pipes one on stdin with `--resources -`); Intel RDT schemas are refused, skiff has no resctrl.
/// </summary>
/// <param name="IgnoredFlags">Obsolete flags given (comma-separated), warned about and ignored as runc does.</param>
internal sealed record UpdateCommand(string Id, string? ResourcesFile, UpdateFlags Flags, string IgnoredFlags = "",
    string? L3CacheSchema = null, string? MemBwSchema = null) : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        if (L3CacheSchema is not null)
            throw new CliException("Intel RDT/CAT: l3 cache schema is not enabled: skiff-runc does not manage resctrl");
        if (MemBwSchema is not null)
            throw new CliException("Intel RDT/MBA: memory bandwidth schema is not enabled: skiff-runc does not manage resctrl");
        LinuxResources resources;
        if (ResourcesFile is not null) resources = ReadResources(ResourcesFile);
        else
        {
            foreach (string flag in IgnoredFlags.Split(',', StringSplitOptions.RemoveEmptyEntries))
                session.Log.Warning($"Setting --{flag} is ignored and will be removed");
            resources = Flags.ToResources();
        }
        session.Runtime.Update(Id, resources);
        return 0;
    }

    internal static LinuxResources ReadResources(string file)
    {
        string where = file == "-" ? "the standard input" : file;
        try
        {
            // Not Console: it would set up terminal handling a short-lived runtime has no use for.
            using Stream input = file == "-" ? new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read) : File.OpenRead(file);
            using var buffer = new MemoryStream();
            input.CopyTo(buffer);
            byte[] bytes = buffer.ToArray();
            try
            {
                return SpecReader.ReadResourcesDocument(bytes)
                    ?? throw new CliException($"reading resources from {where}: null is not a resources object");
            }
            catch (JsonException e)
            {
                throw new CliException($"reading resources from {where}: {OciJsonError.Describe(e, bytes)}");
            }
        }
        catch (FileNotFoundException)
        {
            throw new CliException($"open {file}: no such file or directory");
        }
    }
}
