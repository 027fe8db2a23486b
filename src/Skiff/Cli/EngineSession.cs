using System.CommandLine;
using Skiff.Engine;
using Skiff.Images;

namespace Skiff.Cli;

/// <summary>An engine over the CLI's store root, and the image service under it.</summary>
public sealed class EngineSession : IDisposable
{
    public EngineSession(CliContext cli, ParseResult parse)
    {
        Images = cli.Service(parse);
        try
        {
            Engine = new ContainerEngine(new EngineOptions { Root = parse.GetValue(cli.Root)!, ConfigPath = parse.GetValue(cli.EngineConfig) }, Images);
        }
        catch
        {
            Images.Dispose();
            throw;
        }
    }

    public ImageService Images { get; }
    public ContainerEngine Engine { get; }

    public void Dispose()
    {
        Engine.Dispose();
        Images.Dispose();
    }
}
