using System.Text.Json;
using Skiff.Oci.Runtime;
using Skiff.Runtime;

// Fork-safety stress (fork-safety rule 5 of ARCHITECTURE.md): containers are launched from two threads while a third
// allocates and forces collections without pause. A child that inherited a half-begun GC would
// hang forever; the caller bounds the whole run and treats a hang as failure.
//   skiff-fork-stress BUNDLE ROOT COUNT CGROUP_PARENT

if (args.Length != 4 || !int.TryParse(args[2], out int count))
{
    Console.Error.WriteLine("usage: skiff-fork-stress BUNDLE ROOT COUNT CGROUP_PARENT");
    return 2;
}
Bundle template = Bundle.Load(args[0]);
string work = Directory.CreateTempSubdirectory("skiff-fork-stress-").FullName;
string cgroupParent = args[3].TrimEnd('/');
var runtime = new ContainerRuntime(new RuntimeOptions(args[1]));
string prefix = $"stress-{Environment.ProcessId}";
int passed = 0, failed = 0, collections = GC.CollectionCount(0);

using var stop = new CancellationTokenSource();
var churn = new Thread(() =>
{
    var keep = new List<byte[]>();
    while (!stop.IsCancellationRequested)
    {
        for (int i = 0; i < 200; i++) keep.Add(new byte[1024]);
        if (keep.Count > 20_000) keep.Clear();
        GC.Collect();
    }
}) { IsBackground = true };
if (Environment.GetEnvironmentVariable("SKIFF_STRESS_CHURN") != "0") churn.Start();

int threads = int.TryParse(Environment.GetEnvironmentVariable("SKIFF_STRESS_THREADS"), out int n) ? n : 2;
var launchers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
{
    for (int i = t; i < count; i += threads)
    {
        string id = $"{prefix}-{i}";
        try
        {
            int exit = runtime.Run(new CreateOptions(id, BundleFor(id)), detach: false);
            if (exit == 0) Interlocked.Increment(ref passed);
            else { Interlocked.Increment(ref failed); Console.Error.WriteLine($"{id}: exit status {exit}"); }
        }
        catch (RuntimeException e)
        {
            Interlocked.Increment(ref failed);
            Console.Error.WriteLine($"{id}: {e.Message}");
            runtime.Delete(id, force: true);
        }
    }
})).ToList();
launchers.ForEach(t => t.Start());
launchers.ForEach(t => t.Join());
stop.Cancel();
if (churn.IsAlive) churn.Join();

Directory.Delete(work, recursive: true);
Console.WriteLine($"collections during the run: {GC.CollectionCount(0) - collections}");
Console.WriteLine($"{passed} passed, {failed} failed");
return failed == 0 && passed == count ? 0 : 1;

// Each container gets its own cgroup under the caller's private parent, over the template's rootfs.
string BundleFor(string id)
{
    string dir = Path.Combine(work, id);
    Directory.CreateDirectory(dir);
    Spec spec = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(template.Directory, "config.json")), OciJsonContext.Default.Spec)!;
    spec.Root!.Path = template.RootfsPath;
    spec.Linux ??= new Skiff.Oci.Runtime.Linux();
    spec.Linux.CgroupsPath = $"{cgroupParent}/{id}";
    File.WriteAllBytes(Path.Combine(dir, "config.json"), JsonSerializer.SerializeToUtf8Bytes(spec, OciJsonContext.Default.Spec));
    return dir;
}
