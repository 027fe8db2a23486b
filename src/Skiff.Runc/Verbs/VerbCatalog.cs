using Skiff.Runc.CommandLine;

namespace Skiff.Runc.Verbs;

/// <summary>Every verb skiff-runc answers to, in runc's order. Adding a verb is one line here.</summary>
internal static class VerbCatalog
{
    public static Verb[] Create() =>
    [
        new PendingVerb("checkpoint", "checkpoint a running container"),
        new CreateVerb(),
        new DeleteVerb(),
        new PendingVerb("events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics"),
        new PendingVerb("exec", "execute new process inside the container"),
        new KillVerb(),
        new ListVerb(),
        new PendingVerb("pause", "pause suspends all processes inside the container"),
        new PendingVerb("ps", "ps displays the processes running inside a container"),
        new PendingVerb("restore", "restore a container from a previous checkpoint"),
        new PendingVerb("resume", "resumes all processes that have been previously paused"),
        new RunVerb(),
        new SpecVerb(),
        new StartVerb(),
        new StateVerb(),
        new PendingVerb("update", "update container resource constraints"),
        new FeaturesVerb(),
    ];
}
