using System.Diagnostics;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>-it through a real pty: script(1) gives skiff a terminal, as a user's shell would.</summary>
[Collection(EngineCollection.Name)]
public sealed class TerminalTests(EngineSuite suite)
{
    /// <summary>Runs skiff under script(1), feeding it <paramref name="keystrokes"/> with pauses so the container's shell reads them.</summary>
    private (int Exit, string Screen) UnderTerminal(IReadOnlyList<string> keystrokes, params string[] args)
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
        Task<string> screen = script.StandardOutput.ReadToEndAsync();
        foreach (string keys in keystrokes)
        {
            Thread.Sleep(700);
            script.StandardInput.Write(keys);
            script.StandardInput.Flush();
        }
        if (!script.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            script.Kill(entireProcessTree: true);
            throw new TimeoutException($"skiff under script(1) hung; the screen so far:\n{screen.Result}");
        }
        return (script.ExitCode, screen.Result);
    }

    [Fact]
    public void Run_it_gives_the_container_a_terminal_and_returns_its_exit_code()
    {
        (int exit, string screen) = UnderTerminal(["tty; stty size; echo t$((40+2))\n", "exit 5\n"], "run", "-it", "--rm", "busybox", "sh");
        Assert.Equal(5, exit);
        Assert.Contains("/dev/pts/0", screen);
        Assert.Contains("t42", screen);
        Assert.Equal("", suite.Ok("ps", "-aq"));
    }

    [Fact]
    public void Detach_keys_leave_the_container_running_and_attach_reaches_it_again()
    {
        // cat, not an interactive shell: ash's line editor asks the terminal for the cursor position,
        // which script(1) never answers.
        string id = suite.Ok("run", "-dit", "busybox", "sh", "-c", "cat; exit 7").Trim();
        try
        {
            (int exit, string screen) = UnderTerminal(["first-line\n", "\u0010\u0011"], "attach", id);
            Assert.Equal(0, exit);
            Assert.Contains("first-line", screen);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));

            (exit, screen) = UnderTerminal(["second-line\n", "\u0001\u0002"], "attach", "--detach-keys", "ctrl-a,ctrl-b", id);
            Assert.Equal(0, exit);
            Assert.Contains("second-line", screen);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));

            // ^D reaches the container's terminal, whose line discipline ends cat's input.
            (exit, _) = UnderTerminal(["\u0004"], "attach", id);
            Assert.Equal(7, exit);
            Assert.Equal("exited 7\n", suite.Ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }
}
