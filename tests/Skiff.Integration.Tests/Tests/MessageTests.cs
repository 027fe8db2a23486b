using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// Errors a user can provoke, as the shipped (NativeAOT) binary prints them: the file, the field,
/// the value, the reason, in runc's words; never a framework resource key.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed partial class MessageTests(Suite suite)
{
    private const string Why = "the wording is skiff-runc's (runc's Go decoder words some of these differently)";

    [GeneratedRegex(@"\b(IO|UnauthorizedAccess|Arg|InvalidOperation)_[A-Za-z]+|Deserialize[A-Z][A-Za-z]+|ExpectedJsonTokens|JsonTokens")]
    private static partial Regex ResourceKey();

    private static string OneLine(CliResult result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 1, $"expected exit status 1\n{result}");
        Assert.True(result.StderrLines.Count == 1, $"expected one line on stderr\n{result}");
        string line = result.StderrLines[0];
        Assert.False(ResourceKey().IsMatch(line), $"a resource key reached the user: {line}");
        foreach (string f in fragments) Assert.Contains(f, line);
        return line;
    }

    private static void WriteEdited(TestContainer c, Action<JsonNode> edit)
    {
        JsonNode config = JsonNode.Parse(JsonSerializer.Serialize(c.Spec, OciJsonContext.Default.Spec))!;
        edit(config);
        File.WriteAllText(Path.Combine(c.BundleDir, "config.json"), config.ToJsonString());
    }

    [SkiffOnlyFact(Why)]
    public void A_negative_rlimit_names_the_field_and_value()
    {
        using var c = new TestContainer(suite);
        WriteEdited(c, config => config["process"]!["rlimits"]![0]!["hard"] = -1);
        OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id), "json: cannot unmarshal number -1 into process.rlimits[0].hard (uint64)");
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(Why)]
    public void An_object_where_an_array_belongs_names_the_field()
    {
        using var c = new TestContainer(suite);
        WriteEdited(c, config => config["process"]!["args"] = new JsonObject());
        OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id), "json: cannot unmarshal object into process.args (array)");
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(Why)]
    public void A_truncated_config_says_so()
    {
        using var c = new TestContainer(suite);
        c.WriteConfig();
        string file = Path.Combine(c.BundleDir, "config.json");
        File.WriteAllText(file, File.ReadAllText(file)[..100]);
        OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id), "config.json: unexpected end of JSON input");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void A_pid_file_in_a_missing_directory_names_the_path()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        string pidFile = Path.Combine(c.Dir, "no-such-dir", "pid");
        c.WriteConfig();
        OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, "--pid-file", pidFile, c.Id), "no-such-dir", "no such file or directory");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void An_exec_process_file_that_is_missing_names_the_path()
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        string missing = Path.Combine(c.Dir, "no-such-process.json");
        OneLine(c.Cli.Invoke("exec", "--process", missing, c.Id), missing, "no such file or directory");
    }

    [Fact]
    public void An_overlong_bundle_path_is_bounded_and_named()
    {
        using var c = new TestContainer(suite);
        string bundle = "/" + new string('b', 5000);
        string line = OneLine(c.Cli.Invoke("create", "--bundle", bundle, c.Id));
        Assert.True(line.Length < 1000, $"{line.Length} characters");
        Assert.Contains("bbbb", line);
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(Why)]
    public void A_root_path_that_is_a_file_says_not_a_directory()
    {
        using var c = new TestContainer(suite);
        File.WriteAllText(Path.Combine(c.BundleDir, "rootfs-file"), "");
        c.Spec.Root!.Path = "rootfs-file";
        OneLine(c.Create(), "rootfs-file", "not a directory");
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(Why)]
    public void A_config_json_that_is_a_directory_says_so()
    {
        using var c = new TestContainer(suite);
        Directory.CreateDirectory(Path.Combine(c.BundleDir, "config.json"));
        string line = OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, c.Id), "config.json", "is a directory");
        Assert.DoesNotContain("permission denied", line);
        c.AssertNothingLeftBehind();
    }

    [SkiffOnlyFact(Why)]
    public void An_overlong_id_is_refused_for_its_length_in_a_short_line()
    {
        using var c = new TestContainer(suite);
        c.WriteConfig();
        string line = OneLine(c.Cli.Invoke("create", "--bundle", c.BundleDir, new string('a', 2000)), "2000 characters, at most 1024");
        Assert.True(line.Length < 300, line);
    }

    [SkiffOnlyFact(Why)]
    public void An_out_of_range_oom_score_adj_names_the_field_and_value()
    {
        using var c = new TestContainer(suite);
        c.Process.OomScoreAdj = 5000;
        OneLine(c.Create(), "process.oomScoreAdj 5000", "-1000 and 1000");
        c.AssertNothingLeftBehind();
    }
}
