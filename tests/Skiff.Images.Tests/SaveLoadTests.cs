using System.Formats.Tar;
using System.Text.Json;
using Skiff.Images.Oci;
using Skiff.Images.Store;
using Skiff.Images.Tests.Support;
using Skiff.Images.Transfer;

namespace Skiff.Images.Tests;

/// <summary>save and load in both archive formats, both directions, with other tools on the other side.</summary>
[Collection("registry")]
public sealed class SaveLoadTests(RegistryFixture fixture) : IDisposable
{
    private readonly TestStore _source = new();
    private readonly TestStore _target = new();

    [Theory]
    [InlineData(ArchiveFormat.DockerArchive)]
    [InlineData(ArchiveFormat.OciArchive)]
    public async Task Save_then_load_keeps_every_digest(ArchiveFormat format)
    {
        PullResult pulled = await _source.Service.PullAsync(fixture.Reference("whiteouts"));
        string archive = _source.Directory.Combine("image.tar");
        using (FileStream file = File.Create(archive)) _source.Service.Save([fixture.Reference("whiteouts")], file, format);

        List<LoadedImage> loaded;
        using (FileStream file = File.OpenRead(archive)) loaded = _target.Service.Load(file);
        ImageRecord image = Assert.Single(loaded).Image;
        Assert.Equal(pulled.Image.Id, image.Id);
        Assert.Equal(pulled.Image.ManifestDigest, image.ManifestDigest);
        Assert.Equal(pulled.Image.Layers, image.Layers);
        Assert.Equal(pulled.Image.ChainIds, image.ChainIds);
        Assert.Contains($"{fixture.Registry.Address}/test/whiteouts:latest", image.RepoTags);
        Assert.Equal(_source.MergedTree(fixture.Reference("whiteouts")), _target.MergedTree(fixture.Reference("whiteouts")));

        // A second save of the loaded image is the same archive, byte for byte.
        string again = _target.Directory.Combine("again.tar");
        using (FileStream file = File.Create(again)) _target.Service.Save([fixture.Reference("whiteouts")], file, format);
        Assert.Equal(File.ReadAllBytes(archive), File.ReadAllBytes(again));
    }

    [Fact]
    public async Task Docker_archive_is_read_by_skopeo_and_podman_style_archives_load()
    {
        PullResult pulled = await _source.Service.PullAsync(fixture.Reference("single", "oci-gzip"));
        string archive = _source.Directory.Combine("docker.tar");
        using (FileStream file = File.Create(archive)) _source.Service.Save([fixture.Reference("single", "oci-gzip")], file);

        // skopeo reads our docker-archive through manifest.json, and our OCI layout through index.json.
        using JsonDocument viaDocker = JsonDocument.Parse(Tools.Run("skopeo", "inspect", $"docker-archive:{archive}"));
        Assert.Equal(pulled.Image.Layers.Count, viaDocker.RootElement.GetProperty("Layers").GetArrayLength());
        string extracted = _source.Directory.CreateDirectory("layout");
        Tools.Run("tar", "-xf", archive, "-C", extracted);
        using JsonDocument viaOci = JsonDocument.Parse(Tools.Run("skopeo", "inspect", $"oci:{extracted}"));
        Assert.Equal(pulled.Image.ManifestDigest, viaOci.RootElement.GetProperty("Digest").GetString());

        // skopeo's own docker-archive (the legacy layout: uncompressed layers, no index.json) loads too.
        string legacy = _source.Directory.Combine("legacy.tar");
        Tools.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{fixture.Reference("single", "oci-gzip")}", $"docker-archive:{legacy}:legacy/image:v1");
        using (FileStream file = File.OpenRead(legacy))
        {
            LoadedImage loaded = Assert.Single(_target.Service.Load(file));
            Assert.Equal(pulled.Image.Id, loaded.Image.Id);
            Assert.Equal(["docker.io/legacy/image:v1"], loaded.Names);
            Assert.Equal(pulled.Image.ChainIds, loaded.Image.ChainIds);
        }

        // skopeo's oci-archive, with a full reference as its ref name.
        string oci = _source.Directory.Combine("oci.tar");
        Tools.Run("skopeo", "copy", "--src-tls-verify=false", $"docker://{fixture.Reference("zstd")}", $"oci-archive:{oci}:example.com/zstd/copy:2");
        using (FileStream file = File.OpenRead(oci))
        {
            LoadedImage loaded = Assert.Single(_target.Service.Load(file));
            Assert.Equal(["example.com/zstd/copy:2"], loaded.Names);
        }
        Assert.Equal(_target.MergedTree("legacy/image:v1"), _target.MergedTree("example.com/zstd/copy:2"));
    }

    [Fact]
    public async Task Compressed_archives_load_and_bad_archives_fail_cleanly()
    {
        await _source.Service.PullAsync(fixture.Reference("shared-a"));
        string archive = _source.Directory.Combine("a.tar");
        using (FileStream file = File.Create(archive)) _source.Service.Save([fixture.Reference("shared-a")], file);
        Tools.Run("gzip", "-k", archive);
        using (FileStream file = File.OpenRead(archive + ".gz"))
            Assert.Single(_target.Service.Load(file));

        // A blob whose bytes do not match its name is refused, and nothing is recorded.
        TestStore clean = new();
        try
        {
            byte[] tampered = Tamper(File.ReadAllBytes(archive));
            ImageException error = Assert.Throws<ImageException>(() => clean.Service.Load(new MemoryStream(tampered)));
            Assert.Contains("digest mismatch", error.Message);
            Assert.Empty(clean.Service.Catalog.List());
            Assert.Throws<ImageException>(() => clean.Service.Load(new MemoryStream([1, 2, 3])));
        }
        finally
        {
            clean.Dispose();
        }
    }

    /// <summary>Flips a byte inside the largest blob of a tar, leaving its name (its digest) as it was.</summary>
    private static byte[] Tamper(byte[] archive)
    {
        using MemoryStream input = new(archive), output = new();
        using (TarReader reader = new(input))
        using (TarWriter writer = new(output, TarEntryFormat.Pax))
        {
            TarEntry? entry;
            string? largest = null;
            List<(TarEntry Entry, byte[]? Data)> entries = [];
            while ((entry = reader.GetNextEntry(copyData: true)) is not null)
            {
                byte[]? data = null;
                if (entry.DataStream is not null) { using MemoryStream copy = new(); entry.DataStream.CopyTo(copy); data = copy.ToArray(); }
                entries.Add((entry, data));
                if (data is not null && (largest is null || data.Length > entries.First(e => e.Entry.Name == largest).Data!.Length)) largest = entry.Name;
            }
            foreach ((TarEntry e, byte[]? data) in entries)
            {
                if (data is not null)
                {
                    if (e.Name == largest) data[data.Length / 2] ^= 0xff;
                    e.DataStream = new MemoryStream(data);
                }
                writer.WriteEntry(e);
            }
        }
        return output.ToArray();
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }
}
