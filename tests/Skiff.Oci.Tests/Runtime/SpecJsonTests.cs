using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Oci.Tests.Runtime;

public class SpecJsonTests
{
    private const string Config = """
    {
      "ociVersion": "1.2.0",
      "process": {
        "terminal": true,
        "consoleSize": { "height": 24, "width": 80 },
        "user": { "uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 6] },
        "args": ["sh"],
        "env": ["PATH=/bin"],
        "cwd": "/",
        "capabilities": { "bounding": ["CAP_KILL"], "ambient": ["CAP_NET_RAW"] },
        "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512 }],
        "noNewPrivileges": true,
        "oomScoreAdj": -500
      },
      "root": { "path": "rootfs", "readonly": true },
      "hostname": "h",
      "mounts": [{ "destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid"] }],
      "hooks": { "prestart": [{ "path": "/bin/true", "args": ["true"], "timeout": 5 }] },
      "annotations": { "a": "b" },
      "linux": {
        "namespaces": [{ "type": "pid" }, { "type": "network", "path": "/run/netns/x" }],
        "uidMappings": [{ "containerID": 0, "hostID": 100000, "size": 65536 }],
        "timeOffsets": { "boottime": { "secs": 3600, "nanosecs": 7 } },
        "devices": [{ "type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438 }],
        "cgroupsPath": "/skiff/x",
        "resources": { "memory": { "limit": -1 }, "pids": { "limit": 50 }, "devices": [{ "allow": false, "access": "rwm" }] },
        "seccomp": { "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{ "names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "args": [{ "index": 1, "value": 2, "op": "SCMP_CMP_MASKED_EQ" }] }] },
        "maskedPaths": ["/proc/kcore"],
        "unknownField": { "ignored": true }
      }
    }
    """;

    [Fact]
    public void A_full_config_reads_into_the_model_with_the_specs_field_names()
    {
        Spec spec = JsonSerializer.Deserialize(Config, OciJsonContext.Default.Spec)!;
        Assert.Equal(1000u, spec.Process!.User.Uid);
        Assert.Equal([5u, 6u], spec.Process.User.AdditionalGids!);
        Assert.Equal(18u, spec.Process.User.Umask);
        Assert.Equal(-500, spec.Process.OomScoreAdj);
        Assert.Equal(512ul, spec.Process.Rlimits![0].Soft);
        Assert.True(spec.Root!.Readonly);
        Assert.Equal("/run/netns/x", spec.Linux!.Namespaces![1].Path);
        Assert.Equal(100000u, spec.Linux.UidMappings![0].HostId);
        Assert.Equal(7u, spec.Linux.TimeOffsets!["boottime"].Nanosecs);
        Assert.Equal(229, spec.Linux.Devices![0].Minor);
        Assert.Equal(-1, spec.Linux.Resources!.Memory!.Limit);
        Assert.False(spec.Linux.Resources.Devices![0].Allow);
        Assert.Equal("SCMP_CMP_MASKED_EQ", spec.Linux.Seccomp!.Syscalls![0].Args![0].Op);
        Assert.Equal(5, spec.Hooks!.Prestart![0].Timeout);
    }

    [Fact]
    public void Writing_keeps_the_specs_spelling_and_omits_what_is_unset()
    {
        Spec spec = JsonSerializer.Deserialize(Config, OciJsonContext.Default.Spec)!;
        string json = JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec);
        Assert.Contains("\"containerID\": 0", json);
        Assert.Contains("\"hostID\": 100000", json);
        Assert.Contains("\"oomScoreAdj\": -500", json);
        Assert.DoesNotContain("domainname", json);
        Spec again = JsonSerializer.Deserialize(json, OciJsonContext.Default.Spec)!;
        Assert.Equal(JsonSerializer.Serialize(again, OciJsonContext.Default.Spec), json);
    }

    [Fact]
    public void State_is_written_as_the_spec_names_it()
    {
        var state = new State { Id = "c", Status = ContainerStatus.Created, Pid = 42, Bundle = "/b" };
        using JsonDocument doc = JsonDocument.Parse(JsonSerializer.Serialize(state, OciJsonContext.Default.State));
        Assert.Equal(["ociVersion", "id", "status", "pid", "bundle"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(SpecVersion.Current, doc.RootElement.GetProperty("ociVersion").GetString());
    }

    [Fact]
    public void Malformed_json_is_a_json_error_not_a_crash()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"process\": [}", OciJsonContext.Default.Spec));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"process\": {\"user\": {\"uid\": -1}}}", OciJsonContext.Default.Spec));
    }
}
