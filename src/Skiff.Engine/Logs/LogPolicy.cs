using System.Globalization;
using Skiff.Engine.Containers;

namespace Skiff.Engine.Logs;

/// <summary>
/// A container's --log-driver and --log-opt, checked as Docker checks them: the file's format
/// (k8s-file, json-file) or none, max-size (a file is rotated once it has reached it; unset or -1:
/// never) and max-file (how many files are kept, the live one included).
/// </summary>
public sealed record LogPolicy(string Driver, long MaxSize, int MaxFile)
{
    public static LogPolicy Of(ContainerRequest request) => Of(request.LogDriver, request.LogOptions);

    public static LogPolicy Of(string driver, IReadOnlyDictionary<string, string> options)
    {
        if (driver is not ("k8s-file" or "json-file" or "none"))
            throw new EngineException($"--log-driver {driver}: not supported (k8s-file, json-file, none)");
        foreach (string key in options.Keys)
            if (driver == "none" || key is not ("max-size" or "max-file"))
                throw new EngineException($"unknown log opt '{key}' for {driver} log driver");
        long maxSize = options.TryGetValue("max-size", out string? size) && size != "-1" ? ByteSize.Parse(size, "--log-opt max-size") : -1;
        int maxFile = 1;
        if (options.TryGetValue("max-file", out string? files))
        {
            if (!int.TryParse(files, NumberStyles.None, CultureInfo.InvariantCulture, out maxFile))
                throw new EngineException($"invalid value for log-opt max-file: \"{files}\": not a number");
            if (maxFile < 1) throw new EngineException("max-file cannot be less than 1");
        }
        return new LogPolicy(driver, maxSize, maxFile);
    }

    /// <summary>
    /// Whether a skiff log writer sits between conmon and the file: conmon (2.1.6) writes only
    /// k8s-file and keeps a single file, truncating it at --log-size-max.
    /// </summary>
    public bool NeedsWriter => Driver == "json-file" || (MaxFile > 1 && MaxSize > 0);
}
