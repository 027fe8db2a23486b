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
}
