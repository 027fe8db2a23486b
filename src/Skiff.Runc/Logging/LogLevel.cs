namespace Skiff.Runc.Logging;

/// <summary>The logrus levels runc writes; the names are the ones in its log lines.</summary>
internal enum LogLevel { Debug, Info, Warning, Error }
