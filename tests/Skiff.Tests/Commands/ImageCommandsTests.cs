using System.Text.Json;
using Skiff.Images.Tests.Support;

namespace Skiff.Tests.Commands;

/// <summary>The image verbs as a user types them: Docker's output shapes, messages and exit codes.</summary>
[Collection("registry")]
public sealed class ImageCommandsTests(RegistryFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new("skiff-cli");
    private string Root => _temp.Combine("root");

    private async Task<CliResult> Skiff(params string[] args)
    {
        CliResult result = await CliRunner.RunAsync(Root, args);
        return result;
    }

    private async Task<string> Ok(params string[] args)
    {
        CliResult result = await Skiff(args);
        Assert.True(result.Exit == 0, $"skiff {string.Join(' ', args)}: exit {result.Exit}: {result.Error}");
        return result.Out;
    }

    [Fact]
    public async Task Pull_images_tag_history_inspect_rmi()
    {
        string image = fixture.Reference("whiteouts");
        string pull = await Ok("pull", image);
        Assert.Contains("latest: Pulling from " + fixture.Registry.Address + "/test/whiteouts", pull);
        Assert.Contains(": Pull complete", pull);
        Assert.EndsWith($"Status: Downloaded newer image for {image}\n{image}\n", pull);
        Assert.Equal($"{image}\n", await Ok("pull", "-q", image));

        await Ok("tag", image, "mine/copy:v2");
        string[] table = (await Ok("images")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$", table[0]);
        Assert.Contains(table, line => line.StartsWith("mine/copy ", StringComparison.Ordinal) && line.Contains(" v2 "));
        Assert.Contains(table, line => line.StartsWith($"{fixture.Registry.Address}/test/whiteouts ", StringComparison.Ordinal));

        string[] ids = (await Ok("images", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, ids.Length);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{12}$", id));
        Assert.Equal(ids[0], ids[1]);

        string json = await Ok("images", "--format", "json", "mine/copy");
        using (JsonDocument row = JsonDocument.Parse(json.Trim()))
        {
            Assert.Equal("mine/copy", row.RootElement.GetProperty("Repository").GetString());
            Assert.Equal("v2", row.RootElement.GetProperty("Tag").GetString());
        }
        Assert.Equal("mine/copy:v2\n", await Ok("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=mine/*"));
        Assert.Contains("sha256:", await Ok("images", "--digests"));

        using (JsonDocument inspect = JsonDocument.Parse(await Ok("image", "inspect", "mine/copy:v2")))
        {
            JsonElement first = inspect.RootElement[0];
            Assert.StartsWith("sha256:", first.GetProperty("Id").GetString());
            Assert.Contains("mine/copy:v2", first.GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(3, first.GetProperty("RootFS").GetProperty("Layers").GetArrayLength());
            Assert.Equal("sh", first.GetProperty("Config").GetProperty("Cmd")[0].GetString());
        }
        Assert.Equal("[sh] amd64\n", await Ok("image", "inspect", "-f", "{{.Config.Cmd}} {{.Architecture}}", "mine/copy:v2"));

        string history = await Ok("history", "mine/copy:v2");
        Assert.Matches(@"^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT", history);
        Assert.Contains("layer 2", history);
        Assert.Equal(3, (await Ok("history", "-q", "mine/copy:v2")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        CliResult conflict = await Skiff("rmi", ids[0]);
        Assert.Equal(1, conflict.Exit);
        Assert.Contains("must be forced", conflict.Error);
        Assert.Equal("Untagged: mine/copy:v2\n", await Ok("rmi", "mine/copy:v2"));
        string removed = await Ok("rmi", image);
        Assert.Contains($"Untagged: {image}", removed);
        Assert.Contains("Deleted: sha256:", removed);
        Assert.Equal("", await Ok("images", "-q"));
    }

    [Fact]
    public async Task Errors_name_the_thing_and_the_reason()
    {
        CliResult missing = await Skiff("image", "inspect", "nope:1");
        Assert.Equal(1, missing.Exit);
        Assert.Equal("[]\n", missing.Out);
        Assert.Contains("Error: No such image: nope:1", missing.Error);

        CliResult badName = await Skiff("pull", "Busybox");
        Assert.Equal(1, badName.Exit);
        Assert.Contains("invalid reference format \"Busybox\": repository name must be lowercase", badName.Error);

        CliResult unknown = await Skiff("pull", $"{fixture.Registry.Address}/test/absent:1");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("not found", unknown.Error);

        CliResult refused = await Skiff("pull", "--tls-verify=true", fixture.Reference("single", "oci-gzip"));
        Assert.Equal(1, refused.Exit);
        Assert.Contains("--tls-verify=false", refused.Error);

        CliResult noStdin = await Skiff("load", "-i", _temp.Combine("absent.tar"));
        Assert.Contains("no such file", noStdin.Error);

        CliResult usage = await Skiff("rmi");
        Assert.Equal(125, usage.Exit);
    }

    [Fact]
    public async Task Save_load_import_prune_through_the_command_line()
    {
        string image = fixture.Reference("shared-a");
        await Ok("pull", "-q", image);
        string archive = _temp.Combine("a.tar");
        await Ok("save", "-o", archive, image);
        string other = _temp.Combine("other-root");
        CliResult load = await CliRunner.RunAsync(other, "load", "-i", archive);
        Assert.Equal($"Loaded image: {image}\n", load.Out);

        string rootfs = _temp.Combine("rootfs.tar");
        File.WriteAllBytes(rootfs, TestImages.BusyboxRootfs());
        string id = (await Ok("import", "-c", "CMD [\"true\"]", "-m", "hello", rootfs, "imported:1")).Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);
        Assert.Contains("hello", await Ok("history", "imported:1"));

        // A dangling image appears when its tag moves; prune removes it and reports the space.
        await Ok("tag", image, "imported:1");
        Assert.Contains("<none>", await Ok("images"));
        string prune = await Ok("image", "prune", "-f");
        Assert.Contains($"deleted: {id}", prune);
        Assert.Matches(@"Total reclaimed space: [0-9.]+[kMG]?B", prune);
        CliResult declined = await CliRunner.RunWithInputAsync(Root, "n\n", "image", "prune", "-a");
        Assert.Contains("Are you sure you want to continue? [y/N]", declined.Out);
        Assert.Equal(2, (await Ok("images", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("deleted:", await Ok("image", "prune", "-a", "-f"));
        Assert.Equal("", await Ok("images", "-q"));

        Assert.Matches("^sha256:[0-9a-f]{64}\n$", await Ok("image", "import-busybox"));
        Assert.StartsWith("busybox ", (await Ok("images")).Split('\n')[1]);
    }

    [Fact]
    public async Task All_tags_short_names_and_archives_through_pipes()
    {
        // Short names go to the configured default registry, which need not be Docker Hub.
        string config = _temp.Combine("registries.json");
        File.WriteAllText(config, $$"""{"default-registry": "{{fixture.Registry.Address}}", "max-concurrent-downloads": 1}""");
        string pulled = await Ok("--registries-config", config, "pull", "-q", "test/shared-b");
        Assert.Equal($"{fixture.Registry.Address}/test/shared-b:latest\n", pulled);
        Assert.Contains("test/shared-b ", await Ok("--registries-config", config, "images", "test/shared-b"));

        await Ok("pull", "-a", $"{fixture.Registry.Address}/test/single");
        string tags = await Ok("images", "--format", "{{.Tag}}", $"{fixture.Registry.Address}/test/single");
        Assert.Equal(["docker", "oci-gzip"], tags.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

        // skiff save | skiff load, as separate processes joined by a pipe.
        string other = _temp.Combine("piped-root");
        using System.Diagnostics.Process save = SkiffProcess.Start(Root, "save", $"{fixture.Registry.Address}/test/shared-b");
        using System.Diagnostics.Process load = SkiffProcess.Start(other, "load", redirectInput: true);
        await save.StandardOutput.BaseStream.CopyToAsync(load.StandardInput.BaseStream);
        load.StandardInput.Close();
        await Task.WhenAll(save.WaitForExitAsync(), load.WaitForExitAsync());
        Assert.Equal(0, save.ExitCode);
        Assert.Equal($"Loaded image: {fixture.Registry.Address}/test/shared-b:latest\n", await load.StandardOutput.ReadToEndAsync());
    }

    public void Dispose() => _temp.Dispose();
}
