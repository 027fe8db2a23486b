using System.Diagnostics;
using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>Volumes: `skiff volume ...`, -v and --mount type=volume, copy-up, and their lifetimes with containers.</summary>
[Collection(EngineCollection.Name)]
public sealed class VolumeTests(EngineSuite suite)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private string Data(string volume) => Path.Combine(suite.Root, "volumes", volume, "_data");

    private HashSet<string> Volumes() => [.. suite.Ok("volume", "ls", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private JsonElement InspectContainer(string reference) => JsonDocument.Parse(suite.Ok("inspect", reference)).RootElement[0];

    private static List<JsonElement> VolumeMounts(JsonElement container) =>
        [.. container.GetProperty("Mounts").EnumerateArray().Where(m => m.GetProperty("Type").GetString() == "volume")];

    [Fact]
    public void A_named_volume_keeps_its_data_from_one_container_to_the_next()
    {
        string volume = Unique("keep");
        suite.Ok("run", "--rm", "-v", $"{volume}:/data", "busybox", "sh", "-c", "echo persisted > /data/file; mkdir /data/dir");
        Assert.Contains(volume, Volumes());
        Assert.Equal("persisted\n", File.ReadAllText(Path.Combine(Data(volume), "file")));
        // The second container mounts it with --mount, read-only.
        string output = suite.Ok("run", "--rm", "--mount", $"type=volume,source={volume},target=/again,readonly", "busybox",
            "sh", "-c", "cat /again/file; ls -d /again/dir; touch /again/x 2>/dev/null || echo read-only");
        Assert.Equal("persisted\n/again/dir\nread-only\n", output);

        JsonElement inspect = JsonDocument.Parse(suite.Ok("volume", "inspect", volume)).RootElement[0];
        Assert.Equal(volume, inspect.GetProperty("Name").GetString());
        Assert.Equal("local", inspect.GetProperty("Driver").GetString());
        Assert.Equal("local", inspect.GetProperty("Scope").GetString());
        Assert.Equal(Data(volume), inspect.GetProperty("Mountpoint").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", inspect.GetProperty("CreatedAt").GetString());
        Assert.Equal(Data(volume) + "\n", suite.Ok("volume", "inspect", "-f", "{{.Mountpoint}}", volume));

        Assert.Equal(volume + "\n", suite.Ok("volume", "rm", volume));
        Assert.DoesNotContain(volume, Volumes());
        Assert.False(Directory.Exists(Path.Combine(suite.Root, "volumes", volume)));
    }

    [Fact]
    public void An_anonymous_volume_shows_in_inspect_and_goes_with_rm_v_but_not_with_rm()
    {
        HashSet<string> before = Volumes();
        string kept = suite.Ok("create", "-v", "/scratch", "busybox", "sh", "-c", "echo hi > /scratch/f").Trim();
        string removed = suite.Ok("create", "-v", "/scratch", "busybox", "true").Trim();
        try
        {
            suite.Ok("start", "-a", kept);
            List<JsonElement> mounts = VolumeMounts(InspectContainer(kept));
            JsonElement mount = Assert.Single(mounts);
            string name = mount.GetProperty("Name").GetString()!;
            Assert.Matches("^[0-9a-f]{64}$", name);
            Assert.Equal("/scratch", mount.GetProperty("Destination").GetString());
            Assert.Equal(Data(name), mount.GetProperty("Source").GetString());
            Assert.Equal("local", mount.GetProperty("Driver").GetString());
            Assert.True(mount.GetProperty("RW").GetBoolean());
            Assert.Equal("hi\n", File.ReadAllText(Path.Combine(Data(name), "f")));
            Assert.Contains(name, Volumes());
            JsonElement volume = JsonDocument.Parse(suite.Ok("volume", "inspect", name)).RootElement[0];
            Assert.True(volume.GetProperty("Labels").TryGetProperty("com.docker.volume.anonymous", out _));

            string other = VolumeMounts(InspectContainer(removed))[0].GetProperty("Name").GetString()!;
            Assert.NotEqual(name, other);

            suite.Ok("rm", kept);
            Assert.Contains(name, Volumes());
            Assert.True(File.Exists(Path.Combine(Data(name), "f")));
            suite.Ok("rm", "-v", removed);
            Assert.DoesNotContain(other, Volumes());
            Assert.False(Directory.Exists(Path.Combine(suite.Root, "volumes", other)));

            // --rm takes its anonymous volumes with it, never a named one.
            string named = Unique("named");
            suite.Ok("run", "--rm", "-v", "/tmp-anon", "-v", $"{named}:/named", "busybox", "true");
            Assert.Equal(before.Append(name).Append(named).Order(), Volumes().Order());
            suite.Ok("volume", "rm", name, named);
        }
        finally
        {
            suite.Run("rm", "-f", "-v", kept, removed);
        }
        Assert.Equal(before.Order(), Volumes().Order());
    }

    [Fact]
    public void An_empty_volume_gets_the_images_directory_unless_nocopy()
    {
        string copied = Unique("etc");
        string output = suite.Ok("run", "--rm", "-v", $"{copied}:/etc", "busybox", "sh", "-c", "grep ^root: /etc/passwd; cat /etc/hostname >/dev/null && echo host-files");
        Assert.StartsWith("root:x:0:0:", output);
        Assert.EndsWith("host-files\n", output);
        Assert.StartsWith("root:x:0:0:", File.ReadAllText(Path.Combine(Data(copied), "passwd")));
        // The volume's root takes the directory's owner and mode.
        Assert.Equal(File.GetUnixFileMode(Path.Combine(suite.Root, "volumes", copied, "_data")) & (UnixFileMode)0x1FF,
            (UnixFileMode)Convert.ToInt32(suite.Ok("run", "--rm", "busybox", "stat", "-c", "%a", "/etc").Trim(), 8));

        // Only into an empty volume: what a container wrote stays, and nothing comes back.
        File.Delete(Path.Combine(Data(copied), "group"));
        File.WriteAllText(Path.Combine(Data(copied), "mine"), "kept\n");
        Assert.Equal("kept\nno-group\n", suite.Ok("run", "--rm", "-v", $"{copied}:/etc", "busybox", "sh", "-c", "cat /etc/mine; test -e /etc/group || echo no-group"));

        string empty = Unique("nocopy");
        Assert.Equal("", suite.Ok("run", "--rm", "--mount", $"type=volume,source={empty},target=/etc,volume-nocopy", "busybox", "sh", "-c", "ls /etc | grep -v -e hosts -e hostname -e resolv.conf || true"));
        Assert.False(File.Exists(Path.Combine(Data(empty), "passwd")));
        string empty2 = Unique("nocopy-v");
        suite.Ok("run", "--rm", "-v", $"{empty2}:/etc:nocopy", "busybox", "true");
        Assert.False(File.Exists(Path.Combine(Data(empty2), "passwd")));

        suite.Ok("volume", "rm", copied, empty, empty2);
    }

    [Fact]
    public void An_image_volume_becomes_an_anonymous_volume_filled_from_the_image()
    {
        string dir = Path.Combine(suite.RunDir, Unique("img"));
        Directory.CreateDirectory(Path.Combine(dir, "bin"));
        Directory.CreateDirectory(Path.Combine(dir, "data", "sub"));
        File.Copy("/bin/busybox", Path.Combine(dir, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(dir, "bin", "sh"), "busybox");
        File.WriteAllText(Path.Combine(dir, "data", "sub", "hello"), "from the image\n");
        File.CreateSymbolicLink(Path.Combine(dir, "data", "link"), "sub/hello");
        string tar = dir + ".tar";
        Exec("tar", "-C", dir, "--owner=1000", "--group=1000", "-cf", tar, ".");
        string image = Unique("volimg") + ":1";
        suite.Ok("import", "-c", "VOLUME /data", "-c", "CMD [\"/bin/sh\"]", tar, image);
        string id = suite.Ok("create", image, "/bin/sh", "-c", "/bin/busybox cat /data/link; /bin/busybox stat -c '%u %g' /data /data/sub/hello").Trim();
        try
        {
            suite.Ok("start", "-a", id);
            Assert.Equal("from the image\n1000 1000\n1000 1000\n", suite.Ok("logs", id));
            JsonElement mount = Assert.Single(VolumeMounts(InspectContainer(id)));
            Assert.Equal("/data", mount.GetProperty("Destination").GetString());
            string name = mount.GetProperty("Name").GetString()!;
            Assert.Equal("sub/hello", new FileInfo(Path.Combine(Data(name), "link")).LinkTarget);

            // A bind on the image's VOLUME replaces the anonymous volume.
            string host = Path.Combine(suite.RunDir, Unique("bind"));
            Directory.CreateDirectory(host);
            Assert.Equal("0\n", suite.Ok("run", "--rm", "-v", $"{host}:/data", image, "/bin/sh", "-c", "/bin/busybox ls /data | /bin/busybox wc -l"));

            suite.Ok("rm", "-v", id);
            Assert.DoesNotContain(name, Volumes());
        }
        finally
        {
            suite.Run("rm", "-f", "-v", id);
            suite.Run("rmi", image);
        }
    }

    [Fact]
    public void Copy_up_copies_a_symlink_as_a_symlink_and_never_reads_the_host()
    {
        // A host file and directory the image's symlinks point at by absolute path.
        string secret = Path.Combine(suite.RunDir, Unique("host-secret"));
        File.WriteAllText(secret, "HOST SECRET\n");
        string secretDir = Path.Combine(suite.RunDir, Unique("host-secret-dir"));
        Directory.CreateDirectory(secretDir);
        File.WriteAllText(Path.Combine(secretDir, "shadow"), "HOST SHADOW\n");

        string volume = Unique("hostile"), volume2 = Unique("hostile-dir");
        string id = suite.Ok("create", "-v", $"{volume}:/data", "-v", $"{volume2}:/linked", "busybox", "sh", "-c", "readlink /data/link; ls /linked | wc -l").Trim();
        try
        {
            // What the container's first start will see, planted in its writable layer: a directory
            // holding a symlink to the host file, a climbing symlink, and a mount destination that is
            // itself a symlink to a host directory.
            string upper = Path.Combine(suite.Root, "rw", id, "upper");
            Directory.CreateDirectory(Path.Combine(upper, "data"));
            File.CreateSymbolicLink(Path.Combine(upper, "data", "link"), secret);
            File.CreateSymbolicLink(Path.Combine(upper, "data", "up"), "../../../../../../../../" + secret.TrimStart('/'));
            File.CreateSymbolicLink(Path.Combine(upper, "linked"), secretDir);

            SkiffResult run = suite.Run("start", "-a", id);
            Assert.True(run.Exit == 0, run.ToString());
            Assert.Equal($"{secret}\n0\n", run.Out);

            string data = Data(volume);
            Assert.Equal(secret, new FileInfo(Path.Combine(data, "link")).LinkTarget);
            Assert.NotNull(new FileInfo(Path.Combine(data, "up")).LinkTarget);
            foreach (string file in Directory.EnumerateFiles(data, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                Assert.True(new FileInfo(file).LinkTarget is not null, $"{file} is a copy, not a symlink");
            Assert.Empty(Directory.EnumerateFileSystemEntries(Data(volume2)));
            Assert.Equal("HOST SECRET\n", File.ReadAllText(secret));
            Assert.Equal("shadow", Path.GetFileName(Assert.Single(Directory.EnumerateFileSystemEntries(secretDir))));
        }
        finally
        {
            suite.Run("rm", "-f", id);
            suite.Run("volume", "rm", volume, volume2);
        }
    }

    [Fact]
    public void A_volume_in_use_is_not_removed()
    {
        string volume = Unique("busy");
        string id = suite.Ok("create", "-v", $"{volume}:/data", "busybox", "true").Trim();
        try
        {
            SkiffResult refused = suite.Run("volume", "rm", volume);
            Assert.Equal(1, refused.Exit);
            Assert.Equal($"Error response from daemon: remove {volume}: volume is in use - [{id}]\n", refused.Error);
            SkiffResult forced = suite.Run("volume", "rm", "-f", volume);
            Assert.Equal(1, forced.Exit);
            Assert.Contains("volume is in use", forced.Error);
            Assert.Contains(volume, Volumes());
            Assert.True(Directory.Exists(Data(volume)));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        suite.Ok("volume", "rm", volume);
        Assert.DoesNotContain(volume, Volumes());
    }

    [Fact]
    public void A_tmpfs_volume_is_mounted_while_a_container_runs_and_gone_after()
    {
        string volume = Unique("tmp");
        Assert.Equal(volume + "\n", suite.Ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=10m", "-l", "purpose=test", volume));
        JsonElement inspect = JsonDocument.Parse(suite.Ok("volume", "inspect", volume)).RootElement[0];
        Assert.Equal("tmpfs", inspect.GetProperty("Options").GetProperty("type").GetString());
        Assert.Equal("size=10m", inspect.GetProperty("Options").GetProperty("o").GetString());
        Assert.Equal("test", inspect.GetProperty("Labels").GetProperty("purpose").GetString());

        string output = suite.Ok("run", "--rm", "-v", $"{volume}:/t", "busybox", "sh", "-c", "grep ' /t ' /proc/mounts | cut -d' ' -f3; df -k /t | tail -1 | awk '{print $2}'; echo x > /t/f && cat /t/f");
        Assert.Equal("tmpfs\n10240\nx\n", output);
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Data(volume)));

        // Two containers running at once share the one tmpfs; it goes when the last one stops.
        string first = suite.Ok("run", "-d", "-v", $"{volume}:/t", "busybox", "sh", "-c", "echo one > /t/shared; sleep 1000").Trim();
        string second = suite.Ok("run", "-d", "-v", $"{volume}:/t", "busybox", "sleep", "1000").Trim();
        try
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (suite.Run("exec", second, "cat", "/t/shared").Out != "one\n" && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.Equal("one\n", suite.Ok("exec", second, "cat", "/t/shared"));
            suite.Ok("stop", "-t", "0", first);
            Assert.Equal("one\n", suite.Ok("exec", second, "cat", "/t/shared"));
            Assert.Single(MountInfo.Under(suite.Root), m => m.MountPoint == Data(volume));
            suite.Ok("stop", "-t", "0", second);
            Assert.Empty(MountInfo.Under(suite.Root));
        }
        finally
        {
            suite.Run("rm", "-f", first, second);
        }
        suite.Ok("volume", "rm", volume);
    }

    [Fact]
    public void A_copy_up_that_fails_is_undone_and_says_why()
    {
        string volume = Unique("small");
        suite.Ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=64k", volume);
        try
        {
            // busybox's /bin does not fit in 64 kB.
            SkiffResult full = suite.Run("run", "--rm", "-v", $"{volume}:/bin", "busybox", "true");
            Assert.Equal(125, full.Exit);
            Assert.Single(full.Error.Trim().Split('\n'));
            Assert.Contains($"copying the image's /bin into volume {volume}:", full.Error);
            Assert.Contains("no space left on device", full.Error);
            Assert.Equal("", suite.Ok("ps", "-aq"));
            Assert.Empty(MountInfo.Under(suite.Root));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Data(volume)));
        }
        finally
        {
            suite.Run("volume", "rm", volume);
        }
    }

    [Fact]
    public void A_bind_volume_mounts_its_device()
    {
        string host = Path.Combine(suite.RunDir, Unique("device"));
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "present"), "on the host\n");
        string volume = Unique("bindvol");
        suite.Ok("volume", "create", "--driver", "local", "-o", "type=none", "-o", "o=bind", "-o", $"device={host}", volume);
        Assert.Equal("on the host\n", suite.Ok("run", "--rm", "-v", $"{volume}:/b", "busybox", "sh", "-c", "cat /b/present; echo back > /b/written"));
        Assert.Equal("back\n", File.ReadAllText(Path.Combine(host, "written")));
        Assert.Empty(MountInfo.Under(suite.Root));
        suite.Ok("volume", "rm", volume);
        // Removing the volume never reaches into the device.
        Assert.True(File.Exists(Path.Combine(host, "present")));
    }

    [Fact]
    public void Prune_removes_only_unused_volumes_and_only_anonymous_ones_without_all()
    {
        string unusedNamed = Unique("unused"), usedNamed = Unique("used");
        suite.Ok("volume", "create", unusedNamed);
        string user = suite.Ok("create", "-v", $"{usedNamed}:/n", "-v", "/anon", "busybox", "true").Trim();
        string leaver = suite.Ok("create", "-v", "/anon", "busybox", "true").Trim();
        try
        {
            string usedAnonymous = VolumeMounts(InspectContainer(user)).Single(m => m.GetProperty("Destination").GetString() == "/anon").GetProperty("Name").GetString()!;
            string unusedAnonymous = VolumeMounts(InspectContainer(leaver))[0].GetProperty("Name").GetString()!;
            suite.Ok("rm", leaver);

            HashSet<string> dangling = [.. suite.Ok("volume", "ls", "-q", "--filter", "dangling=true").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
            Assert.Contains(unusedNamed, dangling);
            Assert.Contains(unusedAnonymous, dangling);
            Assert.DoesNotContain(usedNamed, dangling);
            Assert.DoesNotContain(usedAnonymous, dangling);
            HashSet<string> inUse = [.. suite.Ok("volume", "ls", "-q", "--filter", "dangling=false").Split('\n', StringSplitOptions.RemoveEmptyEntries)];
            Assert.Contains(usedAnonymous, inUse);
            Assert.Contains(usedNamed, inUse);
            Assert.DoesNotContain(unusedNamed, inUse);

            // Answering no removes nothing.
            SkiffResult declined = suite.RunWithInput("n\n", "volume", "prune");
            Assert.Contains("anonymous local volumes", declined.Out);
            Assert.Contains(unusedAnonymous, Volumes());

            string pruned = suite.Ok("volume", "prune", "-f");
            Assert.Contains($"Deleted Volumes:\n{unusedAnonymous}\n", pruned);
            Assert.Contains("Total reclaimed space:", pruned);
            HashSet<string> left = Volumes();
            Assert.DoesNotContain(unusedAnonymous, left);
            Assert.Contains(unusedNamed, left);
            Assert.Contains(usedNamed, left);
            Assert.Contains(usedAnonymous, left);

            suite.Ok("volume", "prune", "-f", "-a");
            left = Volumes();
            Assert.DoesNotContain(unusedNamed, left);
            Assert.Contains(usedNamed, left);
            Assert.Contains(usedAnonymous, left);
        }
        finally
        {
            suite.Run("rm", "-f", "-v", user, leaver);
            suite.Run("volume", "rm", "-f", unusedNamed, usedNamed);
        }
        Assert.DoesNotContain(usedNamed, Volumes());
    }

    [Fact]
    public void Ls_filters_and_formats()
    {
        string a = Unique("fa"), b = Unique("fb");
        suite.Ok("volume", "create", "--label", "team=blue", a);
        suite.Ok("volume", "create", "--name", b);
        try
        {
            Assert.Equal(a + "\n", suite.Ok("volume", "ls", "-q", "--filter", "label=team=blue"));
            Assert.Equal(a + "\n", suite.Ok("volume", "ls", "-q", "--filter", "label=team", "--filter", $"name={a[..5]}"));
            Assert.Equal(b + "\n", suite.Ok("volume", "ls", "-q", "--filter", $"name={b}"));
            string table = suite.Ok("volume", "ls", "--filter", $"name={b}");
            Assert.Matches($"^DRIVER +VOLUME NAME\nlocal +{b}\n$", table);
            Assert.Equal($"{b} {Data(b)}\n", suite.Ok("volume", "ls", "--filter", $"name={b}", "--format", "{{.Name}} {{.Mountpoint}}"));
            JsonElement row = JsonDocument.Parse(suite.Ok("volume", "ls", "--filter", $"name={a}", "--format", "json")).RootElement;
            Assert.Equal(a, row.GetProperty("Name").GetString());
            Assert.Equal("team=blue", row.GetProperty("Labels").GetString());
            SkiffResult bad = suite.Run("volume", "ls", "--filter", "colour=red");
            Assert.NotEqual(0, bad.Exit);
            Assert.Contains("invalid filter 'colour'", bad.Error);
        }
        finally
        {
            suite.Run("volume", "rm", a, b);
        }
    }

    [Fact]
    public void Bad_input_gets_one_clear_line_and_makes_nothing()
    {
        HashSet<string> before = Volumes();
        string containers = suite.Ok("ps", "-aq");

        SkiffResult name = suite.Run("volume", "create", "bad/name");
        Assert.Equal(1, name.Exit);
        Assert.Equal("Error response from daemon: create bad/name: \"bad/name\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path\n", name.Error);

        SkiffResult runName = suite.Run("run", "--rm", "-v", "bad!name:/x", "busybox", "true");
        Assert.Equal(125, runName.Exit);
        Assert.Single(runName.Error.Trim().Split('\n'));
        Assert.Contains("includes invalid characters for a local volume name", runName.Error);

        SkiffResult mountName = suite.Run("run", "--rm", "--mount", "type=volume,source=x y,target=/x", "busybox", "true");
        Assert.Equal(125, mountName.Exit);
        Assert.Contains("includes invalid characters", mountName.Error);

        foreach ((string[] args, string message) in new (string[], string)[]
        {
            (["-o", "colour=red"], "invalid option: \"colour\""),
            (["-o", "type=tmpfs"], "missing required option: \"device\""),
            (["-o", "o=size=1m", "-o", "type=tmpfs"], "missing required option: \"device\""),
            (["-o", "novalue"], "expected KEY=VALUE"),
            (["-o", "type=none", "-o", "device=/tmp"], "type \"none\" needs o=bind"),
            (["-d", "nfs-plugin"], "plugin \"nfs-plugin\" not found"),
        })
        {
            string volume = Unique("badopt");
            SkiffResult result = suite.Run(["volume", "create", .. args, volume]);
            Assert.True(result.Exit != 0, result.ToString());
            Assert.Single(result.Error.Trim().Split('\n'));
            Assert.Contains(message, result.Error);
            Assert.False(Directory.Exists(Path.Combine(suite.Root, "volumes", volume)));
        }

        SkiffResult volumeOpt = suite.Run("run", "--rm", "--mount", "type=volume,source=vo-bad,target=/x,volume-opt=colour=red", "busybox", "true");
        Assert.Equal(125, volumeOpt.Exit);
        Assert.Contains("create vo-bad: invalid option: \"colour\"", volumeOpt.Error);

        SkiffResult rm = suite.Run("volume", "rm", "no-such-volume");
        Assert.Equal(1, rm.Exit);
        Assert.Equal("Error response from daemon: get no-such-volume: no such volume\n", rm.Error);
        Assert.Equal(0, suite.Run("volume", "rm", "-f", "no-such-volume").Exit);

        SkiffResult inspect = suite.Run("volume", "inspect", "no-such-volume");
        Assert.Equal(1, inspect.Exit);
        Assert.Equal("Error response from daemon: get no-such-volume: no such volume\n", inspect.Error);
        Assert.Equal("[]\n", inspect.Out);

        SkiffResult duplicate = suite.Run("create", "-v", "dup-a:/x", "-v", "dup-b:/x/", "busybox", "true");
        Assert.Equal(125, duplicate.Exit);
        Assert.Contains("Duplicate mount point: /x", duplicate.Error);

        SkiffResult root = suite.Run("create", "-v", "rootvol:/", "busybox", "true");
        Assert.Equal(125, root.Exit);
        Assert.Contains("destination can't be '/'", root.Error);

        Assert.Equal(before.Order(), Volumes().Order());
        Assert.Equal(containers, suite.Ok("ps", "-aq"));
    }

    private static void Exec(string program, params string[] args)
    {
        ProcessStartInfo start = new(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {error}");
    }
}
