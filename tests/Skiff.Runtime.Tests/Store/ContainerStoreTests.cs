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
