using Skiff.Engine;
using Skiff.Engine.Containers;

namespace Skiff.Commands.Containers;

/// <summary>-v, --mount and --tmpfs in Docker's syntax.</summary>
public static class MountParser
{
    private static readonly string[] Propagations = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];

    /// <summary>-v SRC:DST[:OPTS]: a host path (absolute) binds; a name is a named volume.</summary>
    public static MountRequest Volume(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 3)
            throw new EngineException($"invalid volume specification: '{text}'" + (parts.Length == 1 ? ": anonymous and named volumes are not available yet" : ""));
        if (!parts[0].StartsWith('/'))
            throw new EngineException($"invalid volume specification: '{text}': named volumes are not available yet; give an absolute host path");
        MountRequest mount = new() { Type = "bind", Source = Path.GetFullPath(parts[0]), Target = Target(parts[1], text) };
        if (parts.Length == 3)
            foreach (string option in parts[2].Split(','))
            {
                if (option == "ro") mount.ReadOnly = true;
                else if (option is "rw" or "z" or "Z") { }
                else if (Propagations.Contains(option)) mount.Options.Add(option);
                else throw new EngineException($"invalid mode: {option}");
            }
        return mount;
    }

    /// <summary>--mount type=bind|tmpfs,source=,target=,readonly,bind-propagation=,tmpfs-size=,tmpfs-mode=</summary>
    public static MountRequest Mount(string text)
    {
        MountRequest mount = new() { Type = "volume" };
        foreach (string field in text.Split(','))
        {
            int equals = field.IndexOf('=');
            string key = (equals < 0 ? field : field[..equals]).Trim().ToLowerInvariant();
            string value = equals < 0 ? "" : field[(equals + 1)..];
            switch (key)
            {
                case "type": mount.Type = value; break;
                case "source" or "src": mount.Source = value; break;
                case "target" or "destination" or "dst": mount.Target = value; break;
                case "readonly" or "ro": mount.ReadOnly = value is "" or "true" or "1"; break;
                case "bind-propagation" when Propagations.Contains(value): mount.Options.Add(value); break;
                case "tmpfs-size": mount.Options.Add($"size={ByteSize.Parse(value, "--mount tmpfs-size")}"); break;
                case "tmpfs-mode": mount.Options.Add($"mode={value}"); break;
                case "volume-nocopy" or "consistency": break;
                default: throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: unexpected key '{key}' in '{field}'");
            }
        }
        if (mount.Target.Length == 0) throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: target is required");
        mount.Target = Target(mount.Target, text);
        switch (mount.Type)
        {
            case "bind":
                if (string.IsNullOrEmpty(mount.Source)) throw new EngineException("invalid mount config for type \"bind\": field Source must not be empty");
                mount.Source = Path.GetFullPath(mount.Source);
                break;
            case "tmpfs":
                if (!string.IsNullOrEmpty(mount.Source)) throw new EngineException("invalid mount config for type \"tmpfs\": field Source must not be specified");
                break;
            case "volume":
                throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: volumes are not available yet");
            default:
                throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: mount type '{mount.Type}' is not supported");
        }
        return mount;
    }

    /// <summary>--tmpfs DST[:OPTS] (size=, mode=, and mount options).</summary>
    public static MountRequest Tmpfs(string text)
    {
        int colon = text.IndexOf(':');
        MountRequest mount = new() { Type = "tmpfs", Target = Target(colon < 0 ? text : text[..colon], text) };
        if (colon >= 0) mount.Options.AddRange(text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries));
        return mount;
    }

    private static string Target(string target, string text) =>
        target.StartsWith('/') ? target : throw new EngineException($"invalid mount config: invalid mount path: '{target}' mount path must be absolute (in '{text}')");
}
