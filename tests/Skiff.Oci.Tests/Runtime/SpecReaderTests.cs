using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Oci.Runtime;

namespace Skiff.Oci.Tests.Runtime;

/// <summary>
/// SpecReader against the source-generated deserializer: every document reads into the same
/// Spec, field by field (compared as the generated serializer writes them), or fails with the same error.
/// </summary>
public class SpecReaderTests
{
    /// <summary>Every property of every type under Spec set to a value of its own, built from the model itself:
    /// a field added to the model and not to the reader fails here.</summary>
    private static string FullDocument()
    {
        int counter = 0;
        object Fill(Type type, int depth)
        {
            counter++;
            Type? nullable = Nullable.GetUnderlyingType(type);
            if (nullable is not null) return Fill(nullable, depth);
            if (type == typeof(string)) return $"v{counter}";
            if (type == typeof(bool)) return counter % 2 == 0;
            if (type == typeof(int)) return -counter;
            if (type == typeof(long)) return -10_000_000_000L - counter;
            if (type == typeof(uint)) return (uint)counter + 3_000_000_000u;
            if (type == typeof(ulong)) return ulong.MaxValue - (ulong)counter;
            if (type == typeof(ushort)) return (ushort)(counter + 100);
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var list = (IList)Activator.CreateInstance(type)!;
                list.Add(Fill(type.GetGenericArguments()[0], depth + 1));
                list.Add(Fill(type.GetGenericArguments()[0], depth + 1));
                return list;
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var map = (IDictionary)Activator.CreateInstance(type)!;
                map[$"k{counter}a"] = Fill(type.GetGenericArguments()[1], depth + 1);
                map[$"k{counter}b"] = Fill(type.GetGenericArguments()[1], depth + 1);
                return map;
            }
            Assert.True(type.IsClass && type.Namespace == typeof(Spec).Namespace, $"no filler for {type}");
            object value = Activator.CreateInstance(type)!;
            foreach (PropertyInfo p in type.GetProperties().Where(p => p.CanWrite))
                p.SetValue(value, Fill(p.PropertyType, depth + 1));
            return value;
        }
        return JsonSerializer.Serialize((Spec)Fill(typeof(Spec), 0), OciJsonContext.Default.Spec);
    }

    private static string Generated(Spec? spec) => JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec);

    /// <summary>What the generated deserializer makes of the document: the Spec as written back, or its error as users read it.</summary>
    private static string GeneratedOutcome(byte[] json)
    {
        try { return Generated(JsonSerializer.Deserialize(json, OciJsonContext.Default.Spec)); }
        catch (JsonException e) { return "error: " + OciJsonError.Describe(e, json); }
    }

    private static string ReaderOutcome(byte[] json)
    {
        try { return Generated(SpecReader.Read(json)); }
        catch (JsonException e) { return "error: " + OciJsonError.Describe(e, json); }
    }

    private static void AssertReadsAlike(string json, bool fastPath)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(GeneratedOutcome(bytes), ReaderOutcome(bytes));
        if (fastPath)
        {
            Assert.True(SpecReader.TryRead(bytes, out Spec? spec), "the reader left a plain document to the generated deserializer");
            Assert.Equal(GeneratedOutcome(bytes), Generated(spec));
        }
    }

    [Fact]
    public void A_document_with_every_field_set_reads_alike_without_the_generated_deserializer()
    {
        string json = FullDocument();
        Assert.DoesNotContain("null", json);
        AssertReadsAlike(json, fastPath: true);
    }

    [Fact]
    public void The_default_spec_reads_alike()
    {
        AssertReadsAlike(Generated(DefaultSpec.Create()), fastPath: true);
        // As `spec` writes it: tabs, every field on its own line.
        var indented = new JsonSerializerOptions(OciJsonContext.Default.Options) { IndentCharacter = '\t', IndentSize = 1 };
        AssertReadsAlike(JsonSerializer.Serialize(DefaultSpec.Create(), indented), fastPath: true);
    }

    [Fact]
    public void Dockers_default_seccomp_profile_reads_alike_with_the_fields_the_model_does_not_have()
    {
        // From this source file up to the repository (the tests may be built anywhere).
        string dir = Path.GetDirectoryName(SourceFile())!;
        while (!File.Exists(Path.Combine(dir, "tests/Skiff.Seccomp.Tests/Profiles/docker-default.json")))
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("the repository's tests directory was not found");
        string profile = File.ReadAllText(Path.Combine(dir, "tests/Skiff.Seccomp.Tests/Profiles/docker-default.json"));
        AssertReadsAlike("""{"ociVersion":"1.2.0","process":{"cwd":"/","args":["sh"]},"root":{"path":"rootfs"},"linux":{"seccomp":""" + profile + "}}", fastPath: true);
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;

    [Theory]
    // Comments, trailing commas, escaped names and values, unknown fields of every JSON type.
    [InlineData("{\"ociVersion\":\"1.2.0\", /* c */ \"process\":{\"args\":[\"a\",],\"cwd\":\"/\",}, // c\n \"root\":{\"path\":\"r\"},}", true)]
    [InlineData("""{"\u006fciVersion":"1.\u0032.0","process":{"args":["\u00e9\n"],"env":["A=\"b\""]},"x":[1,{"y":null}],"z":null}""", true)]
    [InlineData("""{"ociVersion":"1.2.0","linux":{"resources":{"unified":{"memory.max":"max"},"rdma":{"mlx":{"hcaHandles":3}}},"sysctl":{}}}""", true)]
    [InlineData("""{"ociVersion":"1.2.0","mounts":[],"hooks":{"prestart":[]},"annotations":{}}""", true)]
    [InlineData("{}", true)]
    // What the reader leaves to the generated deserializer: nulls, repeated keys, other types, bad numbers, bad syntax.
    [InlineData("null", false)]
    [InlineData("""{"ociVersion":null}""", false)]
    [InlineData("""{"process":{"oomScoreAdj":null,"user":null}}""", false)]
    [InlineData("""{"process":{"args":["a",null]}}""", false)]
    [InlineData("""{"annotations":{"a":"1","a":"2"}}""", false)]
    [InlineData("""{"ociVersion":"1.0","ociVersion":"1.2"}""", false)]
    [InlineData("""{"process":{"user":{"uid":-1}}}""", false)]
    [InlineData("""{"process":{"user":{"uid":1.5}}}""", false)]
    [InlineData("""{"process":{"user":{"uid":"0"}}}""", false)]
    [InlineData("""{"process":{"rlimits":[{"hard":1e3}]}}""", false)]
    [InlineData("""{"linux":{"resources":{"blockIO":{"weight":70000}}}}""", false)]
    [InlineData("""{"process":{"terminal":"true"}}""", false)]
    [InlineData("""{"process":[]}""", false)]
    [InlineData("""{"mounts":{}}""", false)]
    [InlineData("""{"ociVersion":"1.2.0"} {}""", false)]
    [InlineData("""{"ociVersion":"1.2.0"}""" + "\n]", false)]
    [InlineData("""{"ociVersion":"1.2.0",""", false)]
    [InlineData("[]", false)]
    [InlineData("", false)]
    public void A_document_reads_alike(string json, bool fastPath) => AssertReadsAlike(json, fastPath);

    /// <summary>Each value of the full document, in turn, replaced by values of every JSON type: the
    /// reader takes what the generated deserializer takes, the same way, and leaves it the rest.</summary>
    [Fact]
    public void Every_field_with_a_value_of_another_type_reads_alike()
    {
        JsonNode full = JsonNode.Parse(FullDocument())!;
        var paths = new List<string>();
        void Collect(JsonNode node, string path)
        {
            if (path.Length > 0) paths.Add(path);
            if (node is JsonObject o) foreach (var (key, child) in o) Collect(child!, path + "/" + key);
            else if (node is JsonArray a) for (int i = 0; i < a.Count; i++) Collect(a[i]!, path + "/" + i);
        }
        Collect(full, "");

        string[] replacements = ["null", "\"x\"", "\"\"", "0", "-1", "4294967296", "18446744073709551616", "1.5", "true", "[]", "{}", "[\"x\"]", "{\"a\":\"b\"}"];
        int compared = 0;
        foreach (string path in paths)
        foreach (string replacement in replacements)
        {
            JsonNode doc = full.DeepClone();
            string[] steps = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            JsonNode parent = doc;
            foreach (string step in steps[..^1]) parent = parent is JsonArray pa ? pa[int.Parse(step)]! : parent[step]!;
            JsonNode? value = JsonNode.Parse(replacement);
            if (parent is JsonArray array) array[int.Parse(steps[^1])] = value;
            else parent[steps[^1]] = value;
            AssertReadsAlike(doc.ToJsonString(), fastPath: false);
            compared++;
        }
        Assert.True(compared > 2000, $"only {compared} documents compared");
    }

    /// <summary>A document of its own (`exec --process`, `update --resources`): the generated deserializer's outcome, and this reader's.</summary>
    private static (Func<byte[], string> Generated, Func<byte[], string> Reader, Func<byte[], bool> FastPath) PartReaders(string which) => which switch
    {
        "process" => (
            json => Outcome(json, j => JsonSerializer.Serialize(JsonSerializer.Deserialize(j, OciJsonContext.Default.Process), OciJsonContext.Default.Process)),
            json => Outcome(json, j => JsonSerializer.Serialize(SpecReader.ReadProcessDocument(j), OciJsonContext.Default.Process)),
            json => SpecReader.TryReadProcessDocument(json, out _)),
        _ => (
            json => Outcome(json, j => JsonSerializer.Serialize(JsonSerializer.Deserialize(j, OciJsonContext.Default.LinuxResources), OciJsonContext.Default.LinuxResources)),
            json => Outcome(json, j => JsonSerializer.Serialize(SpecReader.ReadResourcesDocument(j), OciJsonContext.Default.LinuxResources)),
            json => SpecReader.TryReadResourcesDocument(json, out _)),
    };

    private static string Outcome(byte[] json, Func<byte[], string> read)
    {
        try { return read(json); }
        catch (JsonException e) { return "error: " + OciJsonError.Describe(e, json); }
    }

    /// <summary>The full document's process or resources object as a document of its own, then each of its values replaced as above.</summary>
    [Theory]
    [InlineData("process")]
    [InlineData("resources")]
    public void A_process_or_resources_document_reads_alike(string which)
    {
        JsonNode full = JsonNode.Parse(FullDocument())!;
        JsonNode part = (which == "process" ? full["process"] : full["linux"]!["resources"])!.DeepClone();
        var (generated, reader, fastPath) = PartReaders(which);
        byte[] plain = Encoding.UTF8.GetBytes(part.ToJsonString());
        Assert.True(fastPath(plain), $"the reader left a plain {which} document to the generated deserializer");
        Assert.Equal(generated(plain), reader(plain));

        string[] replacements = ["null", "\"x\"", "0", "-1", "18446744073709551616", "1.5", "true", "[]", "{}"];
        var paths = new List<string[]>();
        void Collect(JsonNode node, List<string> path)
        {
            if (path.Count > 0) paths.Add([.. path]);
            if (node is JsonObject o) foreach (var (key, child) in o) Collect(child!, [.. path, key]);
            else if (node is JsonArray a) for (int i = 0; i < a.Count; i++) Collect(a[i]!, [.. path, i.ToString()]);
        }
        Collect(part, []);
        foreach (string[] steps in paths)
        foreach (string replacement in replacements)
        {
            JsonNode doc = part.DeepClone();
            JsonNode parent = doc;
            foreach (string step in steps[..^1]) parent = parent is JsonArray pa ? pa[int.Parse(step)]! : parent[step]!;
            if (parent is JsonArray array) array[int.Parse(steps[^1])] = JsonNode.Parse(replacement);
            else parent[steps[^1]] = JsonNode.Parse(replacement);
            byte[] bytes = Encoding.UTF8.GetBytes(doc.ToJsonString());
            Assert.Equal(generated(bytes), reader(bytes));
        }
        foreach (string whole in (string[])["null", "[]", "\"x\"", "{} {}", "{", "{\"args\":[\"a\"]} // comment"])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(whole);
            Assert.Equal(generated(bytes), reader(bytes));
        }
    }
}
