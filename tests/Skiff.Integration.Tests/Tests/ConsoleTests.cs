using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>process.terminal with --console-socket: the pty master handed over as conmon and containerd receive it.</summary>
[Collection(ContainerCollection.Name)]
public sealed class ConsoleTests(Suite suite)
{
    [Fact]
    public void Pty_master_is_sent_over_the_console_socket_and_drives_the_process()
    {
        using var c = new TestContainer(suite);
        using var socket = new ConsoleSocket(Path.Combine(c.Dir, "console.sock"));
        c.Process.Terminal = true;
        c.Process.ConsoleSize = new ConsoleSize { Height = 40, Width = 100 };
        c.Shell("tty; stty size; for f in 0 1 2; do readlink /proc/self/fd/$f; done; echo 'say>'; read line; echo \"got:$line\"");

        c.Create(null, "--console-socket", socket.Path).AssertSuccess();
        using var master = socket.ReceiveMaster(TimeSpan.FromSeconds(30));
        c.Start().AssertSuccess();
        var beforeInput = master.ReadUntil("say>", TimeSpan.FromSeconds(30));
        master.Write("hello\n");
        var output = (beforeInput + master.ReadUntilClosed(TimeSpan.FromSeconds(30))).Replace("\r\n", "\n");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/dev/pts/0", lines[0]);
        Assert.Equal("40 100", lines[1]);
        Assert.Equal(["/dev/pts/0", "/dev/pts/0", "/dev/pts/0"], lines[2..5]);
        Assert.Contains("got:hello", lines);
        c.WaitForStatus(ContainerStatus.Stopped);
    }

    [Fact]
    public void Terminal_process_has_a_controlling_terminal_and_job_control_signals()
    {
        using var c = new TestContainer(suite);
        using var socket = new ConsoleSocket(Path.Combine(c.Dir, "console.sock"));
        c.Process.Terminal = true;
        // ^C on the terminal reaches the foreground process group only if the pty is the controlling tty.
        c.Shell("trap 'echo interrupted; exit 7' INT; echo ready; while :; do sleep 0.02; done");

        c.Create(null, "--console-socket", socket.Path).AssertSuccess();
        using var master = socket.ReceiveMaster(TimeSpan.FromSeconds(30));
        c.Start().AssertSuccess();
        master.ReadUntil("ready", TimeSpan.FromSeconds(30));
        master.Write("\u0003");
        var output = master.ReadUntilClosed(TimeSpan.FromSeconds(30));

        Assert.Contains("interrupted", output);
        c.WaitForStatus(ContainerStatus.Stopped);
    }

    [Fact]
    public void Run_without_console_socket_gives_the_process_a_pty_wired_to_the_callers_terminal()
    {
        using var c = new TestContainer(suite);
        c.Process.Terminal = true;
        c.Shell("tty; echo term=$TERM");
        c.WriteConfig();
        var output = Path.Combine(c.Dir, "typescript");

        // script(1) gives the runtime a terminal of its own, as a user's shell would.
        var command = $"{RuntimeUnderTest.BinaryPath} --root {c.Cli.StateRoot} run --bundle {c.BundleDir} {c.Id}";
        HostCommand.Run("/usr/bin/script", "-qec", command, output);

        // script(1) meets the end of its input at no fixed moment, and the echo of what it sends then
        // ("^@") can land on any line.
        var lines = File.ReadAllText(output).Replace("\r", "").Replace("^@", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // A pty of the container's own devpts: ttyname resolves inside the container.
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^/dev/pts/\d+$"));
        Assert.Contains("term=xterm", lines);
    }
}
