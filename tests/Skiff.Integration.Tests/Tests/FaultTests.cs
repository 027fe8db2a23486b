using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// What a damaged --root or a crowd of callers must not do: orphan a running container, or fail
/// a `delete --force` that found nothing left to do.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class FaultTests(Suite suite)
{
    private static string StateFile(TestContainer c) => Path.Combine(c.Cli.StateRoot, c.Id, "state.json");

    public static TheoryData<string> Damages => ["truncated", "empty", "garbage"];

    private static void Damage(string file, string how)
    {
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, how switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "empty" => [],
            _ => "{\"id\": [1, 2"u8.ToArray(),
        });
    }

    private static int StartDamaged(TestContainer c, string how)
    {
        c.Shell("sleep 600");
        c.Create().AssertSuccess();
        c.Start().AssertSuccess();
        int pid = c.PidFromFile();
        Damage(StateFile(c), how);
        return pid;
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_corrupt_state_file_keeps_the_container_and_its_id(string how)
    {
        using var c = new TestContainer(suite);
        int pid = StartDamaged(c, how);

        var delete = c.Delete();
        Assert.True(delete.ExitCode != 0, $"delete of a container whose record is unreadable must refuse\n{delete}");
        if (RuntimeUnderTest.IsSkiff) // runc 1.1.5 words it as its JSON decoder does
            Assert.Contains("state.json is corrupt", delete.Stderr);
        Assert.True(HostProcesses.IsAlive(pid), "the container's process was killed by a refused delete");
        var list = c.Cli.Invoke("list");
        Assert.Contains(c.Id, list.Stdout + list.Stderr); // runc names it on stderr, skiff-runc lists it as "unknown"
        var again = c.Create();
        Assert.True(again.ExitCode != 0, $"a create of the same id must not join the running one\n{again}");
        Assert.Contains("already exists", again.Stderr);
    }

    [SkiffOnlyTheory("runc 1.1.5 refuses delete --force too: the container can then only be removed by hand")]
    [MemberData(nameof(Damages))]
    public void Delete_force_of_a_corrupt_record_kills_everything_in_its_cgroup(string how)
    {
        using var c = new TestContainer(suite);
        int pid = StartDamaged(c, how);

        c.Delete(force: true).AssertSuccess();
        Assert.False(HostProcesses.IsAlive(pid), $"pid {pid} still runs after delete --force");
        c.AssertNothingLeftBehind();
    }

    [Fact]
    public void Parallel_delete_force_of_one_container_all_succeed()
    {
        for (int round = 0; round < 5; round++)
        {
            using var c = new TestContainer(suite);
            c.Shell("sleep 600");
            c.Create().AssertSuccess();
            c.Start().AssertSuccess();
            int pid = c.PidFromFile();

            CliResult[] results = new CliResult[20];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, i => results[i] = c.Delete(force: true));

            var failed = results.Where(r => r.ExitCode != 0).ToList();
            Assert.True(failed.Count == 0, $"{failed.Count} of {results.Length} delete --force calls failed; first:\n{failed.FirstOrDefault()}");
            Assert.False(HostProcesses.IsAlive(pid));
            c.AssertNothingLeftBehind();
        }
    }

    /// <summary>
    /// kill -9 of the runtime at spread-out moments of create, run and delete: whatever it left,
    /// one delete --force removes, and then nothing of the container remains.
    /// </summary>
    [SkiffOnlyTheory("runc 1.1.5 can leave the cgroup of a create killed mid-way")]
    [InlineData("create")]
    [InlineData("run")]
    [InlineData("delete")]
    public void Kill_9_at_any_point_leaves_nothing_a_delete_force_cannot_remove(string verb)
    {
        var random = new Random(verb.Length * 7919);
        var killedAt = new List<string>();
        for (int round = 0; round < 12; round++)
        {
            using var c = new TestContainer(suite);
            c.Shell("sleep 600");
            c.WriteConfig();
            if (verb == "delete")
            {
                c.Create().AssertSuccess();
                c.Start().AssertSuccess();
            }
            string[] args = verb switch
            {
                "create" => ["create", "--bundle", c.BundleDir, "--pid-file", c.PidFile, c.Id],
                "run" => ["run", "--bundle", c.BundleDir, c.Id],
                _ => ["delete", "--force", c.Id],
            };
            int delay = round * 8 + random.Next(8);
            using (RunningCli running = c.Cli.Start(new CliOptions(), args))
            {
                Thread.Sleep(delay);
                bool wasRunning = !running.HasExited;
                Native.Kill(running.Pid, 9);
                running.WaitForExit(TimeSpan.FromSeconds(30));
                killedAt.Add($"{delay} ms{(wasRunning ? "" : " (already done)")}");
            }

            var delete = c.Delete(force: true);
            Assert.True(delete.ExitCode == 0, $"delete --force after kill -9 of {verb} at {delay} ms failed\n{delete}");
            c.AssertNothingLeftBehind();
        }
        Assert.Contains(killedAt, k => !k.EndsWith("(already done)"));
    }

    /// <summary>A --root with no space left: one clear line, and nothing made anywhere.</summary>
    [Fact]
    public void A_full_root_fails_create_cleanly()
    {
        using var c = new TestContainer(suite);
        string root = Path.Combine(c.Dir, "full-root");
        Directory.CreateDirectory(root);
        HostCommand.Run("/bin/mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", root);
        c.OnDispose(() => Native.Umount2(root, Native.MNT_DETACH));
        try { File.WriteAllBytes(Path.Combine(root, "filler"), new byte[1024 * 1024]); }
        catch (IOException) { } // filled up, as intended
        c.Shell("sleep 600");
        c.WriteConfig();
        var cli = new RuntimeCli(root, c.Dir);

        var result = cli.Invoke("create", "--bundle", c.BundleDir, c.Id);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(result.StderrLines);
        Assert.Contains("no space left on device", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(root, c.Id)), "a half-made state directory was left");
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(c.CgroupsPath));
        Assert.Equal(0, Native.Umount2(root, 0)); // the test's own tmpfs, before the leftover check
        c.AssertNothingLeftBehind();
    }
}
