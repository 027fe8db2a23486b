using Skiff.Runc.Go;
using Skiff.Runc.Verbs;

namespace Skiff.Runc.Tests;

/// <summary>pause, resume, update, events and ps: their command lines as runc's clients write them.</summary>
public class CgroupVerbParsingTests
{
    [Fact]
    public void Pause_and_resume_take_one_id()
    {
        Assert.Equal(new PauseCommand("c1"), Cli.Command("pause", "c1"));
        Assert.Equal(new ResumeCommand("c1"), Cli.Command("resume", "c1"));
        Assert.Equal("\"pause\" requires exactly 1 argument(s), got 0", Cli.UsageError("pause"));
        Assert.Equal("\"resume\" requires exactly 1 argument(s), got 2", Cli.UsageError("resume", "a", "b"));
    }

    [Fact]
    public void Update_reads_every_flag_in_runc_units()
    {
        var command = Assert.IsType<UpdateCommand>(Cli.Command("update",
            "--memory", "64m", "--memory-reservation", "32M", "--memory-swap", "1g", "--cpu-share", "512",
            "--cpu-quota", "-1", "--cpu-period", "100000", "--cpu-rt-runtime", "950", "--cpu-rt-period", "1000",
            "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--pids-limit", "42", "--blkio-weight", "300",
            "--cpu-burst", "10", "--cpu-idle", "1", "c1"));
        Assert.Equal("c1", command.Id);
        Assert.Null(command.ResourcesFile);
        Assert.Equal(new UpdateFlags
        {
            Memory = 64L << 20, MemoryReservation = 32L << 20, MemorySwap = 1L << 30, CpuShares = 512, CpuQuota = -1,
            CpuPeriod = 100000, CpuRtRuntime = 950, CpuRtPeriod = 1000, CpusetCpus = "0-1", CpusetMems = "0", PidsLimit = 42,
            BlkioWeight = 300, CpuBurst = 10, CpuIdle = 1,
        }, command.Flags);
    }

    [Fact]
    public void Update_flags_become_the_resources_they_name_and_nothing_else()
    {
        var command = Assert.IsType<UpdateCommand>(Cli.Command("update", "-memory=1g", "-pids-limit=-1", "c1"));
        var r = command.Flags.ToResources();
        Assert.Equal(1L << 30, r.Memory!.Limit);
        Assert.Null(r.Memory.Swap);
        Assert.Null(r.Memory.Reservation);
        Assert.Equal(-1, r.Pids!.Limit);
        Assert.Null(r.Cpu!.Shares);
        Assert.Null(r.Cpu.Quota);
        Assert.Null(r.Cpu.Cpus);
        Assert.Null(r.BlockIo!.Weight);
        Assert.Null(r.Devices);
    }

    [Fact]
    public void Update_takes_docker_spelling_of_cpu_shares_and_flags_after_the_id()
    {
        var command = Assert.IsType<UpdateCommand>(Cli.Command("update", "c1", "--cpu-shares", "1024", "--memory", "-1"));
        Assert.Equal(1024UL, command.Flags.CpuShares);
        Assert.Equal(-1L, command.Flags.Memory);
    }

    [Fact]
    public void Update_resources_from_stdin_or_file()
    {
        Assert.Equal("-", Assert.IsType<UpdateCommand>(Cli.Command("update", "--resources", "-", "c1")).ResourcesFile);
        Assert.Equal("/tmp/r.json", Assert.IsType<UpdateCommand>(Cli.Command("update", "-r", "/tmp/r.json", "c1")).ResourcesFile);
    }

    [Fact]
    public void Update_resources_file_is_read_as_linux_resources()
    {
        using var dir = new TempDir();
        string file = dir.File("r.json");
        File.WriteAllText(file, """{"memory":{"limit":67108864,"swap":-1},"cpu":{"shares":256,"cpus":"0"},"pids":{"limit":10},"blockIO":{"weight":200}}""");
        var r = UpdateCommand.ReadResources(file);
        Assert.Equal(67108864, r.Memory!.Limit);
        Assert.Equal(-1, r.Memory.Swap);
        Assert.Equal(256UL, r.Cpu!.Shares);
        Assert.Equal("0", r.Cpu.Cpus);
        Assert.Equal(10, r.Pids!.Limit);
        Assert.Equal((ushort)200, r.BlockIo!.Weight);
    }

    [Fact]
    public void Update_bad_resources_json_is_one_line_naming_the_file()
    {
        using var dir = new TempDir();
        string file = dir.File("r.json");
        File.WriteAllText(file, "{\"memory\": {\"limit\": \"lots\"}}");
        var e = Assert.ThrowsAny<Exception>(() => UpdateCommand.ReadResources(file));
        Assert.StartsWith($"reading resources from {file}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal($"open {dir.File("none.json")}: no such file or directory",
            Assert.ThrowsAny<Exception>(() => UpdateCommand.ReadResources(dir.File("none.json"))).Message);
    }

    [Theory]
    [InlineData("--memory", "lots", "invalid value for memory: invalid size: 'lots'")]
    [InlineData("--memory-swap", "-2", "invalid value for memory-swap: invalid size: '-2'")]
    [InlineData("--cpu-share", "-5", "invalid value for cpu-share: \"-5\" is not an unsigned integer")]
    [InlineData("--cpu-quota", "1.5", "invalid value for cpu-quota: \"1.5\" is not an integer")]
    [InlineData("--pids-limit", "ten", "invalid value \"ten\" for flag -pids-limit: parse error")]
    public void Update_bad_values_are_one_line_errors(string flag, string value, string message)
    {
        Assert.Equal(message, Cli.UsageError("update", flag, value, "c1"));
    }

    [Fact]
    public void Update_obsolete_flags_are_accepted_and_rdt_flags_refused_with_a_reason()
    {
        var kernel = Assert.IsType<UpdateCommand>(Cli.Command("update", "--kernel-memory", "10m", "--kernel-memory-tcp", "1m", "c1"));
        Assert.Equal("kernel-memory,kernel-memory-tcp", kernel.IgnoredFlags);
        Assert.Equal(new UpdateFlags(), kernel.Flags);

        (int status, string stdout, string stderr) = Cli.Run("--root", "/nonexistent-skiff-root", "update", "--l3-cache-schema", "L3:0=f", "c1");
        Assert.Equal((1, ""), (status, stdout));
        Assert.Contains("Intel RDT/CAT: l3 cache schema is not enabled", Assert.Single(stderr.TrimEnd('\n').Split('\n')));
        (status, _, stderr) = Cli.Run("--root", "/nonexistent-skiff-root", "update", "--mem-bw-schema", "MB:0=50", "c1");
        Assert.Equal(1, status);
        Assert.Contains("Intel RDT/MBA: memory bandwidth schema is not enabled", stderr);
    }

    [Theory]
    [InlineData("64m", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("512KiB", 512L << 10)]
    [InlineData("10 MB", 10L << 20)]
    [InlineData("100", 100L)]
    [InlineData("100b", 100L)]
    [InlineData("2t", 2L << 40)]
    public void Sizes_read_as_go_units_ram_in_bytes(string text, long bytes)
    {
        Assert.Equal(bytes, GoNumbers.RamInBytes(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-1")]
    [InlineData("1x")]
    [InlineData("1.")]
    [InlineData("1mm")]
    [InlineData("1  m")]
    public void Sizes_go_refuses_are_refused(string text)
    {
        Assert.Null(GoNumbers.RamInBytes(text));
    }

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2h", 7200000)]
    [InlineData("0", 0)]
    public void Durations_read_as_go_parse_duration(string text, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoNumbers.Duration(text));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("")]
    public void Durations_go_refuses_are_refused(string text)
    {
        Assert.Null(GoNumbers.Duration(text));
    }

    [Fact]
    public void Events_defaults_to_a_five_second_stream()
    {
        Assert.Equal(new EventsCommand("c1", TimeSpan.FromSeconds(5), false), Cli.Command("events", "c1"));
        Assert.Equal(new EventsCommand("c1", TimeSpan.FromMilliseconds(200), false), Cli.Command("events", "--interval", "200ms", "c1"));
        Assert.Equal(new EventsCommand("c1", TimeSpan.FromSeconds(5), true), Cli.Command("events", "-stats", "c1"));
    }

    [Fact]
    public void Events_bad_interval_is_refused()
    {
        Assert.Equal("invalid value \"soon\" for flag -interval: parse error", Cli.UsageError("events", "--interval", "soon", "c1"));
        Assert.Equal("duration interval must be greater than 0", Cli.UsageError("events", "--interval", "0s", "c1"));
    }

    [Fact]
    public void Ps_passes_what_follows_the_id_to_the_host_ps()
    {
        Assert.Equal(new PsCommand("c1", false), Cli.Command("ps", "c1"));
        Assert.Equal(["-ef"], new PsCommand("c1", false).PsArgumentList);
        var command = Assert.IsType<PsCommand>(Cli.Command("ps", "c1", "-o", "pid,comm", "--format", "json"));
        Assert.False(command.Json);
        Assert.Equal(["-o", "pid,comm", "--format", "json"], command.PsArgumentList);
    }

    [Theory]
    [InlineData("ps", "--format", "json", "c1")]
    [InlineData("ps", "-f", "json", "c1")]
    [InlineData("ps", "-format=json", "c1")]
    [InlineData("ps", "--format=json", "--", "c1")]
    public void Ps_format_json_before_the_id(params string[] args)
    {
        Assert.Equal(new PsCommand("c1", true), Cli.Command(args));
    }

    [Fact]
    public void Ps_refusals()
    {
        Assert.Equal("invalid format option \"xml\": expected table or json", Cli.UsageError("ps", "-f", "xml", "c1"));
        Assert.Equal("flag provided but not defined: -x", Cli.UsageError("ps", "-x", "c1"));
        Assert.Equal("\"ps\" requires a minimum of 1 argument(s), got 0", Cli.UsageError("ps", "--format", "json"));
    }

    [Fact]
    public void Ps_keeps_the_header_and_the_container_rows()
    {
        string ps = "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
                    "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n" +
                    "root         123       1  0 10:01 ?        00:00:00 sleep 600\n" +
                    "root        1234     123  0 10:01 ?        00:00:00 sh -c x\n";
        Assert.Equal("UID          PID    PPID  C STIME TTY          TIME CMD\n" +
                     "root         123       1  0 10:01 ?        00:00:00 sleep 600\n", PsCommand.Filter(ps, [123, 99]));
        Assert.Equal("couldn't find PID field in ps output", Assert.ThrowsAny<Exception>(() => PsCommand.Filter("USER CMD\n", [1])).Message);
    }

    [Theory]
    [InlineData("ps", "--help")]
    [InlineData("ps", "-h")]
    [InlineData("help", "ps")]
    public void Ps_has_a_help_page(params string[] args)
    {
        (int status, string stdout, string stderr) = Cli.Run(args);
        Assert.Equal((0, ""), (status, stderr));
        Assert.Contains("ps displays the processes running inside a container", stdout);
        Assert.Contains("--format", stdout);
    }
}
