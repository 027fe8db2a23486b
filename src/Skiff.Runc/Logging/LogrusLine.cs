using System.Text;
using Skiff.Runc.CommandLine;
using Skiff.Oci.Runtime;
using Skiff.Runc.Go;

namespace Skiff.Runc.Logging;

/// <summary>
/// One log line as runc's logger (logrus) formats it, because containerd, dockerd and Podman
/// read the runtime's errors by parsing these lines out of the --log file.
/// text: <c>time="2026-01-02T15:04:05Z" level=error msg="container does not exist"</c>
/// json: <c>{"level":"error","msg":"container does not exist","time":"2026-01-02T15:04:05Z"}</c>
/// (logrus marshals a Go map, so the JSON keys are in sorted order).
/// </summary>
internal static class LogrusLine
{
    public static string Format(LogFormat format, LogLevel level, string message, DateTimeOffset time) =>
        format == LogFormat.Json ? Json(level, message, time) : Text(level, message, time);

    public static string Text(LogLevel level, string message, DateTimeOffset time)
    {
        var line = new StringBuilder(64 + message.Length);
        line.Append("time=");
        AppendTextValue(line, GoText.Rfc3339(time));
        line.Append(" level=").Append(Name(level)).Append(" msg=");
        AppendTextValue(line, message);
        return line.Append('\n').ToString();
    }

    public static string Json(LogLevel level, string message, DateTimeOffset time)
    {
        var line = new StringBuilder(64 + message.Length);
        line.Append("{\"level\":\"").Append(Name(level)).Append("\",\"msg\":");
        JsonText.AppendString(line, message);
        line.Append(",\"time\":");
        JsonText.AppendString(line, GoText.Rfc3339(time));
        return line.Append("}\n").ToString();
    }

    public static string Name(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warning => "warning",
        _ => "error",
    };

    /// <summary>logrus quotes a value (Go %q) unless it is made only of these characters.</summary>
    private static void AppendTextValue(StringBuilder line, string value)
    {
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '/' or '@' or '^' or '+'))
            {
                GoText.AppendQuoted(line, value);
                return;
            }
        }
        line.Append(value);
    }
}
