namespace Skiff.Engine;

/// <summary>
/// A failure whose Message is the one line a user sees (the thing, then the reason, in Docker's
/// words where Docker has them). <see cref="ExitCode"/> is what the CLI returns: 125 for the
/// engine's own errors, 126 and 127 when the container's command cannot be invoked or found.
/// </summary>
public class EngineException(string message, int exitCode = EngineException.EngineError, Exception? inner = null) : Exception(message, inner)
{
    public const int EngineError = 125;
    public const int CannotInvoke = 126;
    public const int NotFound = 127;

    public int ExitCode { get; } = exitCode;
}

/// <summary>No container by that name or id: Docker's "No such container".</summary>
public sealed class NoSuchContainerException(string reference) : EngineException($"No such container: {reference}", 1);
