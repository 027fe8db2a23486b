using System.CommandLine;
using System.Globalization;
using Skiff.Runc.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

internal sealed class ExecVerb : Verb
{
    private readonly Option<string> _consoleSocket = new("--console-socket")
    {
        Description = "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
    };

    private readonly Option<string> _cwd = new("--cwd") { Description = "current working directory in the container" };
    private readonly Option<string[]> _env = new("--env", "-e") { Description = "set environment variables" };
    private readonly Option<bool> _tty = new("--tty", "-t") { Description = "allocate a pseudo-TTY" };
    private readonly Option<string> _user = new("--user", "-u") { Description = "UID (format: <uid>[:<gid>])" };
    private readonly Option<string[]> _additionalGids = new("--additional-gids", "-g") { Description = "additional gids" };
    private readonly Option<string> _process = new("--process", "-p") { Description = "path to the process.json" };
    private readonly Option<bool> _detach = new("--detach", "-d") { Description = "detach from the container's process" };
    private readonly Option<string> _pidFile = new("--pid-file") { Description = "specify the file to write the process id to" };
    private readonly Option<string> _processLabel = new("--process-label") { Description = "set the asm process label for the process commonly used with selinux" };
    private readonly Option<string> _apparmor = new("--apparmor") { Description = "set the apparmor profile for the process" };
    private readonly Option<bool> _noNewPrivs = new("--no-new-privs") { Description = "set the no new privileges value for the process" };
    private readonly Option<string[]> _cap = new("--cap", "-c") { Description = "add a capability to the bounding set for the process" };
    private readonly Option<string> _preserveFds = new("--preserve-fds")
    {
        Description = "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)",
    };
    private readonly Option<string[]> _cgroup = new("--cgroup")
    {
        Description = "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
    };
    private readonly Option<bool> _ignorePaused = new("--ignore-paused") { Description = "allow exec in a paused container" };

    public ExecVerb() : base("exec", "execute new process inside the container", 1,
        [ContainerId, ("command", "the command to run, with its arguments (unless --process is given)")], moreArguments: true)
    {
        foreach (Option option in new Option[]
        {
            _consoleSocket, _cwd, _env, _tty, _user, _additionalGids, _process, _detach, _pidFile, _processLabel,
            _apparmor, _noNewPrivs, _cap, _preserveFds, _cgroup, _ignorePaused,
        })
            Command.Options.Add(option);
    }

    /// <summary>Everything after the container id is the command, flags of its own included.</summary>
    public override int FlagPositionals => 1;

    protected override RuncCommand Bind(ParseResult result, string[] arguments)
    {
        var options = new ExecOptions(arguments[0])
        {
            ProcessPath = ContainerFlags.FullPathOrNull(result.GetValue(_process)),
            Args = arguments[1..],
            Tty = result.GetValue(_tty),
            ConsoleSocket = ContainerFlags.FullPathOrNull(result.GetValue(_consoleSocket)),
            Detach = result.GetValue(_detach),
            PidFile = ContainerFlags.FullPathOrNull(result.GetValue(_pidFile)),
            Cwd = result.GetValue(_cwd),
            Env = Words(result.GetResult(_env)),
            User = result.GetValue(_user),
            AdditionalGids = Array.ConvertAll(Words(result.GetResult(_additionalGids)), ParseGid),
            Caps = Words(result.GetResult(_cap)),
            // As runc: only a flag given on the command line overrides the container's value, either way.
            NoNewPrivileges = result.GetResult(_noNewPrivs) is { Implicit: false } ? result.GetValue(_noNewPrivs) : null,
            Apparmor = result.GetValue(_apparmor),
            ProcessLabel = result.GetValue(_processLabel),
            PreserveFds = ContainerFlags.ParseCount(result.GetValue(_preserveFds)),
            IgnorePaused = result.GetValue(_ignorePaused),
            Cgroups = Words(result.GetResult(_cgroup)),
        };
        return new ExecCommand(options);
    }

    private static uint ParseGid(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)
            ? gid
            : throw new CliException($"invalid value \"{text}\" for flag -additional-gids: expected a numeric gid");
}

/// <summary>`exec`: a new process in a running container; its exit code is ours unless detached.</summary>
internal sealed record ExecCommand(ExecOptions Options) : RuncCommand
{
    public override int Execute(RuncSession session) => session.Runtime.Exec(Options);
}
