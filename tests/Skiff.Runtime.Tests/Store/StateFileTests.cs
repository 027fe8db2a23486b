using System.Text.Json;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Store;

namespace Skiff.Runtime.Tests.Store;

/// <summary>state.json read and written without the serializer: the generated serializer's format, both ways, and its fallback.</summary>
public sealed class StateFileTests
{
    private static string Canonical(ContainerRecord record) => JsonSerializer.Serialize(record, StateJsonContext.Default.ContainerRecord);

    public static TheoryData<ContainerRecord> Records() => new()
    {
        new ContainerRecord(),
        new ContainerRecord
        {
            Id = "c1", Bundle = "/run/b", Rootfs = "/run/b/rootfs", Pid = 4242, PidStartTime = ulong.MaxValue, Status = ContainerStatus.Created,
            Created = new DateTimeOffset(2026, 12, 3, 13, 8, 11, TimeSpan.Zero).AddTicks(1234567), Owner = "root", CgroupsPath = "/skiff/c1",
        },
        new ContainerRecord
        {
            Id = "c2", Bundle = "/b \"quoted\" <html> é 日本", Pid = -1, Status = ContainerStatus.Running,
            Created = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-7)), CgroupsPath = "system.slice:skiff:c2",
            CreatorCgroup = "0::/user.slice\n1:name=systemd:/x", NoNewKeyring = true,
            Annotations = new() { ["a"] = "1", ["with\ttab"] = "v\u0001" },
        },
        new ContainerRecord { Id = "c3", Annotations = [] },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void What_state_file_writes_the_generated_deserializer_reads_the_same(ContainerRecord record)
    {
        ContainerRecord back = JsonSerializer.Deserialize(StateFile.Write(record), StateJsonContext.Default.ContainerRecord)!;
        Assert.Equal(Canonical(record), Canonical(back));
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void What_the_generated_serializer_wrote_state_file_reads_itself(ContainerRecord record)
    {
        Assert.True(StateFile.TryRead(JsonSerializer.SerializeToUtf8Bytes(record, StateJsonContext.Default.ContainerRecord), out ContainerRecord? back));
        Assert.Equal(Canonical(record), Canonical(back!));
    }

    [Fact]
    public void A_record_with_hooks_round_trips_through_the_generated_code()
    {
        var record = new ContainerRecord { Id = "h", Hooks = new Hooks { Poststop = [new Hook { Path = "/bin/true", Args = ["true", "x"], Timeout = 5 }] } };
        byte[] written = StateFile.Write(record);
        Assert.False(StateFile.TryRead(written, out _));
        Assert.Equal(Canonical(record), Canonical(StateFile.Read(written)!));
    }

    [Theory]
    [InlineData("{\"id\":null}")]
    [InlineData("{\"pid\":\"12\"}")]
    [InlineData("{\"pid\":1.5}")]
    [InlineData("{\"noNewKeyring\":1}")]
    [InlineData("{\"annotations\":{\"a\":1}}")]
    [InlineData("{\"annotations\":{\"a\":null}}")]
    [InlineData("{\"created\":\"yesterday\"}")]
    [InlineData("{\"id\":\"x\"} {}")]
    [InlineData("{\"hooks\":null}")]
    public void A_document_it_does_not_know_exactly_is_left_to_the_generated_deserializer(string json) =>
        Assert.False(StateFile.TryRead(System.Text.Encoding.UTF8.GetBytes(json), out _));

    [Fact]
    public void What_it_leaves_reads_or_fails_as_the_generated_deserializer_decides()
    {
        Assert.Null(StateFile.Read("{\"id\":null,\"pid\":3}"u8.ToArray())!.Id);
        Assert.Null(StateFile.Read("{\"annotations\":{\"a\":null}}"u8.ToArray())!.Annotations!["a"]);
        Assert.Throws<JsonException>(() => StateFile.Read("{\"pid\":\"12\"}"u8.ToArray()));
        Assert.Throws<JsonException>(() => StateFile.Read("{\"created\":\"yesterday\"}"u8.ToArray()));
    }

    [Fact]
    public void A_null_annotation_value_survives_a_write()
    {
        var record = new ContainerRecord { Id = "n", Annotations = new() { ["a"] = null!, ["b"] = "x" } };
        Assert.Equal(Canonical(record), Canonical(StateFile.Read(StateFile.Write(record))!));
    }

    [Fact]
    public void Unknown_members_are_skipped_as_the_generated_deserializer_skips_them()
    {
        Assert.True(StateFile.TryRead("{\"id\":\"x\",\"future\":{\"nested\":[1,2,{}]},\"pid\":7}"u8, out ContainerRecord? record));
        Assert.Equal("x", record!.Id);
        Assert.Equal(7, record.Pid);
    }
}
