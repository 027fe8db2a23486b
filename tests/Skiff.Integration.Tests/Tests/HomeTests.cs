using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Integration.Tests.Tests;

/// <summary>HOME when process.env has none: the uid's home in the container's /etc/passwd, else "/" (runc).</summary>
[Collection(ContainerCollection.Name)]
public sealed class HomeTests(Suite suite)
{
    private static void WritePasswd(TestContainer c) =>
        File.WriteAllText(Path.Combine(c.Rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1234:1234::/home/app:/bin/sh\n");

    [Theory]
    [InlineData(0u, "/root")]
    [InlineData(1234u, "/home/app")]
    [InlineData(4321u, "/")]
    public void Create_sets_HOME_from_the_containers_passwd(uint uid, string home)
    {
        using var c = new TestContainer(suite);
        WritePasswd(c);
        c.Process.User.Uid = uid;
        c.Process.User.Gid = uid;
        c.Shell("echo \"$HOME\"");
        Assert.Equal(home + "\n", c.Output());
    }

    [Fact]
    public void A_HOME_in_process_env_is_kept()
    {
        using var c = new TestContainer(suite);
        WritePasswd(c);
        c.Process.Env = [.. c.Process.Env!, "HOME=/mine"];
        c.Shell("echo \"$HOME\"");
        Assert.Equal("/mine\n", c.Output());
    }

    [Fact]
    public void Exec_sets_HOME_from_the_containers_passwd()
    {
        using var c = new TestContainer(suite);
        WritePasswd(c);
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();

        Assert.Equal("/home/app", c.Cli.Invoke("exec", "--user", "1234:1234", c.Id, "sh", "-c", "echo \"$HOME\"").AssertSuccess().Stdout.Trim());
        Assert.Equal("/root", c.Cli.Invoke("exec", c.Id, "sh", "-c", "echo \"$HOME\"").AssertSuccess().Stdout.Trim());
    }
}
