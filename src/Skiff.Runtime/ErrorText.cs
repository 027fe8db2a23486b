using Skiff.Linux;

namespace Skiff.Runtime;

/// <summary>
/// File errors as runc words them ("open /x: no such file or directory"): the path the exception
/// names and <see cref="FileError.Reason"/>; any other resource key NativeAOT left of a message
/// is worded too.
/// </summary>
public static class ErrorText
{
    public static string Describe(Exception e)
    {
        string? path = PathOf(e);
        if (FileError.Reason(e) is not { } reason) return e is RuntimeException or SystemCallException ? e.Message : Stripped(e.Message);
        return path is null ? reason : $"{Bounded(path)}: {reason}";
    }

    /// <summary>A path as a user gave it, bounded: an error line never carries a megabyte of input.</summary>
    public static string Bounded(string text, int max = 256) =>
        text.Length <= max ? text : text[..max] + $"...({text.Length} characters)";

    /// <summary>The path an I/O exception is about: its FileName, or the argument of its message.</summary>
    private static string? PathOf(Exception e)
    {
        if (e is FileNotFoundException { FileName: { Length: > 0 } name }) return name;
        string message = e.Message;
        // NativeAOT: "IO_PathNotFound_Path, /x"; with full messages: "Could not find a part of the path '/x'."
        if (message.StartsWith("IO_", StringComparison.Ordinal) || message.StartsWith("UnauthorizedAccess_", StringComparison.Ordinal))
        {
            int comma = message.IndexOf(", ", StringComparison.Ordinal);
            return comma < 0 ? null : message[(comma + 2)..];
        }
        int open = message.IndexOf('\'');
        int close = message.LastIndexOf('\'');
        return open >= 0 && close > open ? message[(open + 1)..close] : null;
    }

    /// <summary>A resource key never reaches a user as such: "IO_PathNotFound_Path, /x" becomes "/x: path not found".</summary>
    private static string Stripped(string message)
    {
        int comma = message.IndexOf(", ", StringComparison.Ordinal);
        string key = comma > 0 ? message[..comma] : message;
        if (key.Contains(' ') || !key.Contains('_')) return message;
        string[] parts = key.Split('_');
        string words = Words(parts.Length > 1 ? parts[1] : parts[0]);
        return comma > 0 ? $"{Bounded(message[(comma + 2)..])}: {words}" : words;
    }

    /// <summary>"PathNotFound" as "path not found": a space before each capital that follows a lower-case letter or a digit.</summary>
    private static string Words(string camel)
    {
        var words = new System.Text.StringBuilder(camel.Length + 8);
        for (int i = 0; i < camel.Length; i++)
        {
            if (i > 0 && char.IsAsciiLetterUpper(camel[i]) && (char.IsAsciiLetterLower(camel[i - 1]) || char.IsAsciiDigit(camel[i - 1]))) words.Append(' ');
            words.Append(char.ToLowerInvariant(camel[i]));
        }
        return words.ToString();
    }
}
