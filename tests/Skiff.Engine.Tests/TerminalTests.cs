using System.Diagnostics;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>-it through a real pty: script(1) gives skiff a terminal, as a user's shell would.</summary>
[Collection(EngineCollection.Name)]
public sealed class TerminalTests(EngineSuite suite)
{
    /// <summary>
    /// Runs skiff under script(1) and types each of <paramref name="keystrokes"/> once the screen
    /// shows its cue (null: at once): a detach sequence typed before skiff has put the terminal in
    /// raw mode would be eaten by the line discipline (^Q is flow control), so it waits for proof.
    /// </summary>
    private (int Exit, string Screen) UnderTerminal(IReadOnlyList<(string? Cue, string Keys)> keystrokes, params string[] args)
    {
        string command = string.Join(' ', new[] { EngineSuite.Binary, "--root", suite.Root, "--engine-config", suite.ConfigPath }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        ProcessStartInfo start = new("script", ["-qfec", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            StandardInputEncoding = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        using Process script = Process.Start(start)!;
        System.Text.StringBuilder screen = new();
        Thread reader = new(() =>
        {
            char[] buffer = new char[4096];
            int n;
            while ((n = script.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
                lock (screen) screen.Append(buffer, 0, n);
        }) { IsBackground = true };
        reader.Start();
        string Screen()
        {
            lock (screen) return screen.ToString();
        }
        foreach ((string? cue, string keys) in keystrokes)
        {
            Stopwatch waited = Stopwatch.StartNew();
            while (cue is not null && !Screen().Contains(cue) && waited.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
            Assert.True(cue is null || Screen().Contains(cue), $"the screen never showed \"{cue}\":\n{Screen()}");
            script.StandardInput.Write(keys);
            script.StandardInput.Flush();
        }
        if (!script.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            script.Kill(entireProcessTree: true);
            throw new TimeoutException($"skiff under script(1) hung; the screen so far:\n{Screen()}");
        }
        reader.Join();
        return (script.ExitCode, Screen());
    }

    [Fact]
    public void Run_it_gives_the_container_a_terminal_and_returns_its_exit_code()
    {
        (int exit, string screen) = UnderTerminal([("# ", "tty; stty size; echo t$((40+2))\n"), ("t42", "exit 5\n")], "run", "-it", "--rm", "busybox", "sh");
        Assert.Equal(5, exit);
        Assert.Contains("/dev/pts/0", screen);
        Assert.Contains("t42", screen);
        Assert.Equal("", suite.Ok("ps", "-aq"));
    }

    [Fact]
    public void Detach_keys_leave_the_container_running_and_attach_reaches_it_again()
    {
        // A read loop, not an interactive shell: ash's line editor asks the terminal for the cursor position,
        // which script(1) never answers.
        string id = suite.Ok("run", "-dit", "busybox", "sh", "-c", "while read line; do echo got-$line; done; exit 7").Trim();
        try
        {
            (int exit, string screen) = UnderTerminal([(null, "first-line\n"), ("got-first-line", "\u0010\u0011")], "attach", id);
            Assert.Equal(0, exit);
            Assert.Contains("got-first-line", screen);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));

            (exit, screen) = UnderTerminal([(null, "second-line\n"), ("got-second-line", "\u0001\u0002")], "attach", "--detach-keys", "ctrl-a,ctrl-b", id);
            Assert.Equal(0, exit);
            Assert.Contains("got-second-line", screen);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));

            // ^D reaches the container's terminal, whose line discipline ends the loop's input.
            (exit, _) = UnderTerminal([(null, "third-line\n"), ("got-third-line", "\u0004")], "attach", id);
            Assert.Equal(7, exit);
            Assert.Equal("exited 7\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }
}
