using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests.Security;

/// <summary>
/// Mount destinations and the directories and files made for them, inside a volume that another
/// container shares and rewrites while this one starts: a directory on the path is exchanged with
/// a symlink out of the rootfs (to a host directory by absolute path, and by "../" out of the
/// volume) thousands of times a second. Whatever the runtime resolves, nothing may be mounted on,
/// created in or written to the host directory.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class MountTargetRaceTests(Suite suite)
{
    private const int Runs = 12;

    [Fact]
    public void Cve_2021_30465_mounts_onto_a_path_raced_into_a_symlink_stay_in_the_rootfs()
    {
        RaceAgainst((c, volume) =>
        {
            for (var i = 0; i < 8; i++)
                c.Spec.Mounts!.Add(new Mount { Destination = $"/vol/d{i % 2}/m{i}", Type = "tmpfs", Source = "tmpfs", Options = ["size=64k"] });
            c.Spec.Mounts!.Add(new Mount { Destination = "/vol/d0", Type = "tmpfs", Source = "tmpfs", Options = ["size=64k"] });
        });
    }

    [Fact]
    public void Cve_2024_45310_directories_and_files_made_for_mounts_on_a_raced_path_stay_in_the_rootfs()
    {
        RaceAgainst((c, volume) =>
        {
            var fileSource = Path.Combine(c.Dir, "bind-file");
            File.WriteAllText(fileSource, "bound\n");
            for (var i = 0; i < 4; i++)
            {
                // Missing directories at depth, and a file created as a bind target: each would be
                // an empty directory or file made on the host if the symlink were followed there.
                c.Spec.Mounts!.Add(new Mount { Destination = $"/vol/d{i % 2}/new{i}/a/b", Type = "tmpfs", Source = "tmpfs", Options = ["size=64k"] });
                c.Spec.Mounts!.Add(new Mount { Destination = $"/vol/d{i % 2}/file{i}", Type = "bind", Source = fileSource, Options = ["bind", "ro"] });
            }
        });
    }

    private void RaceAgainst(Action<TestContainer, string> addMounts)
    {
        for (var run = 0; run < Runs; run++)
        {
            using var c = new TestContainer(suite);
            var canary = Attack.MakeCanaryDir(c);
            var before = Attack.Snapshot(canary);
            var volume = Path.Combine(c.Dir, "volume");
            Directory.CreateDirectory(Path.Combine(volume, "d0"));
            Directory.CreateDirectory(Path.Combine(volume, "d1"));
            File.CreateSymbolicLink(Path.Combine(volume, "l0"), canary);                 // absolute, to the host directory
            File.CreateSymbolicLink(Path.Combine(volume, "l1"), "../host-canary");       // relative, out of the volume
            c.Spec.Mounts!.Add(new Mount { Destination = "/vol", Type = "bind", Source = volume, Options = ["rbind", "rw"] });
            addMounts(c, volume);
            c.Shell("cat /proc/self/mountinfo");

            CliResult result;
            using (new ExchangeRace(Path.Combine(volume, "d0"), Path.Combine(volume, "l0")))
            using (new ExchangeRace(Path.Combine(volume, "d1"), Path.Combine(volume, "l1")))
                result = c.Run();

            Assert.True(before == Attack.Snapshot(canary),
                $"run {run}: the host directory changed:\n{Attack.Snapshot(canary)}\n{result}");
            if (result.ExitCode == 0)
            {
                // The container still has its own root with the volume in it.
                Assert.Contains(MountInfo.Parse(result.Stdout), m => m.MountPoint == "/vol");
            }
        }
    }
}
