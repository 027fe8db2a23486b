using System.Diagnostics;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>cp, export, diff and commit: a container's filesystem read and written from the host.</summary>
[Collection(EngineCollection.Name)]
public sealed class FilesystemTests(EngineSuite suite)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A fresh host directory under the run's directory, removed by the caller.</summary>
    private string HostDirectory(string prefix)
    {
        string path = Path.Combine(suite.RunDir, Unique(prefix));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A shell pipeline in which "$SKIFF" is skiff with the suite's root and config.</summary>
    private SkiffResult Shell(string script)
    {
        ProcessStartInfo start = new("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["SKIFF"] = $"{EngineSuite.Binary} --root {suite.Root} --engine-config {suite.ConfigPath}";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} hung");
        }
        return new SkiffResult(process.ExitCode, output.Result, error.Result);
    }

    private string Rootfs(string id) => Path.Combine(suite.Root, "containers", id, "rootfs");

    [Fact]
    public void Cp_follows_dockers_path_rules_in_both_directions()
    {
        string host = HostDirectory("cp");
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "mkdir -p /made/sub && echo inside > /made/sub/f && echo top > /made/t && sleep 1000").Trim();
        try
        {
            Directory.CreateDirectory(Path.Combine(host, "src", "deep"));
            File.WriteAllText(Path.Combine(host, "src", "deep", "a"), "alpha\n");
            File.WriteAllText(Path.Combine(host, "file"), "one\n");
            Assert.True(Shell($"chown 1234:4321 {host}/file").Exit == 0);

            // A directory to a path that does not exist becomes that path; to an existing directory, goes inside it.
            suite.Ok("cp", Path.Combine(host, "src"), id + ":/copied");
            suite.Ok("cp", Path.Combine(host, "src"), id + ":/tmp");
            // "/." copies the contents; a file into an existing directory keeps its name.
            suite.Ok("exec", id, "mkdir", "/contents");
            suite.Ok("cp", Path.Combine(host, "src") + "/.", id + ":/contents");
            suite.Ok("cp", Path.Combine(host, "file"), id + ":/etc");
            suite.Ok("cp", "-a", Path.Combine(host, "file"), id + ":/kept-owner");
            Assert.Equal("alpha\nalpha\nalpha\none\n0:0 1234:4321\n", suite.Ok("exec", id, "sh", "-c",
                "cat /copied/deep/a /tmp/src/deep/a /contents/deep/a /etc/file; echo $(stat -c %u:%g /etc/file) $(stat -c %u:%g /kept-owner)"));

            // Out of the container: a directory under a new name, a file into an existing directory, a file to a new name.
            suite.Ok("cp", id + ":/made", Path.Combine(host, "out"));
            suite.Ok("cp", id + ":/made/t", host);
            suite.Ok("cp", id + ":/made/sub/f", Path.Combine(host, "renamed"));
            Assert.Equal("inside\n", File.ReadAllText(Path.Combine(host, "out", "sub", "f")));
            Assert.Equal("top\n", File.ReadAllText(Path.Combine(host, "t")));
            Assert.Equal("inside\n", File.ReadAllText(Path.Combine(host, "renamed")));

            SkiffResult missing = suite.Run("cp", id + ":/no/such", host);
            Assert.Equal(1, missing.Exit);
            Assert.Contains($"Could not find the file /no/such in container {id}", missing.Error);
            SkiffResult dirOverFile = suite.Run("cp", id + ":/made", Path.Combine(host, "t"));
            Assert.NotEqual(0, dirOverFile.Exit);
            Assert.Equal("top\n", File.ReadAllText(Path.Combine(host, "t")));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Cp_streams_tar_on_stdin_and_stdout()
    {
        string host = HostDirectory("cptar");
        string id = suite.Ok("run", "-d", "busybox", "sleep", "1000").Trim();
        try
        {
            Directory.CreateDirectory(Path.Combine(host, "in", "d"));
            File.WriteAllText(Path.Combine(host, "in", "d", "x"), "streamed\n");
            suite.Ok("exec", id, "mkdir", "/dir");
            SkiffResult into = Shell($"tar c -C {host}/in . | $SKIFF cp - {id}:/dir");
            Assert.True(into.Exit == 0, into.ToString());
            Assert.Equal("streamed\n", suite.Ok("exec", id, "cat", "/dir/d/x"));

            SkiffResult listing = Shell($"$SKIFF cp {id}:/etc - | tar t");
            Assert.True(listing.Exit == 0, listing.ToString());
            Assert.Contains("etc/passwd\n", listing.Out);
            Assert.Contains("etc/\n", listing.Out);

            SkiffResult notADirectory = Shell($"tar c -C {host}/in . | $SKIFF cp - {id}:/etc/passwd");
            Assert.NotEqual(0, notADirectory.Exit);
            Assert.Contains("/etc/passwd", notADirectory.Error);
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Cp_works_on_a_stopped_container_and_unmounts_after()
    {
        string host = HostDirectory("cpstopped");
        string id = suite.Ok("create", "busybox", "cat", "/given").Trim();
        try
        {
            File.WriteAllText(Path.Combine(host, "given"), "before start\n");
            suite.Ok("cp", Path.Combine(host, "given"), id + ":/given");
            Assert.Empty(MountInfo.Under(suite.Root));
            // A failed copy unmounts too, and leaves nothing in the container.
            SkiffResult failed = suite.Run("cp", Path.Combine(host, "given"), id + ":/no/such/dir/");
            Assert.Equal(1, failed.Exit);
            Assert.Contains($"Could not find the file /no/such/dir/ in container {id}", failed.Error);
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.False(Directory.Exists(Path.Combine(suite.Root, "rw", id, "upper", "no")));
            SkiffResult run = suite.Run("start", "-a", id);
            Assert.Equal("before start\n", run.Out);
            suite.Ok("cp", id + ":/given", Path.Combine(host, "back"));
            Assert.Equal("before start\n", File.ReadAllText(Path.Combine(host, "back")));
            Assert.Empty(MountInfo.Under(suite.Root));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Cp_into_a_container_never_follows_its_symlinks_out_of_the_rootfs()
    {
        string target = HostDirectory("host-target");
        string source = HostDirectory("cpsrc");
        File.WriteAllText(Path.Combine(source, "payload"), "payload\n");
        // The container makes the same path for itself, so the escaping link also has an in-root meaning.
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c",
            $"mkdir -p {target} && ln -s {target} /out && ln -s ../../../../../../../../../..{target} /rel && sleep 1000").Trim();
        try
        {
            WaitFor(() => File.Exists(Path.Combine(Rootfs(id), "rel")) || Directory.Exists(Path.Combine(Rootfs(id), "rel")));
            // Positive control: copied naively through the host's view of the rootfs, both links reach the host directory.
            File.Copy(Path.Combine(source, "payload"), Path.Combine(Rootfs(id), "out", "naive-abs"));
            File.Copy(Path.Combine(source, "payload"), Path.Combine(Rootfs(id), "rel", "naive-rel"));
            Assert.Equal(["naive-abs", "naive-rel"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName).Order());
            foreach (string file in Directory.GetFiles(target)) File.Delete(file);

            suite.Ok("cp", Path.Combine(source, "payload"), id + ":/out/x");
            suite.Ok("cp", Path.Combine(source, "payload"), id + ":/rel/y");
            suite.Ok("cp", source, id + ":/out");
            Assert.Empty(Directory.GetFileSystemEntries(target));
            Assert.Equal("payload\npayload\npayload\n", suite.Ok("exec", id, "cat", $"{target}/x", $"{target}/y", $"{target}/{Path.GetFileName(source)}/payload"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(target, recursive: true);
            Directory.Delete(source, recursive: true);
        }
    }

    [Fact]
    public void Cp_out_of_a_container_copies_a_symlink_to_a_host_file_as_a_symlink()
    {
        string host = HostDirectory("cpout");
        string secret = Path.Combine(host, "secret");
        File.WriteAllText(secret, "HOST SECRET\n");
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", $"ln -s {secret} /link-to-host-secret && sleep 1000").Trim();
        try
        {
            string link = Path.Combine(Rootfs(id), "link-to-host-secret");
            WaitFor(() => new FileInfo(link).LinkTarget is not null);
            // Positive control: read naively through the host's view of the rootfs, the link yields the host's file.
            Assert.Equal("HOST SECRET\n", File.ReadAllText(link));

            string copied = Path.Combine(host, "copied");
            suite.Ok("cp", id + ":/link-to-host-secret", copied);
            Assert.Equal(secret, new FileInfo(copied).LinkTarget);
            SkiffResult stream = Shell($"$SKIFF cp {id}:/link-to-host-secret - | tar tv");
            Assert.True(stream.Exit == 0, stream.ToString());
            Assert.Contains($"link-to-host-secret -> {secret}", stream.Out);
            SkiffResult content = Shell($"$SKIFF cp {id}:/link-to-host-secret - | tar xO");
            Assert.DoesNotContain("HOST SECRET", content.Out);

            // -L follows the link inside the container, where the host's path does not exist.
            SkiffResult followed = suite.Run("cp", "-L", id + ":/link-to-host-secret", Path.Combine(host, "followed"));
            Assert.Equal(1, followed.Exit);
            Assert.Contains("Could not find the file /link-to-host-secret in container", followed.Error);
            Assert.False(File.Exists(Path.Combine(host, "followed")));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Cp_is_not_led_out_by_a_symlink_swapped_during_the_copy()
    {
        string target = HostDirectory("swap-target");
        string source = HostDirectory("swapsrc");
        for (int i = 0; i < 50; i++) File.WriteAllText(Path.Combine(source, $"f{i}"), new string('x', 64 * 1024));
        // The container flips /swap between a real directory and a link to the host directory as fast as it can.
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c",
            $"while true; do rm -rf /swap; mkdir /swap; rm -rf /swap; ln -s {target} /swap; done").Trim();
        try
        {
            string swap = Path.Combine(Rootfs(id), "swap");
            // Positive control: the attack runs, the host sees the link to its directory come and go.
            WaitFor(() => new FileInfo(swap).LinkTarget == target);
            for (int i = 0; i < 20; i++) suite.Run("cp", source, id + ":/swap/d" + i);
            Assert.Empty(Directory.GetFileSystemEntries(target));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(target, recursive: true);
            Directory.Delete(source, recursive: true);
        }
    }

    [Fact]
    public void Export_writes_the_merged_rootfs_without_the_engines_mounts()
    {
        string host = HostDirectory("export");
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "echo added > /added && rm /etc/shadow && sleep 1000").Trim();
        try
        {
            WaitFor(() => File.Exists(Path.Combine(Rootfs(id), "added")));
            SkiffResult listing = Shell($"$SKIFF export {id} | tar t");
            Assert.True(listing.Exit == 0, listing.ToString());
            string[] names = listing.Out.Split('\n');
            Assert.Contains("added", names);
            Assert.Contains("bin/busybox", names);
            Assert.DoesNotContain("etc/shadow", names);
            // The container sees the engine's /etc/hosts; the export has the rootfs's own (empty) mount point.
            Assert.Contains("localhost", suite.Ok("exec", id, "cat", "/etc/hosts"));
            Assert.Equal("", Shell($"$SKIFF export {id} | tar xO etc/hosts").Out);

            suite.Ok("stop", "-t", "0", id);
            string file = Path.Combine(host, "stopped.tar");
            suite.Ok("export", "-o", file, id);
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.Equal("added\n", Shell($"tar xOf {file} added").Out);
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Diff_lists_added_changed_and_deleted_paths()
    {
        string id = Unique("diff");
        suite.Ok("run", "--name", id, "busybox", "sh", "-c", "echo new > /newfile && rm /etc/shadow && echo more >> /etc/group && mkdir -p /var/www/site && rm -rf /var/spool/mail");
        try
        {
            string[] lines = suite.Ok("diff", id).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (string line in (string[])["A /newfile", "C /etc", "D /etc/shadow", "C /etc/group", "C /var", "C /var/www", "A /var/www/site", "C /var/spool", "D /var/spool/mail"])
                Assert.Contains(line, lines);
            Assert.DoesNotContain("C /bin", lines);
            // The runtime's mount points for the engine's /etc files are not the container's changes.
            Assert.DoesNotContain("A /etc/hosts", lines);
            Assert.DoesNotContain("A /etc/resolv.conf", lines);
            Assert.Equal(lines.Select(l => l[2..]).Order(StringComparer.Ordinal), lines.Select(l => l[2..]));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
    }

    [Fact]
    public void An_unchanged_container_shows_no_diff_and_commits_an_empty_layer()
    {
        string id = Unique("unchanged");
        string image = "unchanged-" + Guid.NewGuid().ToString("N")[..8];
        suite.Ok("run", "--name", id, "busybox", "true");
        try
        {
            // The runtime made the mount points of the engine's /etc files in the writable layer,
            // and so brought /etc up into it: the engine's doing, which Docker keeps in a layer of
            // its own, so that its diff and commit of such a container are empty.
            string upper = Path.Combine(suite.Root, "rw", suite.Ok("inspect", "-f", "{{.Id}}", id).Trim(), "upper");
            Assert.True(File.Exists(Path.Combine(upper, "etc", "hosts")));
            Assert.Equal("", suite.Ok("diff", id));
            suite.Ok("commit", id, image);
            Assert.Equal("0B", suite.Ok("history", "--format", "{{.Size}}", image).Split('\n')[0]);
            Assert.Equal("ok\n", suite.Ok("run", "--rm", image, "echo", "ok"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            suite.Run("rmi", "-f", image);
        }
    }

    [Fact]
    public void Commit_round_trips_deletions_and_additions_through_save_and_load()
    {
        string host = HostDirectory("commit");
        string image = "committed-" + Guid.NewGuid().ToString("N")[..8];
        // Before: the image has these, so their absence later is the commit's doing.
        Assert.Equal("shadow\nyes\n", suite.Ok("run", "--rm", "busybox", "sh", "-c", "ls /etc | grep shadow; test -n \"$(ls /usr/sbin)\" && echo yes"));
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c",
            "rm /etc/shadow && rm -rf /usr/sbin/* && rm -rf /var/spool && mkdir /var/spool && echo fresh > /var/spool/fresh && echo added > /added && sleep 1000").Trim();
        try
        {
            WaitFor(() => File.Exists(Path.Combine(Rootfs(id), "added")));
            string committed = suite.Ok("commit", "-c", "CMD [\"cat\", \"/added\"]", "-m", "round trip", id, image).Trim();
            Assert.Matches("^sha256:[0-9a-f]{64}$", committed);
            // --pause (the default) thawed the container again.
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
            Assert.Contains("round trip", suite.Ok("history", image));

            string archive = Path.Combine(host, "image.tar");
            suite.Ok("save", "-o", archive, image);
            suite.Ok("rmi", image);
            Assert.NotEqual(0, suite.Run("image", "inspect", image).Exit);
            suite.Ok("load", "-i", archive);

            Assert.Equal("added\n", suite.Ok("run", "--rm", image));
            // Nor does the image carry the empty mount points the runtime made for /etc/hosts and friends.
            string probe = suite.Ok("create", image).Trim();
            SkiffResult listing = Shell($"$SKIFF export {probe} | tar t");
            suite.Ok("rm", probe);
            Assert.Contains("added\n", listing.Out);
            Assert.DoesNotContain("etc/hosts\n", listing.Out);
            Assert.Equal("gone\nempty\nfresh\n", suite.Ok("run", "--rm", image, "sh", "-c",
                "test -e /etc/shadow || echo gone; test -z \"$(ls /usr/sbin)\" && echo empty; ls /var/spool"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            suite.Run("rmi", "-f", image);
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Commit_of_a_running_container_without_pause_keeps_it_running()
    {
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "echo x > /x && sleep 1000").Trim();
        string committed = "";
        try
        {
            // run -d returns once the container is started, not once its first command has run.
            string written = Path.Combine(suite.Root, "containers", id, "rootfs", "x");
            WaitFor(() => File.Exists(written) && File.ReadAllText(written) == "x\n");
            committed = suite.Ok("commit", "--pause=false", id).Trim();
            Assert.Matches("^sha256:[0-9a-f]{64}$", committed);
            Assert.Equal("running\n", suite.Ok("inspect", "-f", "{{.State.Status}}", id));
            Assert.Equal("x\n", suite.Ok("run", "--rm", committed, "cat", "/x"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            if (committed.Length > 0) suite.Run("rmi", committed);
        }
    }

    [Fact]
    public void Cp_says_what_it_copied_on_a_terminal_as_docker_does_and_nothing_otherwise()
    {
        string id = suite.Ok("run", "-d", "busybox", "sh", "-c", "seq 1 3000 > /numbers; sleep 1000").Trim();
        string host = Path.Combine(suite.RunDir, "cp-report-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(host);
        try
        {
            string numbers = Path.Combine(suite.Root, "containers", id, "rootfs", "numbers");
            WaitFor(() => File.Exists(numbers) && File.ReadAllText(numbers).EndsWith("3000\n"));
            // The size Docker reports is the archive's: the same stream `cp CONTAINER:SRC -` writes.
            long archive = TarSize(id + ":/numbers");
            string skiff = $"{EngineSuite.Binary} --root {suite.Root} --engine-config {suite.ConfigPath}";
            string screen = OnTerminal($"{skiff} cp {id}:/numbers {host}/out; {skiff} cp {host}/out {id}:/back");
            Assert.Contains($"Successfully copied {Human(archive)} to {host}/out", screen);
            Assert.Contains($"Successfully copied {Human(archive)} to {id}:/back", screen);
            Assert.Equal(File.ReadAllText(numbers), File.ReadAllText(Path.Combine(host, "out")));
            // Without a terminal Docker prints nothing, and neither does skiff.
            SkiffResult quiet = suite.Run("cp", id + ":/numbers", Path.Combine(host, "again"));
            Assert.Equal((0, "", ""), (quiet.Exit, quiet.Out, quiet.Error));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            Directory.Delete(host, recursive: true);
        }
    }

    private long TarSize(string source)
    {
        System.Diagnostics.ProcessStartInfo start = new(EngineSuite.Binary) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in (string[])["--root", suite.Root, "--engine-config", suite.ConfigPath, "cp", source, "-"]) start.ArgumentList.Add(arg);
        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        using MemoryStream tar = new();
        process.StandardOutput.BaseStream.CopyTo(tar);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return tar.Length;
    }

    /// <summary>Decimal units, four significant digits, as Docker's go-units HumanSize.</summary>
    private static string Human(long bytes) =>
        bytes < 1000 ? $"{bytes}B" : (bytes / 1000.0).ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + "kB";

    private static string OnTerminal(string command)
    {
        System.Diagnostics.ProcessStartInfo start = new("script", ["-qfec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        using System.Diagnostics.Process script = System.Diagnostics.Process.Start(start)!;
        script.StandardInput.Close();
        string screen = script.StandardOutput.ReadToEnd();
        script.WaitForExit();
        Assert.True(script.ExitCode == 0, screen);
        return screen.Replace("\r", "");
    }

    private static void WaitFor(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the container");
            Thread.Sleep(20);
        }
    }
}
