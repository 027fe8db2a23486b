using System.Text.Json.Serialization;
using Skiff.Images.Oci;
using Skiff.Images.Store;

namespace Skiff.Images.Inspect;

/// <summary>`docker image inspect` output, field for field where skiff has the data.</summary>
public sealed class ImageInspect
{
    [JsonPropertyName("Id")] public string Id { get; set; } = "";
    [JsonPropertyName("RepoTags")] public List<string> RepoTags { get; set; } = [];
    [JsonPropertyName("RepoDigests")] public List<string> RepoDigests { get; set; } = [];
    [JsonPropertyName("Parent")] public string Parent { get; set; } = "";
    [JsonPropertyName("Comment")] public string Comment { get; set; } = "";
    [JsonPropertyName("Created")] public string Created { get; set; } = "";
    [JsonPropertyName("DockerVersion")] public string DockerVersion { get; set; } = "";
    [JsonPropertyName("Author")] public string Author { get; set; } = "";
    [JsonPropertyName("Config")] public InspectConfig Config { get; set; } = new();
    [JsonPropertyName("Architecture")] public string Architecture { get; set; } = "";
    [JsonPropertyName("Variant")] public string? Variant { get; set; }
    [JsonPropertyName("Os")] public string Os { get; set; } = "";
    [JsonPropertyName("Size")] public long Size { get; set; }
    [JsonPropertyName("GraphDriver")] public GraphDriver GraphDriver { get; set; } = new();
    [JsonPropertyName("RootFS")] public InspectRootFs RootFs { get; set; } = new();
    [JsonPropertyName("Metadata")] public InspectMetadata Metadata { get; set; } = new();

    /// <summary>Docker's inspect shape of a stored image.</summary>
    public static ImageInspect From(ImageRecord image, ImageConfig config, IReadOnlyList<string> lowerDirectories)
    {
        ContainerConfig source = config.Config ?? new ContainerConfig();
        return new ImageInspect
        {
            Id = image.Id,
            RepoTags = [.. image.RepoTags.Select(ImageCatalog.Familiar)],
            RepoDigests = [.. image.RepoDigests.Select(ImageCatalog.Familiar)],
            Comment = config.Comment ?? config.History?.LastOrDefault()?.Comment ?? "",
            Created = (config.Created ?? image.Created ?? DateTimeOffset.UnixEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"),
            DockerVersion = config.DockerVersion ?? "",
            Author = config.Author ?? "",
            Config = new InspectConfig
            {
                User = source.User ?? "",
                ExposedPorts = source.ExposedPorts,
                Env = source.Env,
                Cmd = source.Cmd,
                Volumes = source.Volumes,
                WorkingDir = source.WorkingDir ?? "",
                Entrypoint = source.Entrypoint,
                OnBuild = source.OnBuild,
                Labels = source.Labels,
                StopSignal = source.StopSignal,
                Shell = source.Shell,
                Healthcheck = source.Healthcheck,
                ArgsEscaped = source.ArgsEscaped,
            },
            Architecture = config.Architecture,
            Variant = config.Variant,
            Os = config.Os,
            Size = image.Size,
            GraphDriver = new GraphDriver
            {
                Name = "overlay",
                Data = new Dictionary<string, string>
                {
                    ["LowerDir"] = string.Join(':', lowerDirectories),
                },
            },
            RootFs = new InspectRootFs { Layers = config.RootFs.DiffIds },
            Metadata = new InspectMetadata { LastTagTime = image.Added.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'") },
        };
    }
}

public sealed class InspectConfig
{
    [JsonPropertyName("Hostname")] public string Hostname { get; set; } = "";
    [JsonPropertyName("Domainname")] public string Domainname { get; set; } = "";
    [JsonPropertyName("User")] public string User { get; set; } = "";
    [JsonPropertyName("AttachStdin")] public bool AttachStdin { get; set; }
    [JsonPropertyName("AttachStdout")] public bool AttachStdout { get; set; }
    [JsonPropertyName("AttachStderr")] public bool AttachStderr { get; set; }
    [JsonPropertyName("ExposedPorts")] public Dictionary<string, EmptyObject>? ExposedPorts { get; set; }
    [JsonPropertyName("Tty")] public bool Tty { get; set; }
    [JsonPropertyName("OpenStdin")] public bool OpenStdin { get; set; }
    [JsonPropertyName("StdinOnce")] public bool StdinOnce { get; set; }
    [JsonPropertyName("Env")] public List<string>? Env { get; set; }
    [JsonPropertyName("Cmd")] public List<string>? Cmd { get; set; }
    [JsonPropertyName("Healthcheck")] public HealthConfig? Healthcheck { get; set; }
    [JsonPropertyName("ArgsEscaped")] public bool? ArgsEscaped { get; set; }
    [JsonPropertyName("Image")] public string Image { get; set; } = "";
    [JsonPropertyName("Volumes")] public Dictionary<string, EmptyObject>? Volumes { get; set; }
    [JsonPropertyName("WorkingDir")] public string WorkingDir { get; set; } = "";
    [JsonPropertyName("Entrypoint")] public List<string>? Entrypoint { get; set; }
    [JsonPropertyName("OnBuild")] public List<string>? OnBuild { get; set; }
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; set; }
    [JsonPropertyName("StopSignal")] public string? StopSignal { get; set; }
    [JsonPropertyName("Shell")] public List<string>? Shell { get; set; }
}

public sealed class GraphDriver
{
    [JsonPropertyName("Data")] public Dictionary<string, string> Data { get; set; } = [];
    [JsonPropertyName("Name")] public string Name { get; set; } = "overlay";
}

public sealed class InspectRootFs
{
    [JsonPropertyName("Type")] public string Type { get; set; } = "layers";
    [JsonPropertyName("Layers")] public List<string> Layers { get; set; } = [];
}

public sealed class InspectMetadata
{
    [JsonPropertyName("LastTagTime")] public string LastTagTime { get; set; } = "";
}

/// <summary>One row of `docker history`, newest first.</summary>
public sealed record HistoryRow(string Id, DateTimeOffset? Created, string CreatedBy, long Size, string Comment, List<string> Tags);

/// <summary>One row of `docker images`, as its JSON format prints it.</summary>
public sealed class ImageListRow
{
    [JsonPropertyName("Containers")] public string Containers { get; set; } = "N/A";
    [JsonPropertyName("CreatedAt")] public string CreatedAt { get; set; } = "";
    [JsonPropertyName("CreatedSince")] public string CreatedSince { get; set; } = "";
    [JsonPropertyName("Digest")] public string Digest { get; set; } = "<none>";
    [JsonPropertyName("ID")] public string Id { get; set; } = "";
    [JsonPropertyName("Repository")] public string Repository { get; set; } = "<none>";
    [JsonPropertyName("SharedSize")] public string SharedSize { get; set; } = "N/A";
    [JsonPropertyName("Size")] public string Size { get; set; } = "";
    [JsonPropertyName("Tag")] public string Tag { get; set; } = "<none>";
    [JsonPropertyName("UniqueSize")] public string UniqueSize { get; set; } = "N/A";
    [JsonPropertyName("VirtualSize")] public string VirtualSize { get; set; } = "";
}

/// <summary>One row of `docker history`, as its JSON format prints it.</summary>
public sealed class HistoryListRow
{
    [JsonPropertyName("ID")] public string Id { get; set; } = "";
    [JsonPropertyName("CreatedAt")] public string CreatedAt { get; set; } = "";
    [JsonPropertyName("CreatedSince")] public string CreatedSince { get; set; } = "";
    [JsonPropertyName("CreatedBy")] public string CreatedBy { get; set; } = "";
    [JsonPropertyName("Size")] public string Size { get; set; } = "";
    [JsonPropertyName("Comment")] public string Comment { get; set; } = "";
    [JsonPropertyName("Tags")] public string Tags { get; set; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true, IndentSize = 4, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<ImageInspect>))]
[JsonSerializable(typeof(ImageInspect))]
public sealed partial class InspectJsonContext : JsonSerializerContext
{
    /// <summary>As Default, but escaping only what JSON requires ('+' in media types stays '+', as Go writes it).</summary>
    public static InspectJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true, IndentSize = 4, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ImageListRow))]
[JsonSerializable(typeof(HistoryListRow))]
public sealed partial class ListJsonContext : JsonSerializerContext
{
    /// <summary>As Default, but escaping only what JSON requires ('+' in media types stays '+', as Go writes it).</summary>
    public static ListJsonContext Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
