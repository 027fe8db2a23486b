using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;
using static Skiff.Integration.Tests.Tests.ProcessTests;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// A hostile /dev in the image (the config mounts no tmpfs over it, so the image's own /dev is
/// where the runtime makes device nodes, symlinks, the console and the /dev/null it masks with):
/// symlinks out of the rootfs (CVE-2026-41579), a /dev/null that is something else
/// (CVE-2025-31133), a /dev/console that leads to the host (CVE-2025-52565), and the same paths
/// swapped by a racing process that shares the container's /dev.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class DevTests(Suite suite)
{
    private const string DevProbe =
        "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T' /dev/$d; done; " +
        "echo x > /dev/null && head -c 1 /dev/zero | od -An -tx1";

    [Theory]
    [InlineData("dev", "{canary}")]
    [InlineData("dev", "../../host-canary")]
    [InlineData("dev/null", "{canary}/canary")]
    [InlineData("dev/null", "../../../host-canary/canary")]
    [InlineData("dev/zero", "{canary}/canary")]
    [InlineData("dev/tty", "{canary}/canary")]
    [InlineData("dev/pts", "{canary}")]
    [InlineData("dev/shm", "{canary}")]
    [InlineData("dev/mqueue", "{canary}")]
    [InlineData("dev/fd", "{canary}")]
    [InlineData("dev/ptmx", "{canary}/canary")]
    [InlineData("dev/stdout", "{canary}/canary")]
    public void Cve_2026_41579_hostile_dev_symlinks_touch_nothing_on_the_host(string link, string target)
    {
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        Attack.UseRootfsDev(c);
        Attack.Symlink(c, link, target.Replace("{canary}", canary));
        c.Shell(DevProbe);

        var result = c.Run();

        Assert.True(before == Attack.Snapshot(canary), $"{link} -> {target} changed the host:\n{Attack.Snapshot(canary)}\n{result}");
        if (result.ExitCode == 0)
            AssertRealDevices(result.Stdout);
    }

    [Theory]
    [InlineData("{canary}")]
    [InlineData("../../host-canary")]
    public void Cve_2026_41579_dev_symlinked_out_of_the_rootfs_under_a_dev_tmpfs_stays_inside(string target)
    {
        // The config's tmpfs for /dev is mounted where the image's dev symlink leads, resolved in the rootfs.
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        Attack.Symlink(c, "dev", target.Replace("{canary}", canary));
        c.Shell(DevProbe);

        var result = c.Run();

        Assert.True(before == Attack.Snapshot(canary), $"dev -> {target} changed the host:\n{Attack.Snapshot(canary)}\n{result}");
        if (result.ExitCode == 0)
            AssertRealDevices(result.Stdout);
    }

    [Theory]
    [InlineData("/dev/../../../host-canary/node")]                          // rootfs/dev/../../.. is the test's directory
    [InlineData("/dev/../../../../../../../../../../..{canary}/node")]       // up to / and down to the canary
    public void Cve_2026_41579_device_paths_that_climb_out_of_dev_are_made_inside_the_rootfs(string path)
    {
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        c.Linux.Devices = [new LinuxDevice { Path = path.Replace("{canary}", canary), Type = "c", Major = 1, Minor = 3 }];
        c.Shell("true");

        var result = c.Run();

        Assert.True(before == Attack.Snapshot(canary), $"device {path} was made on the host:\n{Attack.Snapshot(canary)}\n{result}");
    }

    [Theory]
    [InlineData("{canary}/canary")]                 // a host file: bound over masked paths it would be writable through them
    [InlineData("regular file")]
    [InlineData("zero device")]
    public void Cve_2025_31133_masked_paths_are_covered_with_the_real_dev_null_whatever_the_image_has(string devNull)
    {
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        var corePattern = File.ReadAllText("/proc/sys/kernel/core_pattern");
        Attack.UseRootfsDev(c);
        var nullPath = Path.Combine(c.Rootfs, "dev", "null");
        Directory.CreateDirectory(Path.GetDirectoryName(nullPath)!);
        if (File.Exists(nullPath)) File.Delete(nullPath);
        switch (devNull)
        {
            case "regular file": File.WriteAllText(nullPath, "not null\n"); break;
            case "zero device": HostCommand.Run("/bin/mknod", "-m", "666", nullPath, "c", "1", "5"); break;
            default: File.CreateSymbolicLink(nullPath, devNull.Replace("{canary}", canary)); break;
        }
        File.WriteAllText(Path.Combine(c.Rootfs, "masked-file"), "secret\n");
        c.Linux.MaskedPaths!.AddRange(["/masked-file", "/proc/sys/kernel/core_pattern"]);
        // The original exploit pointed /dev/null at /proc/sys/kernel/core_pattern; here it points at
        // the test's own canary, because against a vulnerable runtime that is what the container gets
        // to write (runc 1.1.5 let the original variant overwrite this host's core_pattern).
        var write = devNull.StartsWith("{canary}") ? "echo pwned > /masked-file; " : "";
        c.Shell("for f in /masked-file /proc/timer_list /proc/sys/kernel/core_pattern; do stat -c '%F %t:%T' $f; head -c 64 $f | wc -c; done; " +
                write + "true");

        var result = c.Run();

        Assert.True(before == Attack.Snapshot(canary), $"/dev/null as {devNull} changed the host:\n{Attack.Snapshot(canary)}\n{result}");
        Assert.Equal(corePattern, File.ReadAllText("/proc/sys/kernel/core_pattern"));
        Assert.Equal("secret\n", File.ReadAllText(Path.Combine(c.Rootfs, "masked-file")));
        if (!RuntimeUnderTest.IsSkiff && result.ExitCode != 0)
        {
            // runc 1.1.5 may refuse the image's /dev/null outright: then for that reason, and nothing ran.
            Assert.Contains("/dev/null", result.Stderr);
            Assert.Equal("", result.Stdout);
            return;
        }
        result.AssertSuccess();
        var lines = Lines(result.Stdout);
        Assert.True(lines.Length >= 6, result.ToString());
        for (var i = 0; i < 6; i += 2)
        {
            Assert.Equal("character special file 1:3", lines[i]);
            Assert.Equal("0", lines[i + 1].Trim());
        }
    }

    [Fact]
    public void Cve_2025_31133_dev_null_raced_into_a_symlink_through_a_shared_dev_is_never_bound()
    {
        for (var run = 0; run < 10; run++)
        {
            using var c = new TestContainer(suite);
            var canary = Attack.MakeCanaryDir(c);
            var before = Attack.Snapshot(canary);
            // /dev is a volume another container shares; it swaps null with a symlink to the host.
            var sharedDev = Path.Combine(c.Dir, "shared-dev");
            Directory.CreateDirectory(sharedDev);
            HostCommand.Run("/bin/mknod", "-m", "666", Path.Combine(sharedDev, "null"), "c", "1", "3");
            File.CreateSymbolicLink(Path.Combine(sharedDev, "evil"), Path.Combine(canary, "canary"));
            c.Spec.Mounts!.RemoveAll(m => m.Destination == "/dev");
            c.Spec.Mounts!.Insert(1, new Mount { Destination = "/dev", Type = "bind", Source = sharedDev, Options = ["rbind", "rw"] });
            File.WriteAllText(Path.Combine(c.Rootfs, "masked-file"), "secret\n");
            c.Linux.MaskedPaths!.Add("/masked-file");
            c.Shell("stat -c '%F %t:%T' /masked-file; echo pwned > /masked-file; true");

            CliResult result;
            using (new ExchangeRace(Path.Combine(sharedDev, "null"), Path.Combine(sharedDev, "evil")))
                result = c.Run();

            Assert.True(before == Attack.Snapshot(canary), $"run {run}: the host changed:\n{Attack.Snapshot(canary)}\n{result}");
            Assert.Equal("secret\n", File.ReadAllText(Path.Combine(c.Rootfs, "masked-file")));
            if (result.ExitCode == 0)
                Assert.StartsWith("character special file 1:3", result.Stdout);
        }
    }

    [Theory]
    [InlineData("{canary}/canary")]
    [InlineData("../../../host-canary/canary")]
    [InlineData("{canary}")]
    [InlineData("{canary}/created-console")]    // created on the host if the link were followed there
    public void Cve_2025_52565_dev_console_leading_to_the_host_is_never_bound_over(string target)
    {
        using var c = new TestContainer(suite);
        var canary = Attack.MakeCanaryDir(c);
        var before = Attack.Snapshot(canary);
        Attack.UseRootfsDev(c);
        Attack.Symlink(c, "dev/console", target.Replace("{canary}", canary));
        using var socket = new ConsoleSocket(Path.Combine(c.Dir, "console.sock"));
        c.Process.Terminal = true;
        c.Shell("tty; echo done");

        var created = c.Create(null, "--console-socket", socket.Path);
        string output = "";
        if (created.ExitCode == 0)
        {
            using var master = socket.ReceiveMaster(TimeSpan.FromSeconds(30));
            // While created, the bind (if any) is in place: the host must not see it.
            Assert.True(before == Attack.Snapshot(canary), $"/dev/console -> {target} changed the host while created:\n{Attack.Snapshot(canary)}");
            c.Start().AssertSuccess();
            output = master.ReadUntilClosed(TimeSpan.FromSeconds(30));
            c.WaitForStatus(ContainerStatus.Stopped);
        }

        Assert.True(before == Attack.Snapshot(canary), $"/dev/console -> {target} changed the host:\n{Attack.Snapshot(canary)}\n{created}\n{output}");
    }

    [Fact]
    public void Cve_2025_52565_dev_console_raced_into_a_symlink_through_a_shared_dev_is_never_bound()
    {
        for (var run = 0; run < 8; run++)
        {
            using var c = new TestContainer(suite);
            var canary = Attack.MakeCanaryDir(c);
            var before = Attack.Snapshot(canary);
            var sharedDev = Path.Combine(c.Dir, "shared-dev");
            Directory.CreateDirectory(sharedDev);
            File.WriteAllText(Path.Combine(sharedDev, "console"), "");
            File.CreateSymbolicLink(Path.Combine(sharedDev, "evil"), Path.Combine(canary, "created-console"));
            c.Spec.Mounts!.RemoveAll(m => m.Destination == "/dev");
            c.Spec.Mounts!.Insert(1, new Mount { Destination = "/dev", Type = "bind", Source = sharedDev, Options = ["rbind", "rw"] });
            using var socket = new ConsoleSocket(Path.Combine(c.Dir, "console.sock"));
            c.Process.Terminal = true;
            c.Shell("echo done");

            CliResult created;
            using (new ExchangeRace(Path.Combine(sharedDev, "console"), Path.Combine(sharedDev, "evil")))
                created = c.Create(null, "--console-socket", socket.Path);
            if (created.ExitCode == 0)
            {
                using var master = socket.ReceiveMaster(TimeSpan.FromSeconds(30));
                Assert.True(before == Attack.Snapshot(canary), $"run {run}: the host changed while created:\n{Attack.Snapshot(canary)}");
                c.Start().AssertSuccess();
                master.ReadUntilClosed(TimeSpan.FromSeconds(30));
                c.WaitForStatus(ContainerStatus.Stopped);
            }
            Assert.True(before == Attack.Snapshot(canary), $"run {run}: the host changed:\n{Attack.Snapshot(canary)}\n{created}");
        }
    }

    private static void AssertRealDevices(string stdout)
    {
        var lines = Lines(stdout);
        Assert.Equal("/dev/null character special file 1:3", lines[0]);
        Assert.Equal("/dev/zero character special file 1:5", lines[1]);
        Assert.Equal("/dev/tty character special file 5:0", lines[5]);
        Assert.Equal("00", lines[6].Trim());
    }
}
