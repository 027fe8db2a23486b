namespace Skiff.Runc.CommandLine;

/// <summary>
/// A command line that cannot be carried out (bad flag, wrong argument count, a verb skiff-runc
/// does not have yet); its Message is the one line the user sees.
/// </summary>
internal sealed class CliException(string message) : Exception(message);
