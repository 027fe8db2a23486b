using System.CommandLine;
using Skiff.Engine.Logs;

namespace Skiff.Commands.Containers;

/// <summary>
/// skiff container log-writer (hidden): started by the engine with a container whose log conmon
/// cannot write itself; reads conmon's lines from the FIFO at fd 3, holding the lock at fd 4.
/// </summary>
public static class LogWriterCommand
{
    private const int FifoFd = 3;

    public static Command Create()
    {
        Option<string> driver = new("--log-driver") { Required = true };
        Option<long> maxSize = new("--max-size") { DefaultValueFactory = _ => -1 };
        Option<int> maxFile = new("--max-file") { DefaultValueFactory = _ => 1 };
        Argument<string> fifo = new("FIFO");
        Argument<string> file = new("FILE");
        Command command = new("log-writer", "Write a container's log in its driver's format (started with the container)") { driver, maxSize, maxFile, fifo, file };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            LogWriter.Run(FifoFd, parse.GetValue(fifo)!, parse.GetValue(file)!, new LogPolicy(parse.GetValue(driver)!, parse.GetValue(maxSize), parse.GetValue(maxFile)));
            return 0;
        });
        return command;
    }
}
