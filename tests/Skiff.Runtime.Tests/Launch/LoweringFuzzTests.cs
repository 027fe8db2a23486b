using System.Text;
using Skiff.Oci.Runtime;
using Skiff.Runtime.Launch;

namespace Skiff.Runtime.Tests.Launch;

/// <summary>
/// Long and odd strings in every field the child resolves: each config is either refused with a
/// short error naming the field, or lowered into C strings the child's PATH_MAX buffers hold.
/// </summary>
public unsafe class LoweringFuzzTests
{
    private static Spec MinimalSpec() => new()
    {
        OciVersion = "1.2.0",
        Root = new Root { Path = "rootfs" },
        Process = new Process { Args = ["sh"], Cwd = "/", Env = ["PATH=/bin"] },
        Hostname = "h",
        Linux = new Oci.Runtime.Linux { Namespaces = [new() { Type = "pid" }, new() { Type = "mount" }, new() { Type = "uts" }] },
    };

    private static readonly StepKind[] Resolved =
        [StepKind.MountInRoot, StepKind.Mknod, StepKind.BindDevice, StepKind.Symlink, StepKind.MaskPath, StepKind.ReadonlyPath, StepKind.EnsureDirectory, StepKind.RemountInRoot];

    private static string Odd(Random random)
    {
        var sb = new StringBuilder("/");
        string[] pieces = ["a", "é", "..", ".", "/", "//", "\0", "日本", "\n", " ", new('x', 255), new('y', 256), new('z', 3000)];
        int count = random.Next(1, 40);
        for (int i = 0; i < count; i++)
        {
            if (random.Next(4) == 0) sb.Append(pieces[random.Next(pieces.Length)]);
            else sb.Append(new string((char)('a' + random.Next(26)), random.Next(1, 300)));
            if (random.Next(2) == 0) sb.Append('/');
        }
        return sb.ToString();
    }

    public static TheoryData<string> Fields => ["linux.devices[0].path", "mounts[0].destination", "process.cwd", "linux.maskedPaths[0]", "hostname"];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Every_odd_string_is_refused_by_name_or_fits_the_childs_buffers(string field)
    {
        // A seed stable across processes (string hashes are randomised per process), so a failure
        // replays and every run covers the same refused and planned cases.
        var random = new Random(field.Aggregate(20261203, (hash, c) => unchecked(hash * 31 + c)));
        int refused = 0, planned = 0;
        for (int round = 0; round < 300; round++)
        {
            string value = Odd(random);
            Spec spec = MinimalSpec();
            switch (field)
            {
                case "linux.devices[0].path": spec.Linux!.Devices = [new LinuxDevice { Path = "/dev" + value, Type = "c", Major = 1, Minor = 3 }]; break;
                case "mounts[0].destination": spec.Mounts = [new Mount { Destination = value, Type = "tmpfs", Source = "tmpfs" }]; break;
                case "process.cwd": spec.Process!.Cwd = value; break;
                case "linux.maskedPaths[0]": spec.Linux!.MaskedPaths = [value]; break;
                default: spec.Hostname = value.Trim('/'); break;
            }
            LaunchPlan plan;
            try
            {
                plan = LaunchPlanner.Plan(new LaunchInputs(spec, "/nonexistent-bundle", "/nonexistent-bundle/rootfs", new LaunchFds(10, 11, true, -1, 12)));
            }
            catch (RuntimeException e)
            {
                refused++;
                Assert.True(e.Message.Length < 400, $"an error of {e.Message.Length} characters");
                Assert.Contains(field, e.Message);
                continue;
            }
            planned++;
            using var native = new NativePlan(plan.Steps, 10);
            for (int i = 0; i < native.Context->Count; i++)
            {
                RawStep* raw = native.Context->Steps + i;
                if (Array.IndexOf(Resolved, raw->Kind) < 0) continue;
                foreach (nint s in new[] { (nint)raw->S1, (nint)raw->S2 })
                {
                    if (s == 0) continue;
                    int length = new ReadOnlySpan<byte>((byte*)s, int.MaxValue).IndexOf((byte)0);
                    Assert.True(length < LaunchPlanner.PathMax, $"{raw->Kind}: a {length}-byte path reached the child");
                }
            }
            if (field == "hostname")
                Assert.True(Encoding.UTF8.GetByteCount(spec.Hostname!) <= LaunchPlanner.HostNameMax);
        }
        Assert.True(refused > 0 && planned > 0, $"refused {refused}, planned {planned}");
    }

    [Fact]
    public void A_device_path_of_3000_characters_names_the_field()
    {
        Spec spec = MinimalSpec();
        spec.Linux!.Devices = [new LinuxDevice { Path = "/dev/" + new string('a', 3000), Type = "c", Major = 1, Minor = 3 }];
        var e = Assert.Throws<RuntimeException>(() => LaunchPlanner.Plan(new LaunchInputs(spec, "/b", "/b/rootfs", new LaunchFds(10, 11, true, -1, 12))));
        Assert.StartsWith("config.json: linux.devices[0].path: the name \"aaaa", e.Message);
        Assert.Contains("longer than NAME_MAX (255)", e.Message);
    }

    [Fact]
    public void A_hostname_of_10_MB_gives_a_short_error()
    {
        Spec spec = MinimalSpec();
        spec.Hostname = new string('h', 10_000_000);
        var e = Assert.Throws<RuntimeException>(() => LaunchPlanner.Plan(new LaunchInputs(spec, "/b", "/b/rootfs", new LaunchFds(10, 11, true, -1, 12))));
        Assert.Contains("hostname", e.Message);
        Assert.Contains("HOST_NAME_MAX (64)", e.Message);
        Assert.True(e.Message.Length < 200, $"{e.Message.Length} characters");
    }
}
