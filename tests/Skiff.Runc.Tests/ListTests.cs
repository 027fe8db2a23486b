using System.Text.Json;
using Skiff.Oci.Runtime;
using Skiff.Runc.Go;
using Skiff.Runc.Verbs;
using Skiff.Runtime;

namespace Skiff.Runc.Tests;

public class ListTests
{
    private static ContainerSummary Summary(string id, int pid, string status, string bundle, DateTimeOffset created, string owner,
        Dictionary<string, string>? annotations = null) =>
        new(new State { Id = id, Pid = pid, Status = status, Bundle = bundle, Annotations = annotations }, bundle + "/rootfs", created, owner);

    [Fact]
    public void Table_is_laid_out_like_runcs_tabwriter()
    {
        // Recorded from runc 1.1.5 list on this machine (.NET keeps 7 fraction digits, Go 9).
        var created = DateTimeOffset.Parse("2026-11-22T02:42:35.5460565Z");
        string table = ListCommand.Table([Summary("clitest", 12594, "created", "/tmp/rs/b", created, "root")]);
        Assert.Equal(
            "ID          PID         STATUS      BUNDLE      CREATED                        OWNER\n" +
            "clitest     12594       created     /tmp/rs/b   2026-11-22T02:42:35.5460565Z   root\n", table);
    }

    [Fact]
    public void Empty_table_is_the_header()
    {
        Assert.Equal("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n", ListCommand.Table([]));
    }

    [Fact]
    public void Json_has_runcs_fields_in_runcs_order()
    {
        using var dir = new TempDir();
        var created = new DateTimeOffset(2026, 11, 22, 3, 42, 35, TimeSpan.FromHours(1));
        string json = ListCommand.Json([
            Summary("a", 7, "running", dir.Path, created, "root", new() { ["k"] = "v" }),
            Summary("b", 0, "stopped", dir.File("gone"), created, "root"),
        ]);

        Assert.EndsWith("]\n", json);
        Assert.DoesNotContain("\n", json.TrimEnd('\n'));
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement first = document.RootElement[0];
        Assert.Equal(["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "annotations", "owner"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(7, first.GetProperty("pid").GetInt32());
        Assert.Equal(dir.File("rootfs"), first.GetProperty("rootfs").GetString());
        Assert.Equal("2026-11-22T02:42:35Z", first.GetProperty("created").GetString());
        Assert.Equal("v", first.GetProperty("annotations").GetProperty("k").GetString());

        JsonElement second = document.RootElement[1];
        Assert.False(second.TryGetProperty("annotations", out _));
        // The rootfs recorded at create, even once the bundle is gone.
        Assert.Equal(dir.File("gone") + "/rootfs", second.GetProperty("rootfs").GetString());
    }

    [Fact]
    public void Empty_json_list_is_an_empty_array()
    {
        Assert.Equal("[]\n", ListCommand.Json([]));
    }

    [Theory]
    [InlineData("2026-11-22T02:42:35.5460565+00:00", "2026-11-22T02:42:35.5460565Z")]
    [InlineData("2026-11-22T02:42:35.5000000+00:00", "2026-11-22T02:42:35.5Z")]
    [InlineData("2026-11-22T02:42:35.0000000+00:00", "2026-11-22T02:42:35Z")]
    [InlineData("2026-11-22T02:42:35.1200000-05:30", "2026-11-22T02:42:35.12-05:30")]
    public void Created_is_rfc3339_nano_as_go_writes_it(string time, string expected)
    {
        Assert.Equal(expected, GoText.Rfc3339Nano(DateTimeOffset.Parse(time)));
    }
}
