using System.Text.Json;
using Skiff.Images.Oci;

namespace Skiff.Images.Transfer;

/// <summary>
/// `docker import --change`: the Dockerfile instructions that only change the config (CMD,
/// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
/// </summary>
public static class ConfigChanges
{
    public static void Apply(ContainerConfig config, string change)
    {
        string text = change.Trim();
        int space = text.IndexOfAny([' ', '\t']);
        if (space < 0) throw new ImageException($"change \"{change}\": expected INSTRUCTION arguments");
        string instruction = text[..space].ToUpperInvariant();
        string arguments = text[(space + 1)..].Trim();
        switch (instruction)
        {
            case "CMD": config.Cmd = Command(arguments); break;
            case "ENTRYPOINT": config.Entrypoint = Command(arguments); break;
            case "ENV":
                config.Env ??= [];
                foreach ((string key, string value) in Pairs(arguments, change))
                {
                    config.Env.RemoveAll(e => e.StartsWith(key + "=", StringComparison.Ordinal));
                    config.Env.Add($"{key}={value}");
                }
                break;
            case "LABEL":
                config.Labels ??= [];
                foreach ((string key, string value) in Pairs(arguments, change)) config.Labels[key] = value;
                break;
            case "EXPOSE":
                config.ExposedPorts ??= [];
                foreach (string port in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    config.ExposedPorts[port.Contains('/') ? port : port + "/tcp"] = new EmptyObject();
                break;
            case "VOLUME":
                config.Volumes ??= [];
                foreach (string volume in arguments.StartsWith('[') ? JsonArray(arguments, change) : [.. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)])
                    config.Volumes[volume] = new EmptyObject();
                break;
            case "ONBUILD": (config.OnBuild ??= []).Add(arguments); break;
            case "STOPSIGNAL": config.StopSignal = arguments; break;
            case "USER": config.User = arguments; break;
            case "WORKDIR": config.WorkingDir = arguments; break;
            default: throw new ImageException($"change \"{change}\": {instruction} is not a valid change command");
        }
    }

    /// <summary>JSON form ["a","b"], or shell form run by /bin/sh -c.</summary>
    private static List<string> Command(string arguments) =>
        arguments.StartsWith('[') ? JsonArray(arguments, arguments) : ["/bin/sh", "-c", arguments];

    private static List<string> JsonArray(string text, string change)
    {
        try
        {
            return JsonSerializer.Deserialize(text, ImageJsonContext.Relaxed.ListString) ?? [];
        }
        catch (JsonException e)
        {
            throw new ImageException($"change \"{change}\": invalid JSON array: {e.Message}");
        }
    }

    /// <summary>KEY=VALUE pairs (values may be quoted), or the legacy "KEY VALUE" form.</summary>
    private static IEnumerable<(string Key, string Value)> Pairs(string arguments, string change)
    {
        if (!arguments.Contains('='))
        {
            int space = arguments.IndexOf(' ');
            if (space < 0) throw new ImageException($"change \"{change}\": expected KEY=VALUE");
            yield return (arguments[..space], arguments[(space + 1)..].Trim());
            yield break;
        }
        int i = 0;
        while (i < arguments.Length)
        {
            while (i < arguments.Length && arguments[i] == ' ') i++;
            if (i >= arguments.Length) break;
            int equals = arguments.IndexOf('=', i);
            if (equals < 0) throw new ImageException($"change \"{change}\": expected KEY=VALUE");
            string key = arguments[i..equals];
            i = equals + 1;
            System.Text.StringBuilder value = new();
            char? quote = i < arguments.Length && arguments[i] is '"' or '\'' ? arguments[i++] : null;
            while (i < arguments.Length && (quote is { } q ? arguments[i] != q : arguments[i] != ' '))
            {
                if (arguments[i] == '\\' && i + 1 < arguments.Length) i++;
                value.Append(arguments[i++]);
            }
            if (quote is not null) i++;
            yield return (key, value.ToString());
        }
    }
}
