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
}
