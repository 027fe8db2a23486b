using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Skiff.Cli;
using Skiff.Engine;

namespace Skiff.Commands;

/// <summary>
/// The shapes the network and volume verbs share: a daemon-style error, one verb over several
/// names, ls's three outputs, prune's question and report, and Docker's filter syntax.
/// </summary>
internal static class ObjectVerbs
{
    /// <summary>What the engine refuses is worded as docker words a daemon's answer, and exits 1; so is a --format skiff cannot render.</summary>
    public static int Daemon(CliContext cli, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (EngineException e)
        {
            cli.Error.WriteLine($"Error response from daemon: {e.Message}");
            return 1;
        }
        catch (FormatException e)
        {
            cli.Error.WriteLine($"Error: --format: {e.Message}");
            return 1;
        }
    }

    /// <summary>rm and inspect: each name in turn; one that fails is reported and the others still go. 1 when any failed.</summary>
    public static int EachName(CliContext cli, IEnumerable<string> names, Action<string> action)
    {
        int exit = 0;
        foreach (string name in names)
        {
            try
            {
                action(name);
            }
            catch (EngineException e)
            {
                cli.Error.WriteLine($"Error response from daemon: {e.Message}");
                exit = 1;
            }
        }
        return exit;
    }

    /// <summary>ls: -q prints each row's key; --format json one compact object a line; else a Go template, by default a table.</summary>
    public static void List<T>(CliContext cli, List<T> rows, JsonTypeInfo<T> type, bool quiet, Func<T, string> key, string? format, string table, Func<string, string> heading)
    {
        if (quiet)
        {
            foreach (T row in rows) cli.Out.WriteLine(key(row));
            return;
        }
        if (format == "json")
        {
            foreach (T row in rows) cli.Out.WriteLine(Compact(JsonSerializer.SerializeToElement(row, type)));
            return;
        }
        GoTemplate go = new(format is null or "table" ? table : format);
        TableWriter writer = new([.. go.Header().Split('\t').Select(heading)]);
        foreach (T row in rows)
        {
            string line = go.Render(JsonSerializer.SerializeToElement(row, type));
            if (go.IsTable) writer.Add(line.Split('\t'));
            else cli.Out.WriteLine(line);
        }
        if (go.IsTable) writer.Write(cli.Out);
    }

    /// <summary>prune's question, unless --force: true when the user answers yes.</summary>
    public static bool Confirm(CliContext cli, bool force, string warning)
    {
        if (force) return true;
        cli.Out.Write($"WARNING! {warning}\nAre you sure you want to continue? [y/N] ");
        cli.Out.Flush();
        return cli.In.ReadLine()?.Trim().ToLowerInvariant() is "y" or "yes";
    }

    /// <summary>prune's report: "Deleted Networks:" and the names, nothing when none went.</summary>
    public static void Deleted(CliContext cli, string heading, List<string> names)
    {
        if (names.Count == 0) return;
        cli.Out.WriteLine(heading);
        foreach (string name in names) cli.Out.WriteLine(name);
    }

    /// <summary>Docker's filter: KEY=VALUE, or label!=VALUE. A filter without a key, or another negated key, is refused.</summary>
    public static (string Key, string Value, bool Negated) Filter(string filter)
    {
        bool negated = filter.Contains("!=", StringComparison.Ordinal) && filter.IndexOf("!=", StringComparison.Ordinal) < filter.IndexOf('=');
        int equals = filter.IndexOf('=');
        if (equals <= 0) throw new EngineException($"invalid filter '{filter}'");
        string key = negated ? filter[..(equals - 1)] : filter[..equals];
        if (negated && key != "label") throw new EngineException($"invalid filter '{filter}'");
        return (key, filter[(equals + 1)..], negated);
    }

    /// <summary>label=K (present) or label=K=V (present with that value).</summary>
    public static bool LabelMatches(IReadOnlyDictionary<string, string> labels, string value)
    {
        int equals = value.IndexOf('=');
        return equals > 0
            ? labels.TryGetValue(value[..equals], out string? found) && found == value[(equals + 1)..]
            : labels.ContainsKey(value);
    }

    /// <summary>name=: a regular expression, or plain text when it is not one.</summary>
    public static bool NameMatches(string pattern, string name)
    {
        try
        {
            return Regex.IsMatch(name, pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return name.Contains(pattern, StringComparison.Ordinal);
        }
    }

    private static string Compact(JsonElement element)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
