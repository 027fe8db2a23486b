namespace Skiff.Seccomp;

/// <summary>A <c>linux.seccomp</c> section that cannot become a filter; the message names the field and the reason on one line.</summary>
public sealed class SeccompException(string message) : Exception(message);
