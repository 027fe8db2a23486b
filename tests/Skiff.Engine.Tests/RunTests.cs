using System.Text.Json;
using Skiff.Engine.Tests.Infrastructure;
using Skiff.Integration.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

/// <summary>`skiff run` as a user types it, observed from inside the container and from the host.</summary>
[Collection(EngineCollection.Name)]
public sealed class RunTests(EngineSuite suite)
{
    [Fact]
    public void Attached_run_keeps_stdout_and_stderr_apart_and_returns_the_exit_code()
    {
        SkiffResult result = suite.Run("run", "--rm", "busybox", "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        Assert.Equal(3, result.Exit);
        Assert.Equal("to-out\n", result.Out);
        Assert.Equal("to-err\n", result.Error);
    }

    [Fact]
    public void Run_rm_leaves_no_container_mount_or_layer()
    {
        Assert.Equal("hello\n", suite.Ok("run", "--rm", "busybox", "echo", "hello"));
        Assert.Equal("", suite.Ok("ps", "-aq"));
        Assert.Empty(MountInfo.Under(suite.Root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(suite.Root, "containers")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(suite.Root, "rw")));
    }

    [Fact]
    public void A_command_that_does_not_exist_exits_127_and_an_unknown_image_125()
    {
        SkiffResult missing = suite.Run("run", "--rm", "busybox", "/no/such/program");
        Assert.Equal(127, missing.Exit);
        Assert.Contains("/no/such/program", missing.Error);
        SkiffResult image = suite.Run("run", "--rm", "--pull", "never", "no-such-image:1", "true");
        Assert.Equal(125, image.Exit);
        Assert.Contains("no-such-image", image.Error);
        Assert.Equal("", suite.Ok("ps", "-aq"));
    }

    [Fact]
    public void The_command_line_after_the_image_belongs_to_the_container()
    {
        // -l is skiff's --label too: after the image it must reach ls.
        string output = suite.Ok("run", "--rm", "busybox", "ls", "-l", "-d", "/etc");
        Assert.StartsWith("d", output);
    }

    [Fact]
    public void Env_workdir_user_hostname_and_entrypoint_reach_the_process()
    {
        string envFile = Path.Combine(suite.RunDir, "env-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(envFile, "# a comment\nFROM_FILE=yes\n\nOVERRIDDEN=file\n");
        string output = suite.Ok("run", "--rm", "--env-file", envFile, "-e", "OVERRIDDEN=flag", "-e", "PLAIN=1", "-w", "/tmp", "-u", "1000:1001",
            "-h", "box.example", "--entrypoint", "/bin/sh", "busybox", "-c", "echo $FROM_FILE $OVERRIDDEN $PLAIN $HOSTNAME; pwd; id -u; id -g; hostname; cat /etc/hostname");
        Assert.Equal("yes flag 1 box.example\n/tmp\n1000\n1001\nbox.example\nbox.example\n", output);
    }

    [Fact]
    public void A_user_name_resolves_from_the_images_passwd_file()
    {
        Assert.Equal("65534 65534\n", suite.Ok("run", "--rm", "-u", "nobody", "busybox", "sh", "-c", "echo $(id -u) $(id -g)"));
        SkiffResult unknown = suite.Run("run", "--rm", "-u", "no-such-user", "busybox", "true");
        Assert.NotEqual(0, unknown.Exit);
        Assert.Contains("unable to find user no-such-user", unknown.Error);
        Assert.Equal("", suite.Ok("ps", "-aq"));
    }

    [Fact]
    public void The_container_gets_dockers_capabilities_and_seccomp_and_a_private_network()
    {
        string status = suite.Ok("run", "--rm", "busybox", "cat", "/proc/self/status");
        // Docker's 14 default capabilities: 0x00000000a80425fb.
        Assert.Contains("CapEff:\t00000000a80425fb", status);
        Assert.Contains("Seccomp:\t2", status);
        Assert.Equal("lo\n", suite.Ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"));

        string added = suite.Ok("run", "--rm", "--cap-add", "net_admin", "--cap-drop", "CHOWN", "busybox", "grep", "CapEff", "/proc/self/status");
        Assert.Contains("00000000a80435fa", added);
        Assert.Contains("Seccomp:\t0", suite.Ok("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "cat", "/proc/self/status"));
        Assert.Contains("NoNewPrivs:\t1", suite.Ok("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "cat", "/proc/self/status"));
    }

    [Fact]
    public void Resource_flags_land_in_the_containers_cgroup()
    {
        string id = suite.Ok("run", "-d", "-m", "64m", "--pids-limit", "42", "--cpus", "0.5", "--cpu-shares", "512", "busybox", "sleep", "1000").Trim();
        try
        {
            Assert.Equal((64L << 20).ToString(), CgroupFs.Read(suite.CgroupPath(id), "memory.limit_in_bytes"));
            Assert.Equal("42", CgroupFs.Read(suite.CgroupPath(id), "pids.max"));
            Assert.Equal("50000", CgroupFs.Read(suite.CgroupPath(id), "cpu.cfs_quota_us"));
            Assert.Equal("512", CgroupFs.Read(suite.CgroupPath(id), "cpu.shares"));
        }
        finally
        {
            suite.Ok("rm", "-f", id);
        }
        Assert.Empty(CgroupFs.ExistingDirectoriesOf(suite.CgroupPath(id)));
    }

    [Fact]
    public void Read_only_rootfs_tmpfs_and_bind_mounts()
    {
        string host = Path.Combine(suite.RunDir, "bind-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(host);
        File.WriteAllText(Path.Combine(host, "from-host"), "hi\n");
        string output = suite.Ok("run", "--rm", "--read-only", "--tmpfs", "/scratch:size=1m", "-v", $"{host}:/data", "-v", $"{host}:/ro:ro",
            "busybox", "sh", "-c", "touch /etc/x 2>/dev/null && echo rootfs-writable; echo ok > /scratch/f && cat /scratch/f; cat /data/from-host; echo w > /data/new; touch /ro/y 2>/dev/null || echo ro-refused; grep ' /scratch ' /proc/mounts | cut -d' ' -f3");
        Assert.Equal("ok\nhi\nro-refused\ntmpfs\n", output);
        Assert.Equal("w\n", File.ReadAllText(Path.Combine(host, "new")));

        SkiffResult missing = suite.Run("run", "--rm", "-v", "/no/such/dir:/x", "busybox", "true");
        Assert.Equal(125, missing.Exit);
        Assert.Contains("bind source path does not exist: /no/such/dir", missing.Error);
    }

    [Fact]
    public void Init_runs_catatonit_as_pid_1()
    {
        string output = suite.Ok("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$");
        string[] lines = output.Split('\n');
        Assert.StartsWith("/run/skiff-init -- sh", lines[0]);
        Assert.NotEqual("1", lines[1]);
    }

    [Fact]
    public void Stdin_reaches_an_interactive_container()
    {
        SkiffResult result = suite.RunWithInput("line one\nline two\n", "run", "--rm", "-i", "busybox", "sh", "-c", "wc -l; cat");
        Assert.Equal(0, result.Exit);
        Assert.Equal("2\n", result.Out);
    }

    [Fact]
    public void A_name_in_use_is_refused_and_nothing_is_left()
    {
        string name = "dup-" + Guid.NewGuid().ToString("N")[..8];
        string id = suite.Ok("create", "--name", name, "busybox", "true").Trim();
        try
        {
            SkiffResult second = suite.Run("create", "--name", name, "busybox", "true");
            Assert.Equal(125, second.Exit);
            Assert.Contains($"Conflict. The container name \"/{name}\" is already in use by container \"{id}\"", second.Error);
            Assert.Equal(id[..12] + "\n", suite.Ok("ps", "-aq"));
        }
        finally
        {
            suite.Run("rm", name);
        }
    }

    [Fact]
    public void Devices_and_device_cgroup_rules_reach_the_container()
    {
        string output = suite.Ok("run", "--rm", "--device", "/dev/zero:/dev/myzero:rw", "busybox", "sh", "-c", "ls -l /dev/myzero | cut -c1; head -c 3 /dev/myzero | od -An -tx1");
        Assert.Equal("c\n 00 00 00\n", output);
        string id = suite.Ok("run", "-d", "--device-cgroup-rule", "c 42:* rm", "busybox", "sleep", "1000").Trim();
        try
        {
            Assert.Contains("c 42:* rm", CgroupFs.Read(suite.CgroupPath(id), "devices.list"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        SkiffResult missing = suite.Run("run", "--rm", "--device", "/dev/no-such-device", "busybox", "true");
        Assert.Equal(125, missing.Exit);
        Assert.Contains("error gathering device information while adding custom device \"/dev/no-such-device\"", missing.Error);
        Assert.Equal(125, suite.Run("run", "--rm", "--device-cgroup-rule", "x 1:2 rwm", "busybox", "true").Exit);
    }

    [Fact]
    public void Pid_and_ipc_namespaces_are_shared_with_a_running_container()
    {
        string name = "shared-" + Guid.NewGuid().ToString("N")[..8];
        string id = suite.Ok("run", "-d", "--name", name, "busybox", "sleep", "1000").Trim();
        try
        {
            string ipc = suite.Ok("exec", id, "readlink", "/proc/self/ns/ipc");
            string output = suite.Ok("run", "--rm", "--pid", "container:" + name, "--ipc", "container:" + name, "busybox", "sh", "-c", "ps -o args | grep -c '^sleep 1000'; readlink /proc/self/ns/ipc");
            Assert.Equal("1\n" + ipc, output);
            Assert.Equal("0\n", suite.Ok("run", "--rm", "busybox", "sh", "-c", "ps -o args | grep -c '^sleep 1000' || true"));
        }
        finally
        {
            suite.Run("rm", "-f", id);
        }
        SkiffResult gone = suite.Run("run", "--rm", "--pid", "container:" + name, "busybox", "true");
        Assert.Equal(125, gone.Exit);
        Assert.Contains("No such container", gone.Error);
    }

    [Fact]
    public void The_same_container_runs_under_runc()
    {
        string output = suite.Ok("run", "--rm", "--runtime", "runc", "busybox", "sh", "-c", "echo $(hostname) $(id -u)");
        Assert.Matches("^[0-9a-f]{12} 0\n$", output);
    }
}
