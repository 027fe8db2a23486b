using Skiff.Runc.CommandLine;
using Skiff.Runc.Verbs;
using Skiff.Runtime;

namespace Skiff.Runc.Tests;

/// <summary>Every spelling Go's flag package (and so runc) accepts means the same command here.</summary>
public class SyntaxTests
{
    public static TheoryData<string[]> CreateSpellings => new()
    {
        new[] { "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "c1" },
        new[] { "create", "--bundle=/b", "--pid-file=/p", "--console-socket=/s", "c1" },
        new[] { "create", "-bundle", "/b", "-pid-file", "/p", "-console-socket", "/s", "c1" },
        new[] { "create", "-bundle=/b", "-pid-file=/p", "-console-socket=/s", "c1" },
        new[] { "create", "-b", "/b", "--pid-file", "/p", "--console-socket", "/s", "c1" },
        new[] { "create", "-b=/b", "--pid-file", "/p", "--console-socket=/s", "c1" },
        new[] { "create", "--b", "/b", "--pid-file", "/p", "--console-socket", "/s", "c1" },
        new[] { "create", "c1", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s" },
        new[] { "create", "--pid-file", "/p", "c1", "-b", "/b", "--console-socket", "/s" },
        new[] { "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "--", "c1" },
        // The last repeat wins, as in Go.
        new[] { "create", "--bundle", "/elsewhere", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "c1" },
        new[] { "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "--no-pivot=false", "c1" },
    };

    [Theory]
    [MemberData(nameof(CreateSpellings))]
    public void Create_flags_parse_the_same_in_every_spelling(string[] args)
    {
        var expected = new CreateCommand(new CreateOptions("c1", "/b") { PidFile = "/p", ConsoleSocket = "/s" });
        Assert.Equal(expected, Cli.Command(args));
    }

    [Fact]
    public void Create_defaults_to_the_current_directory_and_makes_paths_absolute()
    {
        var create = Assert.IsType<CreateCommand>(Cli.Command("create", "--pid-file", "rel/pid", "c1"));
        Assert.Equal(Directory.GetCurrentDirectory(), create.Options.BundlePath);
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "rel/pid"), create.Options.PidFile);
        Assert.Null(create.Options.ConsoleSocket);
        Assert.Equal(0, create.Options.PreserveFds);
        Assert.False(create.Options.NoPivot);
        Assert.False(create.Options.NoNewKeyring);
    }

    [Theory]
    [InlineData("--no-pivot", "--no-new-keyring", "--preserve-fds", "3")]
    [InlineData("-no-pivot", "-no-new-keyring", "-preserve-fds", "3")]
    [InlineData("--no-pivot=true", "--no-new-keyring=1", "--preserve-fds=3", null)]
    [InlineData("-no-pivot=T", "-no-new-keyring=TRUE", "-preserve-fds=3", null)]
    public void Create_switches_parse_in_every_spelling(string pivot, string keyring, string fds, string? fdsValue)
    {
        var args = new List<string> { "create", pivot, keyring, fds };
        if (fdsValue is not null) args.Add(fdsValue);
        args.Add("c1");
        var create = Assert.IsType<CreateCommand>(Cli.Command([.. args]));
        Assert.True(create.Options.NoPivot);
        Assert.True(create.Options.NoNewKeyring);
        Assert.Equal(3, create.Options.PreserveFds);
    }

    public static TheoryData<string[]> GlobalSpellings => new()
    {
        new[] { "--root", "/r", "--log", "/l.json", "--log-format", "json", "--debug", "--systemd-cgroup", "state", "c1" },
        new[] { "--root=/r", "--log=/l.json", "--log-format=json", "--debug=true", "--systemd-cgroup=1", "state", "c1" },
        new[] { "-root", "/r", "-log", "/l.json", "-log-format", "json", "-debug", "-systemd-cgroup", "state", "c1" },
        new[] { "-root=/r", "-log=/l.json", "-log-format=json", "-debug", "-systemd-cgroup=t", "state", "c1" },
        new[] { "--log-format", "text", "--log-format", "json", "--root", "/r", "--log", "/l.json", "--debug", "--systemd-cgroup", "state", "c1" },
    };

    [Theory]
    [MemberData(nameof(GlobalSpellings))]
    public void Global_flags_parse_the_same_in_every_spelling(string[] args)
    {
        Invocation invocation = Cli.Parse(args);
        Assert.Equal(new GlobalSettings("/r", "/l.json", LogFormat.Json, Debug: true, SystemdCgroup: true), invocation.Globals);
        Assert.Equal(new StateCommand("c1"), invocation.Command);
        Assert.Equal(new RuntimeOptions("/r", SystemdCgroup: true, Debug: true), invocation.Globals.ToRuntimeOptions());
    }

    [Fact]
    public void Global_defaults_are_runcs_with_skiffs_root()
    {
        Invocation invocation = Cli.Parse("state", "c1");
        Assert.Equal(new GlobalSettings("/run/skiff-runc"), invocation.Globals);
        Assert.Equal(LogFormat.Text, invocation.Globals.LogFormat);
    }

    [Fact]
    public void A_relative_root_is_made_absolute()
    {
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "state-dir"), Cli.Parse("--root", "state-dir", "list").Globals.Root);
    }

    [Theory]
    [InlineData("--rootless", "true")]
    [InlineData("--rootless=auto", null)]
    [InlineData("-criu", "/usr/sbin/criu")]
    [InlineData("--criu=criu", null)]
    public void Rootless_and_criu_are_accepted(string flag, string? value)
    {
        string[] args = value is null ? [flag, "list"] : [flag, value, "list"];
        Assert.Equal(new ListCommand(ListFormat.Table, Quiet: false), Cli.Command(args));
    }

    [Theory]
    [InlineData("-d")]
    [InlineData("--detach")]
    [InlineData("-detach")]
    [InlineData("--d")]
    [InlineData("--detach=true")]
    [InlineData("-d=1")]
    [InlineData("-detach=True")]
    public void Run_detach_in_every_spelling(string detach)
    {
        var expected = new RunCommand(new CreateOptions("c1", "/b"), Detach: true, Keep: false, NoSubreaper: false);
        Assert.Equal(expected, Cli.Command("run", detach, "-b", "/b", "c1"));
        Assert.Equal(expected, Cli.Command("run", "-b", "/b", "c1", detach));
    }

    [Fact]
    public void Run_takes_creates_flags_and_its_own()
    {
        var run = Assert.IsType<RunCommand>(Cli.Command(
            "run", "--keep", "--no-subreaper", "--pid-file", "/p", "--console-socket=/s", "--preserve-fds", "2", "-b", "/b", "c1"));
        Assert.Equal(new CreateOptions("c1", "/b") { PidFile = "/p", ConsoleSocket = "/s", PreserveFds = 2 }, run.Options);
        Assert.False(run.Detach);
        Assert.True(run.Keep);
        Assert.True(run.NoSubreaper);
    }

    [Theory]
    [InlineData("--detach=false")]
    [InlineData("-d=0")]
    [InlineData("-d=F")]
    public void A_switch_set_to_false_is_off(string detach)
    {
        Assert.False(Assert.IsType<RunCommand>(Cli.Command("run", detach, "c1")).Detach);
    }

    [Fact]
    public void A_switch_does_not_swallow_the_next_word()
    {
        // Go's boolean flags take no separate value: "true" here is the container id.
        var delete = Assert.IsType<DeleteCommand>(Cli.Command("delete", "--force", "true"));
        Assert.Equal(new DeleteCommand("true", Force: true), delete);
    }

    [Theory]
    [InlineData("delete", "--force", "c1")]
    [InlineData("delete", "-f", "c1")]
    [InlineData("delete", "-force", "c1")]
    [InlineData("delete", "--force=true", "c1")]
    [InlineData("delete", "c1", "--force")]
    [InlineData("delete", "c1", "-f")]
    public void Delete_force_in_every_spelling(params string[] args)
    {
        Assert.Equal(new DeleteCommand("c1", Force: true), Cli.Command(args));
    }

    [Fact]
    public void Delete_without_force()
    {
        Assert.Equal(new DeleteCommand("c1", Force: false), Cli.Command("delete", "c1"));
    }

    [Theory]
    [InlineData("start", "c1")]
    [InlineData("start", "--", "c1")]
    public void Start_takes_an_id(params string[] args)
    {
        Assert.Equal(new StartCommand("c1"), Cli.Command(args));
    }

    [Fact]
    public void An_id_that_looks_like_a_flag_can_follow_a_double_dash()
    {
        Assert.Equal(new StateCommand("-odd"), Cli.Command("state", "--", "-odd"));
    }

    [Theory]
    [InlineData(new[] { "list" }, false, false)]
    [InlineData(new[] { "list", "--format", "json" }, true, false)]
    [InlineData(new[] { "list", "--format=json" }, true, false)]
    [InlineData(new[] { "list", "-f", "json" }, true, false)]
    [InlineData(new[] { "list", "-f=json" }, true, false)]
    [InlineData(new[] { "list", "-format", "table" }, false, false)]
    [InlineData(new[] { "list", "-q" }, false, true)]
    [InlineData(new[] { "list", "--quiet" }, false, true)]
    [InlineData(new[] { "list", "-quiet=true", "-f", "json" }, true, true)]
    public void List_flags(string[] args, bool json, bool quiet)
    {
        Assert.Equal(new ListCommand(json ? ListFormat.Json : ListFormat.Table, quiet), Cli.Command(args));
    }

    [Theory]
    [InlineData(new[] { "spec" }, false)]
    [InlineData(new[] { "spec", "--rootless" }, true)]
    [InlineData(new[] { "spec", "-rootless" }, true)]
    [InlineData(new[] { "spec", "--rootless=true" }, true)]
    public void Spec_rootless_is_the_verbs_switch_not_the_global_flag(string[] args, bool rootless)
    {
        Assert.Equal(new SpecCommand(Directory.GetCurrentDirectory(), rootless), Cli.Command(args));
    }

    [Theory]
    [InlineData("--bundle", "/some/dir")]
    [InlineData("-b", "/some/dir")]
    [InlineData("--bundle=/some/dir", null)]
    [InlineData("-bundle=/some/dir", null)]
    public void Spec_bundle(string flag, string? value)
    {
        string[] args = value is null ? ["spec", flag] : ["spec", flag, value];
        Assert.Equal(new SpecCommand("/some/dir", false), Cli.Command(args));
    }

    [Fact]
    public void Features_takes_nothing()
    {
        Assert.Equal(new FeaturesCommand(), Cli.Command("features"));
    }

    [Fact]
    public void Exec_takes_everything_after_the_id_verbatim()
    {
        var command = Assert.IsType<ExecCommand>(Cli.Command("exec", "-t", "--env", "A=1", "-e", "B=2", "--user=7:8", "c1", "sh", "-c", "ls -l", "--tty"));
        ExecOptions o = command.Options;
        Assert.Equal("c1", o.Id);
        Assert.Equal(["sh", "-c", "ls -l", "--tty"], o.Args);
        Assert.True(o.Tty);
        Assert.Equal(["A=1", "B=2"], o.Env);
        Assert.Equal("7:8", o.User);
    }

    [Fact]
    public void Exec_flags_as_conmon_and_containerd_pass_them()
    {
        var command = Assert.IsType<ExecCommand>(Cli.Command("exec", "--process", "/p.json", "--detach", "--pid-file", "/run/p.pid",
            "--console-socket", "/run/c.sock", "--preserve-fds", "2", "--cap", "CAP_NET_ADMIN", "-c", "SYS_TIME",
            "--cgroup", "cpu:a", "--cgroup", "b", "c1"));
        ExecOptions o = command.Options;
        Assert.Equal("/p.json", o.ProcessPath);
        Assert.True(o.Detach);
        Assert.Equal("/run/p.pid", o.PidFile);
        Assert.Equal("/run/c.sock", o.ConsoleSocket);
        Assert.Equal(2, o.PreserveFds);
        Assert.Equal(["CAP_NET_ADMIN", "SYS_TIME"], o.Caps);
        Assert.Equal(["cpu:a", "b"], o.Cgroups);
        Assert.Empty(o.Args);
        Assert.Null(o.NoNewPrivileges);
    }

    [Theory]
    [InlineData("--no-new-privs", true)]
    [InlineData("--no-new-privs=true", true)]
    [InlineData("--no-new-privs=false", false)]
    public void Exec_no_new_privs_given_either_way_overrides_the_container(string flag, bool expected) =>
        Assert.Equal(expected, Assert.IsType<ExecCommand>(Cli.Command("exec", flag, "c1", "true")).Options.NoNewPrivileges);

    [Fact]
    public void Exec_separator_after_the_id_is_not_part_of_the_command()
    {
        var command = Assert.IsType<ExecCommand>(Cli.Command("exec", "c1", "--", "ls", "--", "x"));
        Assert.Equal(["ls", "--", "x"], command.Options.Args);
    }

    [Theory]
    [InlineData("checkpoint")]
    [InlineData("restore")]
    public void Verbs_still_to_come_exist_and_take_their_clients_flags(string verb)
    {
        // Flags these verbs will have (dockerd's `update --resources -`, containerd's
        // `ps --format json`) must not be refused as unknown before the verb can say it is pending.
        Assert.Equal(new PendingCommand(verb), Cli.Command(verb, "--format", "json", "--resources", "-", "c1"));
        Assert.Equal(new PendingCommand(verb), Cli.Command("--root", "/r", verb));
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("-v")]
    [InlineData("-version")]
    public void Version(string flag)
    {
        Assert.Equal(new VersionCommand(), Cli.Command(flag));
        Assert.Equal(new VersionCommand(), Cli.Command("--root", "/r", flag));
    }

    public static TheoryData<string[]> WholeProgramHelp => new()
    {
        Array.Empty<string>(),
        new[] { "--help" },
        new[] { "-h" },
        new[] { "-help" },
        new[] { "help" },
        new[] { "h" },
        new[] { "--root", "/r" },
    };

    [Theory]
    [MemberData(nameof(WholeProgramHelp))]
    public void Help_for_the_whole_program(string[] args)
    {
        var help = Assert.IsType<HelpCommand>(Cli.Command(args));
        Assert.Equal("skiff-runc", help.Result.CommandResult.Command.Name);
    }

    [Theory]
    [InlineData("kill", "--help")]
    [InlineData("kill", "-h")]
    [InlineData("help", "kill")]
    [InlineData("kill", "c1", "--help")]
    public void Help_for_one_verb(params string[] args)
    {
        var help = Assert.IsType<HelpCommand>(Cli.Command(args));
        Assert.Equal("kill", help.Result.CommandResult.Command.Name);
    }
}
