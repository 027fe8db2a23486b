using Skiff.Cli;
using Skiff.Images.Oci;
using Skiff.Images.References;
using Skiff.Images.Registry;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

/// <summary>Parsers and formatters, checked against what Docker does with the same input.</summary>
public sealed class ModelTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", null, "busybox")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", "busybox")]
    [InlineData("docker.io/library/busybox", "docker.io", "library/busybox", null, "busybox")]
    [InlineData("index.docker.io/user/app:v1", "docker.io", "user/app", "v1", "user/app")]
    [InlineData("localhost/app", "localhost", "app", null, "localhost/app")]
    [InlineData("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", "127.0.0.1:5000/a/b/c")]
    [InlineData("registry.example.com:443/x__y.z-w", "registry.example.com:443", "x__y.z-w", null, "registry.example.com:443/x__y.z-w")]
    [InlineData("[::1]:5000/ipv6", "[::1]:5000", "ipv6", null, "[::1]:5000/ipv6")]
    public void References_normalize_like_docker(string text, string registry, string repository, string? tag, string familiar)
    {
        ImageReference reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(familiar, reference.FamiliarName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")]
    [InlineData("busybox:")]
    [InlineData("busybox@sha256:abc")]
    [InlineData("a//b")]
    [InlineData("-leading")]
    [InlineData("busybox:tag with space")]
    public void Bad_references_are_refused(string text) =>
        Assert.Throws<ImageException>(() => ImageReference.Parse(text));

    [Fact]
    public void Short_names_use_the_configured_default_registry()
    {
        ImageReference reference = ImageReference.Parse("tools/app", "registry.internal:5000");
        Assert.Equal("registry.internal:5000/tools/app", reference.Name);
        ImageReference digest = ImageReference.Parse("app@sha256:" + new string('a', 64), "registry.internal:5000");
        Assert.Equal("sha256:" + new string('a', 64), digest.ManifestReference);
    }

    [Fact]
    public void Challenges_parse_with_quotes_and_commas()
    {
        AuthChallenge bearer = AuthChallenge.Parse("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"")!;
        Assert.True(bearer.IsBearer);
        Assert.Equal("https://auth.example/token", bearer.Realm);
        Assert.Equal("registry.example", bearer.Service);
        Assert.Equal("repository:a/b:pull,push", bearer.Scope);
        AuthChallenge basic = AuthChallenge.Parse("Basic realm=basic-realm")!;
        Assert.True(basic.IsBasic);
        Assert.Equal("basic-realm", basic.Realm);
        Assert.Null(AuthChallenge.Parse(""));
    }

    [Fact]
    public void Platforms_select_like_docker()
    {
        List<Descriptor> manifests =
        [
            new() { MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string('1', 64), Platform = new Platform { Os = "linux", Architecture = "arm", Variant = "v6" } },
            new() { MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string('2', 64), Platform = new Platform { Os = "linux", Architecture = "arm", Variant = "v7" } },
            new() { MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string('3', 64), Platform = new Platform { Os = "linux", Architecture = "arm64" } },
            new() { MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string('4', 64), Platform = new Platform { Os = "unknown", Architecture = "unknown" } },
        ];
        Assert.EndsWith("2", PlatformMatcher.Select(manifests, PlatformMatcher.Parse("linux/arm/v7"))!.Digest);
        Assert.EndsWith("3", PlatformMatcher.Select(manifests, PlatformMatcher.Parse("linux/arm64/v8"))!.Digest);
        Assert.EndsWith("3", PlatformMatcher.Select(manifests, PlatformMatcher.Parse("aarch64"))!.Digest);
        Assert.Null(PlatformMatcher.Select(manifests, PlatformMatcher.Parse("linux/amd64")));
        Assert.Throws<ImageException>(() => PlatformMatcher.Parse("a/b/c/d"));
    }

    [Fact]
    public void Schema1_and_unknown_manifests_are_refused_clearly()
    {
        byte[] schema1 = """{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}"""u8.ToArray();
        ImageException error = Assert.Throws<ImageException>(() => ManifestKind.Resolve(MediaTypes.DockerSchema1Signed, schema1, "x:1"));
        Assert.Contains("schema 1 manifests are not supported", error.Message);
        Assert.Throws<ImageException>(() => ManifestKind.Resolve("application/json", schema1, "x:1"));
        Assert.Equal(MediaTypes.OciIndex, ManifestKind.Resolve("application/json", """{"schemaVersion":2,"manifests":[]}"""u8.ToArray(), "x"));
        Assert.Throws<ImageException>(() => ManifestKind.Resolve("application/vnd.oci.image.manifest.v1+json", """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"""u8.ToArray(), "x"));
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(999, "999B")]
    [InlineData(4_261_550, "4.26MB")]
    [InlineData(1_000_000_000, "1GB")]
    [InlineData(12_345, "12.3kB")]
    public void Sizes_print_like_docker(long bytes, string text) => Assert.Equal(text, Units.HumanSize(bytes));

    [Fact]
    public void Durations_print_like_docker()
    {
        Assert.Equal("About a minute", Units.HumanDuration(TimeSpan.FromSeconds(70)));
        Assert.Equal("3 hours", Units.HumanDuration(TimeSpan.FromHours(3.2)));
        Assert.Equal("2 weeks", Units.HumanDuration(TimeSpan.FromDays(15)));
        Assert.Equal("5 months", Units.HumanDuration(TimeSpan.FromDays(160)));
    }

    [Fact]
    public void Templates_render_fields_json_and_tables()
    {
        using System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse("""{"Repository":"busybox","Tag":"latest","Config":{"Cmd":["sh","-c"]},"Size":"1MB"}""");
        Assert.Equal("busybox:latest", new GoTemplate("{{.Repository}}:{{.Tag}}").Render(document.RootElement));
        Assert.Equal("[sh -c]", new GoTemplate("{{.Config.Cmd}}").Render(document.RootElement));
        Assert.Equal("[\"sh\",\"-c\"]", new GoTemplate("{{json .Config.Cmd}}").Render(document.RootElement));
        GoTemplate table = new("table {{.Repository}}\\t{{.Size}}");
        Assert.True(table.IsTable);
        Assert.Equal("REPOSITORY\tSIZE", table.Header());
        Assert.Throws<FormatException>(() => new GoTemplate("{{.Nope}}").Render(document.RootElement));
    }

    [Fact]
    public void Config_changes_follow_the_dockerfile_forms()
    {
        ContainerConfig config = new();
        ConfigChanges.Apply(config, "ENV PATH /usr/bin");
        ConfigChanges.Apply(config, "ENV PATH=/bin HOME='/root dir'");
        ConfigChanges.Apply(config, "VOLUME [\"/data\", \"/logs\"]");
        ConfigChanges.Apply(config, "STOPSIGNAL SIGTERM");
        Assert.Equal(["PATH=/bin", "HOME=/root dir"], config.Env);
        Assert.Equal(["/data", "/logs"], config.Volumes!.Keys.Order());
        Assert.Equal("SIGTERM", config.StopSignal);
        Assert.Throws<ImageException>(() => ConfigChanges.Apply(config, "CMD [\"unterminated"));
    }

    [Fact]
    public void Progress_draws_bars_in_place_on_a_terminal_and_lines_elsewhere()
    {
        StringWriter terminal = new();
        ProgressRenderer bars = new(terminal, terminal: true);
        bars.Layer("aaaaaaaaaaaa", LayerState.PullingFsLayer);
        bars.Layer("bbbbbbbbbbbb", LayerState.PullingFsLayer);
        bars.Layer("aaaaaaaaaaaa", LayerState.Downloading, 500_000, 1_000_000);
        bars.Layer("aaaaaaaaaaaa", LayerState.PullComplete);
        string drawn = terminal.ToString();
        Assert.Contains("aaaaaaaaaaaa: Downloading  [=========================>                        ]  500kB/1MB", drawn);
        Assert.Contains("\u001b[2A\u001b[2K\r", drawn);   // two lines up: the first layer's line is redrawn
        Assert.EndsWith("aaaaaaaaaaaa: Pull complete\u001b[2B\r", drawn);

        StringWriter pipe = new();
        ProgressRenderer lines = new(pipe, terminal: false);
        lines.Layer("aaaaaaaaaaaa", LayerState.Downloading, 1, 10);
        lines.Layer("aaaaaaaaaaaa", LayerState.Downloading, 5, 10);
        lines.Layer("aaaaaaaaaaaa", LayerState.PullComplete);
        Assert.Equal("aaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\n", pipe.ToString());
    }
}
