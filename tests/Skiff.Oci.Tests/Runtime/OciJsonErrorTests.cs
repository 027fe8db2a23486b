using System.Text;
using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Oci.Tests.Runtime;

/// <summary>JSON errors name the field, the value and the type wanted, or where the syntax broke, never a resource key.</summary>
public class OciJsonErrorTests
{
    private static string ErrorOf(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, OciJsonContext.Default.Spec));
        return OciJsonError.Describe(e, bytes);
    }

    [Fact]
    public void A_negative_rlimit_names_the_field_the_value_and_the_type()
    {
        string json = """{"ociVersion":"1.2.0","process":{"cwd":"/","args":["sh"],"rlimits":[{"type":"RLIMIT_NOFILE","hard":-1,"soft":1}]}}""";
        Assert.Equal("json: cannot unmarshal number -1 into process.rlimits[0].hard (uint64)", ErrorOf(json));
    }

    [Fact]
    public void A_string_where_a_number_belongs()
    {
        Assert.Equal("json: cannot unmarshal string \"x\" into process.user.uid (uint32)",
            ErrorOf("""{"process":{"user":{"uid":"x"}}}"""));
    }

    [Fact]
    public void A_number_where_an_object_belongs()
    {
        Assert.Equal("json: cannot unmarshal number 5 into process (object)", ErrorOf("""{"process":5}"""));
    }

    [Theory]
    [InlineData("{\"ociVersion\": \"1.2.0\", \"process\": {")]
    [InlineData("{\"ociVersion\": \"1.")]
    [InlineData("")]
    public void A_truncated_document(string json) => Assert.Equal("unexpected end of JSON input", ErrorOf(json));

    [Fact]
    public void A_syntax_error_says_where()
    {
        Assert.Equal("invalid character 'n' at line 2, column 3", ErrorOf("{\"ociVersion\": \"1.2.0\",\n  not json}"));
    }

    [Fact]
    public void A_huge_value_is_never_echoed_whole()
    {
        string huge = new('7', 10_000_000);
        string message = ErrorOf($"{{\"process\":{{\"user\":{{\"uid\":{huge}}}}}}}");
        Assert.True(message.Length < 200, message[..Math.Min(300, message.Length)]);
        Assert.Contains("process.user.uid (uint32)", message);
    }
}
