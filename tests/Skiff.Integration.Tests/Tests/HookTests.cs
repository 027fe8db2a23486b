using System.Text.Json;
using Skiff.Integration.Tests.Infrastructure;
using Skiff.Oci.Runtime;

namespace Skiff.Integration.Tests.Tests;

/// <summary>
/// Every hook kind, each recording (to host files) when it ran, the state JSON it got on stdin, the
/// mount namespace it ran in, and its env. The recorder is a plain POSIX sh script, not busybox: the
/// runtime-namespace hooks run it with the host's /bin/sh. Its directory is bind-mounted into the
/// container at the same path, so the hooks that run inside the container (startContainer) find it
/// and write to the same place.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class HookTests(Suite suite)
{
    private static readonly string[] CreateHooks = ["prestart", "createRuntime", "createContainer"];

    [Fact]
    public void Every_hook_kind_fires_once_in_order_with_the_state_on_stdin()
    {
        using var c = new TestContainer(suite);
        var hooks = new HookRecorder(c);
        c.Spec.Annotations = new Dictionary<string, string> { ["org.skiff.test"] = "hooks" };

        c.Create().AssertSuccess();
        var pid = c.PidFromFile();
        var afterCreate = hooks.Order();

        c.Start().AssertSuccess();
        c.WaitForStatus(ContainerStatus.Stopped);
        c.Delete().AssertSuccess();
        var order = hooks.Order();

        Assert.Equal(CreateHooks, afterCreate.Take(3));
        Assert.DoesNotContain("startContainer", afterCreate);
        Assert.DoesNotContain("process", afterCreate);
        foreach (var kind in HookRecorder.Kinds.Append("process"))
            Assert.True(order.Count(k => k == kind) == 1, $"{kind} ran {order.Count(k => k == kind)} times: {string.Join(",", order)}");
        Assert.Equal(CreateHooks, order.Take(3));
        Assert.True(order.IndexOf("startContainer") < order.IndexOf("process"), string.Join(",", order));
        Assert.Equal("poststop", order[^1]);

        foreach (var kind in new[] { "prestart", "createRuntime" })
            Assert.Equal(pid, hooks.State(kind).Pid);
        Assert.Equal(ContainerStatus.Creating, hooks.State("createRuntime").Status);
        Assert.Equal(ContainerStatus.Creating, hooks.State("createContainer").Status);
        Assert.Equal(ContainerStatus.Stopped, hooks.State("poststop").Status);
        foreach (var kind in HookRecorder.Kinds)
        {
            var state = hooks.State(kind);
            Assert.Equal(c.Id, state.Id);
            Assert.Equal(c.BundleDir, state.Bundle);
            Assert.Equal("hooks", state.Annotations?.GetValueOrDefault("org.skiff.test"));
            Assert.Equal($"mark-{kind}", hooks.Env(kind));
        }

        // createContainer and startContainer run in the container's mount namespace, the rest in the runtime's.
        var host = new FileInfo("/proc/self/ns/mnt").LinkTarget;
        var container = hooks.MountNamespace("process");
        Assert.NotEqual(host, container);
        Assert.Equal(container, hooks.MountNamespace("createContainer"));
        Assert.Equal(container, hooks.MountNamespace("startContainer"));
        foreach (var kind in new[] { "prestart", "createRuntime", "poststart", "poststop" })
            Assert.Equal(host, hooks.MountNamespace(kind));
    }

    [SkiffOnlyFact("runc 1.1.5 gives prestart \"creating\"; the spec's lifecycle, crun and runtime-tools' hooks_stdin check say \"created\"")]
    public void Prestart_sees_the_container_created()
    {
        using var c = new TestContainer(suite);
        var hooks = new HookRecorder(c);

        c.Create().AssertSuccess();
        var pid = c.PidFromFile();
        c.Delete(force: true).AssertSuccess();

        var state = hooks.State("prestart");
        Assert.Equal(ContainerStatus.Created, state.Status);
        Assert.Equal(pid, state.Pid);
    }

    [SkiffOnlyFact("runc 1.1.5 runs poststart during create: opencontainers/runc#4347, fixed after 1.1")]
    public void Poststart_runs_during_start_after_the_process_started()
    {
        using var c = new TestContainer(suite);
        var hooks = new HookRecorder(c);

        c.Create().AssertSuccess();
        var afterCreate = hooks.Order();
        c.Start().AssertSuccess();
        var afterStart = hooks.Order();

        Assert.DoesNotContain("poststart", afterCreate);
        Assert.Contains("poststart", afterStart); // before start returned
        Assert.True(afterStart.IndexOf("startContainer") < afterStart.IndexOf("poststart"), string.Join(",", afterStart));
        var state = hooks.State("poststart");
        Assert.Equal(ContainerStatus.Running, state.Status);
        Assert.Equal(c.PidFromFile(), state.Pid);
    }

    [Fact]
    public void Hook_args_are_passed_as_given()
    {
        using var c = new TestContainer(suite);
        var output = Path.Combine(c.Dir, "args.txt");
        c.Spec.Hooks = new Hooks
        {
            CreateRuntime = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "printf '%s|' \"$0\" \"$@\" > \"$1\"", "argv0", output, "two words"] }],
        };

        c.Run().AssertSuccess();

        Assert.Equal($"argv0|{output}|two words|", File.ReadAllText(output));
    }

    /// <summary>Hooks of the runtime's namespace without env run with the runtime's environment, as runc's do.</summary>
    [Fact]
    public void Runtime_hooks_without_env_get_the_runtimes_environment()
    {
        using var c = new TestContainer(suite);
        string dir = Path.Combine(c.Dir, "hook-env");
        Directory.CreateDirectory(dir);
        Hook For(string kind) => new() { Path = "/bin/sh", Args = ["sh", "-c", $"echo \"$PATH\" > {dir}/{kind}"] };
        c.Spec.Hooks = new Hooks { Prestart = [For("prestart")], CreateRuntime = [For("createRuntime")], Poststart = [For("poststart")], Poststop = [For("poststop")] };
        c.Shell("true");

        c.Run().AssertSuccess();

        string expected = Environment.GetEnvironmentVariable("PATH")!;
        Assert.False(string.IsNullOrEmpty(expected));
        foreach (string kind in new[] { "prestart", "createRuntime", "poststart", "poststop" })
            Assert.Equal(expected, File.ReadAllText(Path.Combine(dir, kind)).Trim());
    }

    /// <summary>Installs the recording hook for every kind, and the process that records itself.</summary>
    private sealed class HookRecorder
    {
        public static readonly string[] Kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];

        private readonly string _dir;

        public HookRecorder(TestContainer c)
        {
            _dir = Path.Combine(c.Dir, "hooks");
            Directory.CreateDirectory(_dir);
            var script = Path.Combine(_dir, "record.sh");
            File.WriteAllText(script, """
                #!/bin/sh
                kind=$1
                dir=$2
                echo "$kind" >> "$dir/order"
                cat > "$dir/$kind.json"
                readlink /proc/self/ns/mnt > "$dir/$kind.mntns"
                echo "$HOOK_MARK" > "$dir/$kind.env"
                """);
            File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("755", 8));

            Hook For(string kind) => new()
            {
                Path = script,
                Args = ["record.sh", kind, _dir],
                Env = [$"HOOK_MARK=mark-{kind}", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            };
            c.Spec.Hooks = new Hooks
            {
                Prestart = [For("prestart")],
                CreateRuntime = [For("createRuntime")],
                CreateContainer = [For("createContainer")],
                StartContainer = [For("startContainer")],
                Poststart = [For("poststart")],
                Poststop = [For("poststop")],
            };
            // Same path inside as outside: startContainer resolves the script in the container.
            c.Spec.Mounts!.Add(new Mount { Destination = _dir, Type = "bind", Source = _dir, Options = ["rbind", "rw"] });
            c.Shell($"echo process >> {_dir}/order; readlink /proc/self/ns/mnt > {_dir}/process.mntns");
        }

        public List<string> Order()
        {
            var path = Path.Combine(_dir, "order");
            return File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
        }

        public State State(string kind)
        {
            var path = Path.Combine(_dir, $"{kind}.json");
            Assert.True(File.Exists(path), $"{kind} hook did not run");
            return JsonSerializer.Deserialize(File.ReadAllText(path), OciJsonContext.Default.State)
                ?? throw new Xunit.Sdk.XunitException($"{kind} got no state on stdin");
        }

        public string MountNamespace(string kind) => File.ReadAllText(Path.Combine(_dir, $"{kind}.mntns")).Trim();

        public string Env(string kind) => File.ReadAllText(Path.Combine(_dir, $"{kind}.env")).Trim();
    }
}
