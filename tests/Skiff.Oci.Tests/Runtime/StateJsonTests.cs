using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Oci.Tests.Runtime;

/// <summary>The runtime-spec state as `state` prints it and hooks read it, written by hand: the same document the generated serializer wrote.</summary>
public sealed class StateJsonTests
{
    public static TheoryData<State> States() => new()
    {
        new State { Id = "c1", Status = "running", Pid = 4242, Bundle = "/run/bundles/c1" },
        new State { Id = "c2", Status = "stopped", Pid = 0, Bundle = "/b", Annotations = [] },
        new State { Id = "c3", Status = "created", Pid = int.MaxValue, Bundle = "/b", Annotations = new() { ["org.example/key"] = "value", ["b"] = "" } },
    };

    [Theory]
    [MemberData(nameof(States))]
    public void A_plain_state_is_the_generated_serializer_s_document_byte_for_byte(State state)
    {
        Assert.Equal(JsonSerializer.Serialize(state, OciJsonContext.Default.State), state.ToJson(indented: true));
    }

    [Theory]
    [InlineData("quote \" and backslash \\")]
    [InlineData("control \u0001\u001f, tab\t, new line\n")]
    [InlineData("html <script>&amp;</script>")]
    [InlineData("unicode é 日本 😀 \u2028\u2029")]
    public void Any_string_reads_back_as_written(string text)
    {
        var state = new State { Id = text, Status = "running", Pid = 1, Bundle = text, Annotations = new() { [text] = text } };
        foreach (bool indented in new[] { true, false })
        {
            State back = JsonSerializer.Deserialize(state.ToJson(indented), OciJsonContext.Default.State)!;
            Assert.Equal(text, back.Id);
            Assert.Equal(text, back.Bundle);
            Assert.Equal(text, back.Annotations![text]);
        }
    }

    [Fact]
    public void A_null_annotation_value_is_written_as_null_as_before()
    {
        var state = new State { Id = "c", Annotations = new() { ["a"] = null!, ["b"] = "x" } };
        State back = JsonSerializer.Deserialize(state.ToJson(indented: true), OciJsonContext.Default.State)!;
        Assert.Null(back.Annotations!["a"]);
        Assert.Equal("x", back.Annotations["b"]);
    }

    [Fact]
    public void Html_sensitive_characters_are_escaped_as_go_escapes_them() =>
        Assert.Equal("{\"ociVersion\":\"1.2.0\",\"id\":\"\\u003ca\\u0026b\\u003e\",\"status\":\"\",\"pid\":0,\"bundle\":\"\"}",
            new State { Id = "<a&b>" }.ToJson(indented: false));
}
