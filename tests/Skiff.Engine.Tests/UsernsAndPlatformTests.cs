using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>--userns and --platform on run and create.</summary>
[Collection(EngineCollection.Name)]
public sealed class UsernsAndPlatformTests(EngineSuite suite)
{
    [Fact]
    public void Userns_host_runs_in_the_hosts_user_namespace_and_other_modes_are_refused()
    {
        string hostNs = File.ReadAllText("/proc/self/uid_map");
        string id = suite.Ok("run", "-d", "--userns", "host", "busybox", "sh", "-c", "cat /proc/self/uid_map; readlink /proc/self/ns/user").Trim();
        try
        {
            Assert.Equal("0\n", suite.Ok("wait", id));
            string[] lines = suite.Ok("logs", id).Split('\n');
            Assert.Equal(Words(hostNs), Words(lines[0]));
            Assert.Equal(new FileInfo("/proc/self/ns/user").LinkTarget, lines[1]);
            Assert.Equal("host", suite.Ok("inspect", "-f", "{{.HostConfig.UsernsMode}}", id).Trim());
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        // The default is the engine's, which is the host's too.
        Assert.Equal(new FileInfo("/proc/self/ns/user").LinkTarget + "\n", suite.Ok("run", "--rm", "busybox", "readlink", "/proc/self/ns/user"));
        string name = "userns-" + Guid.NewGuid().ToString("N")[..8];
        SkiffResult refused = suite.Run("run", "--name", name, "--userns", "keep-id", "busybox", "true");
        Assert.Equal(125, refused.Exit);
        Assert.Contains("--userns: invalid USER mode", refused.Error);
        Assert.DoesNotContain(name, suite.Ok("ps", "-a"));
    }

    private static string Words(string text) => string.Join(' ', text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Platform_runs_a_matching_image_and_refuses_another_platforms_with_dockers_message()
    {
        Assert.Equal("ok\n", suite.Ok("run", "--rm", "--platform", "linux/amd64", "busybox", "echo", "ok"));
        string name = "platform-" + Guid.NewGuid().ToString("N")[..8];
        foreach (string verb in (string[])["run", "create"])
        {
            SkiffResult refused = suite.Run(verb, "--name", name, "--pull", "never", "--platform", "linux/arm64", "busybox", "true");
            Assert.Equal(125, refused.Exit);
            Assert.Contains("image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64", refused.Error);
        }
        SkiffResult malformed = suite.Run("create", "--name", name, "--platform", "linux/amd64/v2/extra", "busybox", "true");
        Assert.Equal(125, malformed.Exit);
        Assert.Contains("invalid platform", malformed.Error);
        Assert.DoesNotContain(name, suite.Ok("ps", "-a"));
    }
}
