using System.Runtime.InteropServices;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Monitor;

namespace Skiff.Commands.Containers;

/// <summary>
/// The client side of an attached container (run without -d, start -a): the container's output
/// from conmon's attach socket, our stdin to it with -i, raw mode and detach keys with -t, and
/// signals proxied to the container. Returns the container's exit code, or null after a detach.
/// </summary>
public sealed class AttachedRun(ContainerEngine engine)
{
    public bool ProxySignals { get; init; } = true;

    /// <summary>Whether our stdin goes to the container (it must have been created with -i); attach --no-stdin says no.</summary>
    public bool AttachStdin { get; init; } = true;

    /// <summary>attach --detach-keys overrides the container's own.</summary>
    public string? DetachKeys { get; init; }

    public int? Run(ContainerRecord record, AttachSession session)
    {
        ContainerRequest request = record.Request;
        // TerminalMode checks isatty itself: raw mode is a property of the terminal, whatever .NET's
        // Console concluded from the environment (without TERM it treats the terminal differently).
        using TerminalMode? terminal = request.Tty && AttachStdin && request.OpenStdin ? TerminalMode.Raw() : null;
        if (request.Tty && TerminalMode.Size() is { } size) Resize(record, size.Rows, size.Columns);
        bool detached = false;
        List<PosixSignalRegistration> signals = [];
        if (ProxySignals && !request.Tty)
            foreach (PosixSignal signal in (PosixSignal[])[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT])
                signals.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    engine.Runtime(record).Kill(record.Id, SignalName(context.Signal));
                }));
        if (request.Tty)
            signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
            {
                if (TerminalMode.Size() is { } now) Resize(record, now.Rows, now.Columns);
            }));
        try
        {
            Thread output = new(() => session.CopyOutput(Console.OpenStandardOutput(), Console.OpenStandardError())) { IsBackground = true, Name = "attach-out" };
            output.Start();
            if (request.OpenStdin && AttachStdin)
            {
                DetachKeys keys = Containers.DetachKeys.Parse(DetachKeys ?? request.DetachKeys);
                Thread input = new(() =>
                {
                    byte[] buffer = new byte[8192];
                    while (true)
                    {
                        int n = StandardInput.Read(buffer);
                        if (n <= 0)
                        {
                            session.CloseInput();
                            return;
                        }
                        ReadOnlySpan<byte> data = buffer.AsSpan(0, n);
                        if (request.Tty)
                        {
                            (byte[] forward, bool detach) = keys.Feed(data);
                            if (forward.Length > 0 && !session.Send(forward)) return;
                            if (detach)
                            {
                                detached = true;
                                session.Detach();
                                return;
                            }
                        }
                        else if (!session.Send(data)) return;
                    }
                }) { IsBackground = true, Name = "attach-in" };
                input.Start();
            }
            output.Join();
        }
        finally
        {
            foreach (PosixSignalRegistration registration in signals) registration.Dispose();
        }
        if (detached) return null;
        // The output ends with conmon, which may die before the container: the exit code is
        // the exit file's, or, with no monitor left to write one, known only once the process
        // is gone (the record then says 137 and why), never the last run's while this one runs.
        engine.WaitForExit(record, Timeout.InfiniteTimeSpan);
        return engine.ReadExitFile(record.Id) ?? engine.Resolve(record.Id).State.ExitCode;
    }

    /// <summary>read(2) on fd 0: .NET's Console stream would put the terminal back into its own mode.</summary>
    private static class StandardInput
    {
        public static unsafe int Read(byte[] buffer)
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Skiff.Linux.Interop.Libc.Read(0, p, buffer.Length);
                    if (n < 0 && Skiff.Linux.Errno.Last == Skiff.Linux.Errno.EINTR) continue;
                    return (int)n;
                }
            }
        }
    }

    /// <summary>conmon's control fifo: "1 ROWS COLS" resizes the container's pty.</summary>
    private void Resize(ContainerRecord record, int rows, int columns)
    {
        try
        {
            using FileStream fifo = new(engine.Layout.ControlFifo(record.Id), FileMode.Open, FileAccess.Write);
            byte[] line = System.Text.Encoding.ASCII.GetBytes($"1 {rows} {columns}\n");
            fifo.Write(line);
        }
        catch (IOException) { }
    }

    private static string SignalName(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => "INT",
        PosixSignal.SIGTERM => "TERM",
        PosixSignal.SIGHUP => "HUP",
        PosixSignal.SIGQUIT => "QUIT",
        _ => "TERM",
    };
}
