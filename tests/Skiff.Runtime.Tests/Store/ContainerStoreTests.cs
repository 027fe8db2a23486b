using Skiff.Runtime;
using Skiff.Runtime.Store;

namespace Skiff.Runtime.Tests.Store;

/// <summary>The state directory under --root: ids, the atomic claim, records that survive a round trip, and corrupt ones named.</summary>
public sealed class ContainerStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Directory.CreateTempSubdirectory("skiff-store-").FullName, "root");
    private readonly ContainerStore _store;

    public ContainerStoreTests() => _store = new ContainerStore(_root);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a b")]
    public void Ids_outside_runc_s_alphabet_are_refused(string id)
    {
        var e = Assert.Throws<RuntimeException>(() => ContainerStore.ValidateId(id));
        Assert.Contains("ids are letters, digits, _ + - and .", e.Message);
    }

    [Fact]
    public void An_id_over_1024_characters_is_refused_for_its_length()
    {
        var e = Assert.Throws<RuntimeException>(() => ContainerStore.ValidateId(new string('a', 1025)));
        Assert.Contains("1025 characters, at most 1024", e.Message);
    }

    [Fact]
    public void An_id_is_claimed_once()
    {
        using (_store.Claim("c1")) { }
        var e = Assert.Throws<RuntimeException>(() => _store.Claim("c1"));
        Assert.Equal("container with id c1 already exists", e.Message);
    }

    [Fact]
    public void A_record_with_every_field_set_reads_back_as_written()
    {
        // state.json is written by generated writing code and read through the metadata: both must agree on every field.
        var written = new ContainerRecord
        {
            Id = "c9", Bundle = "/b \"q\"", Rootfs = "/b/rootfs", Pid = 42, PidStartTime = 123456789012, Status = "created",
            Created = new DateTimeOffset(2026, 12, 3, 10, 40, 1, 250, TimeSpan.Zero), Owner = "root", CgroupsPath = "x:y:z",
            CreatorCgroup = "0::/user.slice", NoNewKeyring = true, Annotations = new() { ["a"] = "1", ["é"] = "日本" },
            Hooks = new Oci.Runtime.Hooks { Poststop = [new Oci.Runtime.Hook { Path = "/bin/true", Args = ["true", "x"], Env = ["A=b"], Timeout = 5 }] },
        };
        using (_store.Claim("c9")) _store.Save(written);
        ContainerRecord read = _store.Load("c9");
        Assert.Equal((written.Id, written.Bundle, written.Rootfs, written.Pid, written.PidStartTime, written.Status, written.Created, written.Owner),
            (read.Id, read.Bundle, read.Rootfs, read.Pid, read.PidStartTime, read.Status, read.Created, read.Owner));
        Assert.Equal((written.CgroupsPath, written.CreatorCgroup, written.NoNewKeyring), (read.CgroupsPath, read.CreatorCgroup, read.NoNewKeyring));
        Assert.Equal(written.Annotations, read.Annotations!);
        Oci.Runtime.Hook hook = Assert.Single(read.Hooks!.Poststop!);
        Assert.Equal(("/bin/true", 5), (hook.Path, hook.Timeout));
        Assert.Equal(["true", "x"], hook.Args!);
        Assert.Equal(["A=b"], hook.Env!);
        Assert.Null(read.Hooks.Prestart);
    }

    [Fact]
    public void A_record_round_trips_and_is_removed_with_its_directory()
    {
        using (_store.Claim("c2"))
        {
            _store.Save(new ContainerRecord { Id = "c2", Bundle = "/b", Rootfs = "/b/rootfs", Pid = 42, Status = "created", CgroupsPath = "/x/c2" });
        }
        ContainerRecord loaded = _store.Load("c2");
        Assert.Equal(("c2", "/b", 42, "created", "/x/c2"), (loaded.Id, loaded.Bundle, loaded.Pid, loaded.Status, loaded.CgroupsPath));
        Assert.Contains("c2", _store.Ids());

        _store.Remove("c2");
        Assert.False(Directory.Exists(_store.DirectoryOf("c2")));
        var e = Assert.Throws<RuntimeException>(() => _store.Load("c2"));
        Assert.Equal("container \"c2\" does not exist", e.Message);
    }

    [Fact]
    public void A_truncated_state_file_is_reported_as_corrupt_not_missing()
    {
        using (_store.Claim("c3")) { }
        File.WriteAllText(Path.Combine(_store.DirectoryOf("c3"), "state.json"), "{\"id\": \"c3\", \"pid\": 4");
        Assert.Null(_store.TryLoad("c3", out string? corruption));
        Assert.NotNull(corruption);
        Assert.Contains("state.json is corrupt", corruption);
    }
}
