using System.Globalization;
using Skiff.Engine.Tests.Infrastructure;

namespace Skiff.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class EventsTests(EngineSuite suite)
{
    [Fact]
    public void Events_record_a_containers_life_and_follow_new_ones()
    {
        string since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string name = "ev-" + Guid.NewGuid().ToString("N")[..8];
        using System.Diagnostics.Process follower = suite.Start("events", "--filter", "container=" + name, "--filter", "event=start", "--format", "{{.Action}} {{.Name}}");
        suite.Ok("run", "--rm", "--name", name, "-l", "role=probe", "busybox", "true");
        string followed = follower.StandardOutput.ReadLine() ?? "";
        follower.Kill();
        follower.WaitForExit();
        Assert.Equal($"start {name}", followed);

        string until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string actions = suite.Ok("events", "--since", since, "--until", until, "--filter", "container=" + name, "--format", "{{.Action}}");
        Assert.Equal("create\nstart\ndie\ndestroy\n", actions);
        string line = suite.Ok("events", "--since", since, "--until", until, "--filter", "container=" + name, "--filter", "event=die");
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT[0-9:.]+Z container die [0-9a-f]{{64}} \(exitCode=0, image=busybox, name={name}, role=probe\)\n$", line);
    }
}
