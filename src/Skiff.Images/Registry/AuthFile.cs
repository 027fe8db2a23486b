using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Images.References;

namespace Skiff.Images.Registry;

public sealed record Credential(string Username, string Password)
{
    public string BasicHeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
}

/// <summary>
/// Credentials in Docker's config.json form ("auths" of base64 user:password, or a credential
/// helper named by "credsStore"/"credHelpers"), so docker, podman and skiff share logins.
/// Fields skiff does not know are kept when it writes the file.
/// </summary>
public sealed class AuthFile(string path)
{
    private const string DockerHubKey = "https://index.docker.io/v1/";

    public string Path => path;

    /// <summary>$REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
    public static string DefaultPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE") is { Length: > 0 } file) return file;
            string directory = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } config
                ? config
                : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
            return System.IO.Path.Combine(directory, "config.json");
        }
    }

    public static string KeyFor(string registry) => registry == ImageReference.DockerHub ? DockerHubKey : registry;

    public Credential? Get(string registry)
    {
        JsonObject root = Load();
        if (Helper(root, registry) is { } helper) return helper.Get(KeyFor(registry));
        if (root["auths"] is not JsonObject auths) return null;
        foreach ((string key, JsonNode? value) in auths)
        {
            if (NormalizeKey(key) != NormalizeKey(KeyFor(registry)) || value is not JsonObject entry) continue;
            if (entry["auth"]?.GetValue<string>() is { Length: > 0 } encoded)
            {
                string decoded;
                try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
                catch (FormatException) { throw new ImageException($"auth file {path}: entry for {key} is not valid base64"); }
                int colon = decoded.IndexOf(':');
                if (colon < 0) throw new ImageException($"auth file {path}: entry for {key} is not user:password");
                return new Credential(decoded[..colon], decoded[(colon + 1)..]);
            }
            if (entry["username"]?.GetValue<string>() is { } user && entry["password"]?.GetValue<string>() is { } password)
                return new Credential(user, password);
        }
        return null;
    }

    public void Store(string registry, Credential credential)
    {
        JsonObject root = Load();
        if (Helper(root, registry) is { } helper)
        {
            helper.Store(KeyFor(registry), credential);
            return;
        }
        JsonObject auths = root["auths"] as JsonObject ?? [];
        root["auths"] = auths;
        RemoveKey(auths, registry);
        auths[KeyFor(registry)] = new JsonObject { ["auth"] = credential.BasicHeaderValue };
        Save(root);
    }

    /// <returns>false if there was nothing to remove.</returns>
    public bool Erase(string registry)
    {
        JsonObject root = Load();
        if (Helper(root, registry) is { } helper) return helper.Erase(KeyFor(registry));
        if (root["auths"] is not JsonObject auths || !RemoveKey(auths, registry)) return false;
        Save(root);
        return true;
    }

    private static bool RemoveKey(JsonObject auths, string registry)
    {
        string wanted = NormalizeKey(KeyFor(registry));
        List<string> keys = [.. auths.Select(pair => pair.Key).Where(key => NormalizeKey(key) == wanted)];
        foreach (string key in keys) auths.Remove(key);
        return keys.Count > 0;
    }

    /// <summary>"https://host:5000/v1/" and "host:5000" name the same registry.</summary>
    private static string NormalizeKey(string key)
    {
        string host = key;
        if (host.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) host = host[8..];
        else if (host.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) host = host[7..];
        int slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" or "docker.io" ? "docker.io" : host;
    }

    private static CredentialHelper? Helper(JsonObject root, string registry)
    {
        if (root["credHelpers"] is JsonObject helpers)
            foreach ((string key, JsonNode? value) in helpers)
                if (NormalizeKey(key) == NormalizeKey(KeyFor(registry)) && value?.GetValue<string>() is { Length: > 0 } name)
                    return new CredentialHelper(name);
        return root["credsStore"]?.GetValue<string>() is { Length: > 0 } store ? new CredentialHelper(store) : null;
    }

    private JsonObject Load()
    {
        if (!File.Exists(path)) return [];
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ImageException($"auth file {path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ImageException($"auth file {path}: {e.Message}", e);
        }
    }

    private void Save(JsonObject root)
    {
        string? directory = System.IO.Path.GetDirectoryName(path);
        if (directory is { Length: > 0 }) Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Created 0600 (never readable by others, even for a moment) under a name no other login shares.
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        FileStreamOptions options = new()
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        try
        {
            using (FileStream file = new(temporary, options))
                file.Write(Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>A docker-credential-NAME program (the credential helper protocol: get, store, erase on stdin).</summary>
internal sealed class CredentialHelper(string name)
{
    private string Program => $"docker-credential-{name}";

    public Credential? Get(string server)
    {
        (int exit, string output) = Run("get", server);
        if (exit != 0)
        {
            if (output.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new ImageException($"{Program} get: {output.Trim()}");
        }
        HelperCredentials? answer = JsonSerializer.Deserialize(output, RegistryJsonContext.Default.HelperCredentials);
        return answer?.Username is { } user && answer.Secret is { } secret ? new Credential(user, secret) : null;
    }

    public void Store(string server, Credential credential)
    {
        string input = JsonSerializer.Serialize(new HelperCredentials { ServerUrl = server, Username = credential.Username, Secret = credential.Password },
            RegistryJsonContext.Default.HelperCredentials);
        (int exit, string output) = Run("store", input);
        if (exit != 0) throw new ImageException($"{Program} store: {output.Trim()}");
    }

    public bool Erase(string server)
    {
        (int exit, string output) = Run("erase", server);
        if (exit == 0) return true;
        if (output.Contains("not found", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ImageException($"{Program} erase: {output.Trim()}");
    }

    private (int Exit, string Output) Run(string verb, string input)
    {
        ProcessStartInfo start = new(Program, verb)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using Process process = Process.Start(start)!;
            process.StandardInput.Write(input);
            process.StandardInput.Close();
            Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ImageException($"credential helper {Program}: {e.Message}", e);
        }
    }
}
