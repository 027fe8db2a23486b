using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests;

/// <summary>runc's command line as tools call it: flag syntaxes, --version, spec, features.</summary>
[Collection(ContainerCollection.Name)]
public sealed class CliTests(Suite suite)
{
    [Fact]
    public void Version_names_the_runtime_and_the_spec_version()
    {
        using var c = new TestContainer(suite);

        var lines = Lines(c.Cli.Invoke("--version").AssertSuccess().Stdout);

        Assert.Contains("version", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("spec: 1.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--root={0}")]
    [InlineData("-root={0}")]
    [InlineData("-root {0}")]
    public void Global_flags_accept_every_syntax_runc_does(string rootFlag)
    {
        using var c = new TestContainer(suite);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        var flag = string.Format(rootFlag, c.Cli.StateRoot).Split(' ');

        var result = RawInvoke(c, [.. flag, "state", c.Id]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(c.Id, JsonSerializer.Deserialize(result.Stdout, OciJsonContext.Default.State)!.Id);
    }

    [Theory]
    [InlineData("--bundle", false)]
    [InlineData("-b", false)]
    [InlineData("--bundle", true)]
    [InlineData("-bundle", true)]
    public void Bundle_flag_accepts_every_syntax_runc_does(string flag, bool withEquals)
    {
        using var c = new TestContainer(suite);
        c.Shell("echo bundled");
        c.WriteConfig();
        string[] bundle = withEquals ? [$"{flag}={c.BundleDir}"] : [flag, c.BundleDir];

        var result = c.Cli.Invoke(["run", .. bundle, c.Id]);

        result.AssertSuccess();
        Assert.Equal("bundled\n", result.Stdout);
    }

    [Fact]
    public void Bundle_defaults_to_the_current_directory()
    {
        using var c = new TestContainer(suite);
        c.Shell("echo from cwd");
        c.WriteConfig();

        var result = RawInvoke(c, ["--root", c.Cli.StateRoot, "run", c.Id], workingDirectory: c.BundleDir);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("from cwd\n", result.Stdout);
    }

    [Fact]
    public void Spec_writes_a_default_config_that_runs()
    {
        using var c = new TestContainer(suite);
        var dir = Path.Combine(c.Dir, "spec");
        Directory.CreateDirectory(dir);

        c.Cli.Invoke("spec", "--bundle", dir).AssertSuccess();
        var again = c.Cli.Invoke("spec", "--bundle", dir);

        var spec = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dir, "config.json")), OciJsonContext.Default.Spec)!;
        Assert.Equal(["sh"], spec.Process!.Args);
        Assert.Equal("rootfs", spec.Root!.Path);
        Assert.Contains(spec.Linux!.Namespaces!, n => n.Type == "pid");
        Assert.True(again.ExitCode != 0, $"spec overwrote an existing config.json\n{again}");

        // The generated config is what a new user runs first: it must run on this runtime.
        spec.Process.Terminal = false;
        spec.Process.Args = ["sh", "-c", "echo spec ran; hostname"];
        spec.Linux.CgroupsPath = c.CgroupsPath;
        File.WriteAllText(Path.Combine(c.BundleDir, "config.json"), JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec));
        var run = c.Cli.Invoke("run", "--bundle", c.BundleDir, c.Id);
        run.AssertSuccess();
        Assert.Equal("spec ran", Lines(run.Stdout)[0]);
    }

    [Fact]
    public void Spec_rootless_asks_for_a_user_namespace()
    {
        using var c = new TestContainer(suite);
        var dir = Path.Combine(c.Dir, "spec");
        Directory.CreateDirectory(dir);

        c.Cli.Invoke("spec", "--rootless", "--bundle", dir).AssertSuccess();

        var spec = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(dir, "config.json")), OciJsonContext.Default.Spec)!;
        Assert.Contains(spec.Linux!.Namespaces!, n => n.Type == "user");
        Assert.NotEmpty(spec.Linux.UidMappings!);
        Assert.NotEmpty(spec.Linux.GidMappings!);
    }

    [Fact]
    public void Features_describes_what_the_runtime_supports()
    {
        using var c = new TestContainer(suite);

        var result = c.Cli.Invoke("features").AssertSuccess();
        var features = JsonSerializer.Deserialize(result.Stdout, OciJsonContext.Default.Features)!;

        Assert.StartsWith("1.", features.OciVersionMax);
        Assert.Equal(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], features.Hooks);
        foreach (var ns in new[] { "cgroup", "ipc", "mount", "network", "pid", "user", "uts" })
            Assert.Contains(ns, features.Linux.Namespaces);
        foreach (var option in new[] { "bind", "rbind", "ro", "rro", "nosuid", "nodev", "noexec" })
            Assert.Contains(option, features.MountOptions);
    }

    private static CliResult RawInvoke(TestContainer c, string[] args, string? workingDirectory = null)
    {
        var stdout = Path.Combine(c.Dir, $"raw-{Guid.NewGuid():N}.out");
        var stderr = Path.ChangeExtension(stdout, ".err");
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? c.Dir };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" </dev/null >\"$SKT_STDOUT\" 2>\"$SKT_STDERR\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(RuntimeUnderTest.BinaryPath);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["SKT_STDOUT"] = stdout;
        psi.Environment["SKT_STDERR"] = stderr;
        using var p = System.Diagnostics.Process.Start(psi)!;
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} did not exit");
        }
        return new CliResult(args, p.ExitCode, File.ReadAllText(stdout), File.ReadAllText(stderr), null);
    }
}
