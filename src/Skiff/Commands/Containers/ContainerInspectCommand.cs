using System.CommandLine;
using System.Text.Json;
using Skiff.Cli;
using Skiff.Engine;
using Skiff.Engine.Inspect;
using Skiff.Images;
using Skiff.Images.Inspect;

namespace Skiff.Commands.Containers;

/// <summary>
/// skiff inspect [-f FORMAT] [--type container|image] NAME...: containers in Docker's shape; a
/// name that is no container is looked up as an image, as docker inspect does.
/// </summary>
public static class ContainerInspectCommand
{
    public static Command Create(CliContext cli, string name, string? onlyType)
    {
        Argument<string[]> names = new("NAME") { Arity = ArgumentArity.OneOrMore };
        Option<string?> format = new("--format", "-f") { Description = "Format output with a Go template, or json" };
        Option<string?> type = new("--type") { Description = "Only inspect objects of this type (container, image)" };
        Option<bool> size = new("--size", "-s") { Description = "Display total file sizes" };
        Command command = new(name, "Return low-level information on containers or images") { names, format, size };
        if (onlyType is null) command.Options.Add(type);
        command.SetAction(parse =>
        {
            using EngineSession session = cli.Engine(parse);
            string? kind = onlyType ?? parse.GetValue(type);
            List<JsonElement> found = [];
            int exit = 0;
            foreach (string reference in parse.GetValue(names)!)
            {
                try
                {
                    found.Add(Find(session, reference, kind));
                }
                catch (Exception e) when (e is EngineException or ImageNotFoundException)
                {
                    cli.Error.WriteLine($"Error: No such object: {reference}");
                    exit = 1;
                }
            }
            InspectOutput.Write(cli.Out, found, parse.GetValue(format), ContainerInspectJsonContext.Default.ListJsonElement, ContainerInspectJsonContext.Default.JsonElement);
            return exit;
        });
        return command;
    }

    private static JsonElement Find(EngineSession session, string reference, string? kind)
    {
        if (kind is null or "container")
        {
            try
            {
                ContainerInspect inspect = ContainerInspector.Inspect(session.Engine, session.Engine.Resolve(reference));
                return JsonSerializer.SerializeToElement(inspect, ContainerInspectJsonContext.Default.ContainerInspect);
            }
            catch (NoSuchContainerException) when (kind is null) { }
        }
        if (kind is "container") throw new NoSuchContainerException(reference);
        return JsonSerializer.SerializeToElement(session.Images.Inspect(reference), InspectJsonContext.Relaxed.ImageInspect);
    }
}
