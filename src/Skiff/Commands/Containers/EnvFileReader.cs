using Skiff.Engine;

namespace Skiff.Commands.Containers;

/// <summary>Docker's --env-file: KEY=VALUE lines, # comments, a bare KEY takes the caller's value.</summary>
public static class EnvFileReader
{
    public static List<string> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException($"open {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory" : "permission denied")}");
        }
        List<string> env = [];
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimStart();
            if (line.Length == 0 || line[0] == '#') continue;
            int equals = line.IndexOf('=');
            string key = equals < 0 ? line.TrimEnd() : line[..equals];
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
                throw new EngineException($"{path}: line {i + 1}: variable '{key}' contains whitespaces");
            if (equals >= 0) env.Add(line);
            else if (Environment.GetEnvironmentVariable(key) is { } value) env.Add($"{key}={value}");
        }
        return env;
    }
}
