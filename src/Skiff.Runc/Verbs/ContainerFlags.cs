using System.CommandLine;
using System.Globalization;
using Skiff.Runc.CommandLine;
using Skiff.Runtime;

namespace Skiff.Runc.Verbs;

/// <summary>The flags `create` and `run` share, read into <see cref="CreateOptions"/>.</summary>
internal sealed class ContainerFlags
{
    private readonly Option<string> _bundle = new("--bundle", "-b")
    {
        Description = "path to the root of the bundle directory, defaults to the current directory",
    };

    private readonly Option<string> _consoleSocket = new("--console-socket")
    {
        Description = "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
    };

    private readonly Option<string> _pidFile = new("--pid-file")
    {
        Description = "specify the file to write the process id to",
    };

    private readonly Option<bool> _noPivot = new("--no-pivot")
    {
        Description = "do not use pivot root to jail process inside rootfs (for a rootfs on a ramdisk)",
    };

    private readonly Option<bool> _noNewKeyring = new("--no-new-keyring")
    {
        Description = "do not create a new session keyring for the container",
    };

    private readonly Option<string> _preserveFds = new("--preserve-fds")
    {
        Description = "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)",
    };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { _bundle, _consoleSocket, _pidFile, _noPivot, _noNewKeyring, _preserveFds })
            command.Options.Add(option);
    }

    /// <summary>
    /// Paths are made absolute here, against the directory the caller ran us in, as runc does
    /// before it changes into the bundle.
    /// </summary>
    public CreateOptions Bind(ParseResult result, string id) =>
        new(id, Path.GetFullPath(result.GetValue(_bundle) ?? "."))
        {
            PidFile = FullPathOrNull(result.GetValue(_pidFile)),
            ConsoleSocket = FullPathOrNull(result.GetValue(_consoleSocket)),
            NoPivot = result.GetValue(_noPivot),
            NoNewKeyring = result.GetValue(_noNewKeyring),
            PreserveFds = ParseCount(result.GetValue(_preserveFds)),
        };

    internal static string? FullPathOrNull(string? path) => path is null ? null : Path.GetFullPath(path);

    internal static int ParseCount(string? text)
    {
        if (text is null) return 0;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            ? count
            : throw new CliException($"invalid value \"{text}\" for flag -preserve-fds: expected a number of file descriptors");
    }
}
