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
        new EventsVerb(),
        new ExecVerb(),
        new KillVerb(),
        new ListVerb(),
        new PauseVerb(),
        new PsVerb(),
        new PendingVerb("restore", "restore a container from a previous checkpoint"),
        new ResumeVerb(),
        new RunVerb(),
        new SpecVerb(),
        new StartVerb(),
        new StateVerb(),
        new UpdateVerb(),
        new FeaturesVerb(),
    ];
}
