using Skiff.Linux;
using Skiff.Runc.CommandLine;
using Skiff.Runc.Logging;
using Skiff.Runtime;

namespace Skiff.Runc;

/// <summary>
/// One run of skiff-runc: parse, open the log, carry the command out. Every failure ends here as
/// one logged line and exit status 1, which is what runc's clients expect and parse.
/// </summary>
internal static class RuncApp
{
    /// <param name="sealBinary">True for the skiff-runc executable itself (see RuntimeOptions.SealBinary).</param>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, bool sealBinary = false)
    {
        Invocation invocation = new RuncCommandLine().Parse(args);
        RuncLog log;
        try
        {
            log = RuncLog.Open(invocation.Globals, stderr);
        }
        catch (CliException e)
        {
            RuncLog.ToStderr(stderr).Fatal(e.Message);
            return 1;
        }

        using (log)
        {
            var session = new RuncSession(invocation.Globals, log, stdout) { SealBinary = sealBinary };
            try
            {
                NoteIgnoredFlags(session);
                return invocation.Command.Execute(session);
            }
            catch (Exception e) when (e is CliException or RuntimeException or SystemCallException
                                          or IOException or UnauthorizedAccessException)
            {
                log.Fatal(ErrorText.Describe(e));
                return 1;
            }
            catch (Exception e)
            {
                // Still one line and status 1: a client must never see a stack trace in place of an error.
                log.Fatal($"internal error: {e.GetType().Name}: {e.Message}");
                return 1;
            }
        }
    }

    private static void NoteIgnoredFlags(RuncSession session)
    {
        if (!session.Log.IsDebugEnabled) return;
        if (session.Globals.Rootless is { } rootless)
            session.Log.Debug($"--rootless={rootless} is accepted for compatibility and ignored");
        if (session.Globals.Criu is { } criu)
            session.Log.Debug($"--criu={criu} is accepted for compatibility and ignored: checkpoint/restore is not implemented");
    }
}
