using System.Text;
using Skiff.Engine;
using Skiff.Engine.Containers;
using Skiff.Engine.Volumes;

namespace Skiff.Commands.Containers;

/// <summary>
/// -v, --mount and --tmpfs in Docker's syntax. A volume is a <see cref="MountRequest"/> of type
/// "volume" whose Source is its name (empty: an anonymous volume); its volume options travel in
/// Options as "nocopy", "volume-opt=K=V", "volume-label=K=V" and "volume-driver=D", which the
/// engine's <see cref="VolumeStore.Plan"/> reads.
/// </summary>
public static class MountParser
{
    private static readonly string[] Propagations = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];
    private static readonly string[] Consistency = ["consistent", "cached", "delegated"];

    /// <summary>
    /// -v [SRC:]DST[:OPTS]: an absolute (or ./, ../) host path binds; a name is a named volume,
    /// made on first use; DST alone is an anonymous volume.
    /// </summary>
    public static MountRequest Volume(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0))
            throw new EngineException($"invalid volume specification: '{text}'");
        if (parts.Length == 1)
            return new MountRequest { Type = "volume", Target = Target(parts[0], text) };

        string source = parts[0];
        bool bind = source.StartsWith('/') || source is "." or ".." || source.StartsWith("./", StringComparison.Ordinal) || source.StartsWith("../", StringComparison.Ordinal);
        MountRequest mount = bind
            ? new() { Type = "bind", Source = Path.GetFullPath(source), Target = Target(parts[1], text) }
            : new() { Type = "volume", Source = source, Target = Target(parts[1], text) };
        if (!bind) VolumeStore.ValidateName(source);
        if (parts.Length == 3)
            foreach (string option in parts[2].Split(','))
            {
                if (option == "ro") mount.ReadOnly = true;
                else if (option is "rw" or "z" or "Z" || Consistency.Contains(option)) { }
                else if (Propagations.Contains(option)) mount.Options.Add(option);
                else if (option == "nocopy" && !bind) mount.Options.Add("nocopy");
                else throw new EngineException($"invalid mode: {option}");
            }
        if (!bind && mount.Target == "/")
            throw new EngineException($"invalid volume specification: '{text}': invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
        return mount;
    }

    /// <summary>
    /// --mount type=bind|volume|tmpfs,source=,target=,readonly,bind-propagation=,volume-nocopy,
    /// volume-opt=K=V,volume-label=K=V,volume-driver=,tmpfs-size=,tmpfs-mode= (fields are CSV:
    /// quote one that holds a comma, as Docker's).
    /// </summary>
    public static MountRequest Mount(string text)
    {
        MountRequest mount = new() { Type = "volume", MountSyntax = true };
        List<string> volumeOptions = [], bindOptions = [], tmpfsOptions = [];
        foreach (string field in CsvFields(text))
        {
            int equals = field.IndexOf('=');
            string key = (equals < 0 ? field : field[..equals]).Trim().ToLowerInvariant();
            string value = equals < 0 ? "" : field[(equals + 1)..];
            switch (key)
            {
                case "type": mount.Type = value; break;
                case "source" or "src": mount.Source = value; break;
                case "target" or "destination" or "dst": mount.Target = value; break;
                case "readonly" or "ro": mount.ReadOnly = Bool(value, key, text); break;
                case "bind-propagation" when Propagations.Contains(value): bindOptions.Add(value); break;
                case "bind-propagation": throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: invalid propagation '{value}'");
                case "tmpfs-size": tmpfsOptions.Add($"size={ByteSize.Parse(value, "--mount tmpfs-size")}"); break;
                case "tmpfs-mode": tmpfsOptions.Add($"mode={value}"); break;
                case "volume-nocopy": if (Bool(value, key, text)) volumeOptions.Add("nocopy"); break;
                case "volume-opt" or "volume-label":
                    if (value.IndexOf('=') <= 0) throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: invalid {key} '{value}': expected KEY=VALUE");
                    volumeOptions.Add($"{key}={value}");
                    break;
                case "volume-driver": volumeOptions.Add($"volume-driver={value}"); break;
                case "consistency": break;
                default: throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: unexpected key '{key}' in '{field}'");
            }
        }
        if (mount.Target.Length == 0) throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: target is required");
        mount.Target = Target(mount.Target, text);
        if (mount.Type != "bind" && bindOptions.Count > 0) throw new EngineException($"invalid mount config for type \"{mount.Type}\": field BindOptions must not be specified");
        if (mount.Type != "volume" && volumeOptions.Count > 0) throw new EngineException($"invalid mount config for type \"{mount.Type}\": field VolumeOptions must not be specified");
        if (mount.Type != "tmpfs" && tmpfsOptions.Count > 0) throw new EngineException($"invalid mount config for type \"{mount.Type}\": field TmpfsOptions must not be specified");
        switch (mount.Type)
        {
            case "bind":
                if (string.IsNullOrEmpty(mount.Source)) throw new EngineException("invalid mount config for type \"bind\": field Source must not be empty");
                mount.Source = Path.GetFullPath(mount.Source);
                mount.Options.AddRange(bindOptions);
                break;
            case "tmpfs":
                if (!string.IsNullOrEmpty(mount.Source)) throw new EngineException("invalid mount config for type \"tmpfs\": field Source must not be specified");
                mount.Options.AddRange(tmpfsOptions);
                break;
            case "volume":
                if (mount.Target == "/") throw new EngineException("invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
                if (string.IsNullOrEmpty(mount.Source)) mount.Source = null;
                else VolumeStore.ValidateName(mount.Source);
                mount.Options.AddRange(volumeOptions);
                break;
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

    /// <summary>A flag field: bare, or true/false/1/0 as Go's strconv.ParseBool takes them.</summary>
    private static bool Bool(string value, string key, string text) => value.ToLowerInvariant() switch
    {
        "" or "true" or "1" or "t" => true,
        "false" or "0" or "f" => false,
        _ => throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: invalid value for {key}: {value}"),
    };

    /// <summary>One CSV record (Go's encoding/csv, which Docker's --mount reads): commas split, double quotes protect.</summary>
    private static List<string> CsvFields(string text)
    {
        List<string> fields = [];
        StringBuilder field = new();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else field.Append(c);
        }
        if (quoted) throw new EngineException($"invalid argument \"{text}\" for \"--mount\" flag: unterminated quote");
        fields.Add(field.ToString());
        return fields;
    }
}
