using System.CommandLine;
using System.Reflection;
using Skiff.Oci.Runtime;

namespace Skiff.Runc.CommandLine;

/// <summary>`--version`: runc's layout (name and version, commit, spec) so tools that show it read it alike.</summary>
internal sealed record VersionCommand : RuncCommand
{
    public override int Execute(RuncSession session)
    {
        session.Out.Write(Text());
        return 0;
    }

    public static string Text()
    {
        string informational = typeof(VersionCommand).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int plus = informational.IndexOf('+');
        string version = plus < 0 ? informational : informational[..plus];
        string commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return $"skiff-runc version {version}\ncommit: {commit}\nspec: {SpecVersion.Current}\ndotnet: {Environment.Version}\n";
    }
}

/// <summary>`--help`, `help [verb]`, or no verb at all: System.CommandLine's page for the command.</summary>
internal sealed record HelpCommand(ParseResult Result) : RuncCommand
{
    public override int Execute(RuncSession session) =>
        Result.Invoke(new InvocationConfiguration { Output = session.Out, EnableDefaultExceptionHandler = false });
}

/// <summary>A command line that was refused; carrying it out reports why.</summary>
internal sealed record UsageErrorCommand(string Message) : RuncCommand
{
    public override int Execute(RuncSession session) => throw new CliException(Message);
}
