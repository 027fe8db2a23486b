using Skiff.Cgroups.GuestProbe;
using Skiff.Cgroups.Tests;
using Skiff.Cgroups.Tests.Behaviour;

// Runs the shared behaviour suite, then the checks only v2 has, one TAP line each, then a summary
// line the harness looks for. Exit status 0 only when every check passed.
List<(string Name, Action<CgroupSandbox> Run)> checks =
    [.. CgroupBehaviour.Cases.Select(c => ("behaviour: " + c.Name, c.Run)), .. Checks.All()];
Console.WriteLine($"1..{checks.Count}");
int failed = 0;
for (int i = 0; i < checks.Count; i++)
{
    var (name, run) = checks[i];
    using var sandbox = new CgroupSandbox();
    try
    {
        run(sandbox);
        Console.WriteLine($"ok {i + 1} - {name}");
    }
    catch (Exception e)
    {
        failed++;
        Console.WriteLine($"not ok {i + 1} - {name}: {e.GetType().Name}: {e.Message.Replace('\n', ' ')}");
    }
}
Console.WriteLine($"SKIFF-V2-RESULT pass={checks.Count - failed} fail={failed}");
return failed == 0 ? 0 : 1;
