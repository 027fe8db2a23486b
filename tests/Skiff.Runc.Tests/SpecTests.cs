using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Linux;
using Skiff.Oci.Runtime;

namespace Skiff.Runc.Tests;

public class SpecTests
{
    private const string Runc = "/usr/sbin/runc";

    [Fact]
    public void Spec_writes_a_config_that_round_trips_through_the_oci_model()
    {
        using var dir = new TempDir();
        (int status, string stdout, string stderr) = Cli.Run("spec", "--bundle", dir.Path);
        Assert.Equal((0, "", ""), (status, stdout, stderr));

        string written = File.ReadAllText(dir.File("config.json"));
        Spec spec = JsonSerializer.Deserialize(written, OciJsonContext.Default.Spec)!;
        Assert.Equal(Serialize(DefaultSpec.Create()), Serialize(spec));
        Assert.Equal(SpecVersion.Current, spec.OciVersion);
        Assert.True(spec.Process!.Terminal);
        Assert.Equal(["sh"], spec.Process.Args);
        Assert.Equal("rootfs", spec.Root!.Path);
        Assert.StartsWith("{\n\t\"ociVersion\"", written);
    }

    [Fact]
    public void Spec_refuses_to_overwrite_config_json()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), "mine");

        (int status, string stdout, string stderr) = Cli.Run("spec", "-b", dir.Path);

        Assert.Equal(1, status);
        Assert.Equal("", stdout);
        Assert.EndsWith("level=error msg=\"File config.json exists. Remove it first\"\n", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("mine", File.ReadAllText(dir.File("config.json")));
    }

    [Fact]
    public void Spec_into_a_missing_bundle_is_a_clear_error()
    {
        using var dir = new TempDir();
        string missing = dir.File("nope");
        (int status, _, string stderr) = Cli.Run("spec", "--bundle", missing);
        Assert.Equal(1, status);
        Assert.EndsWith($"msg=\"bundle {missing}: no such directory\"\n", stderr);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void Spec_matches_runcs_defaults()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Cli.Run("spec", "-b", dir.Path).Status);
        JsonNode ours = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        JsonNode theirs = RuncSpec(dir, rootless: false);
        AssertSameApartFromNamedDifferences(ours, theirs);
    }

    [Fact]
    public void Rootless_spec_matches_runcs_rootless_defaults()
    {
        using var dir = new TempDir();
        Assert.Equal(0, Cli.Run("spec", "--rootless", "-b", dir.Path).Status);
        JsonNode ours = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        JsonNode theirs = RuncSpec(dir, rootless: true);
        AssertSameApartFromNamedDifferences(ours, theirs);

        JsonArray uidMappings = ours["linux"]!["uidMappings"]!.AsArray();
        Assert.Equal(Interop.Libc.GetEUid(), uidMappings[0]!["hostID"]!.GetValue<uint>());
        Assert.Contains(ours["linux"]!["namespaces"]!.AsArray(), n => n!["type"]!.GetValue<string>() == "user");
        Assert.DoesNotContain(ours["linux"]!["namespaces"]!.AsArray(), n => n!["type"]!.GetValue<string>() == "network");
    }

    /// <summary>
    /// The version we implement, our own hostname, and the one path newer runc masks as well
    /// (the Debian runc here is 1.1) are the only differences allowed.
    /// </summary>
    private static void AssertSameApartFromNamedDifferences(JsonNode ours, JsonNode theirs)
    {
        Assert.Equal(SpecVersion.Current, ours["ociVersion"]!.GetValue<string>());
        Assert.Equal("skiff", ours["hostname"]!.GetValue<string>());
        JsonArray masked = ours["linux"]!["maskedPaths"]!.AsArray();
        Assert.Equal("/sys/devices/virtual/powercap", masked[^1]!.GetValue<string>());

        ours["ociVersion"] = theirs["ociVersion"]!.GetValue<string>();
        ours["hostname"] = theirs["hostname"]!.GetValue<string>();
        masked.RemoveAt(masked.Count - 1);

        Assert.True(JsonNode.DeepEquals(ours, theirs),
            $"skiff-runc spec differs from runc spec:\n{ours.ToJsonString()}\n{theirs.ToJsonString()}");
    }

    private static JsonNode RuncSpec(TempDir dir, bool rootless)
    {
        string bundle = dir.File("runc-bundle");
        Directory.CreateDirectory(bundle);
        var start = new ProcessStartInfo(Runc) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("spec");
        start.ArgumentList.Add("--bundle");
        start.ArgumentList.Add(bundle);
        if (rootless) start.ArgumentList.Add("--rootless");
        using var runc = System.Diagnostics.Process.Start(start)!;
        string error = runc.StandardError.ReadToEnd();
        runc.WaitForExit();
        Assert.True(runc.ExitCode == 0, $"runc spec failed: {error}");
        return JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
    }

    private static string Serialize(Spec spec) => JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec);
}
