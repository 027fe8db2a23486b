using System.CommandLine;
using Skiff.Images;
using Skiff.Images.Registry;
using Skiff.Images.Store;

namespace Skiff.Cli;

/// <summary>The global options every verb shares, and what they build.</summary>
public sealed class CliContext
{
    public Option<string> Root { get; } = new("--root")
    {
        Description = "Storage root for images and containers",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SKIFF_ROOT") is { Length: > 0 } root ? root : StoreLayout.DefaultRoot,
        Recursive = true,
    };

    public Option<string?> RegistriesConfig { get; } = new("--registries-config")
    {
        Description = $"Registry settings file (default {RegistryConfig.DefaultPath})",
        Recursive = true,
    };

    public Option<string?> EngineConfig { get; } = new("--engine-config")
    {
        Description = "Engine configuration file (default /etc/skiff/engine.json, or $SKIFF_ENGINE_CONFIG)",
        Recursive = true,
    };

    public EngineSession Engine(ParseResult parse) => new(this, parse);

    public TextWriter Out { get; init; } = Console.Out;
    public TextWriter Error { get; init; } = Console.Error;
    public TextReader In { get; init; } = Console.In;

    /// <summary>Whether standard output is a terminal (progress bars, confirmation prompts).</summary>
    public bool OutputIsTerminal { get; init; } = !Console.IsOutputRedirected;

    public bool InputIsTerminal { get; init; } = !Console.IsInputRedirected;

    public ImageService Service(ParseResult parse, bool? tlsVerify = null, string? authFile = null) => new(new ImageServiceOptions
    {
        Root = parse.GetValue(Root)!,
        Registries = RegistryConfig.Load(parse.GetValue(RegistriesConfig)),
        TlsVerify = tlsVerify,
        AuthFilePath = authFile,
    });

    /// <summary>podman's --tls-verify: unset means "as configured", false skips TLS checks and allows HTTP.</summary>
    public static Option<bool?> TlsVerifyOption() => new("--tls-verify")
    {
        Description = "Require HTTPS and verify certificates when contacting registries (default: true, loopback and insecure-registries excepted)",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = result => result.Tokens.Count == 0 || bool.Parse(result.Tokens[0].Value),
    };

    public static Option<string?> AuthFileOption() => new("--authfile")
    {
        Description = "Path of the authentication file (default: ~/.docker/config.json, or $REGISTRY_AUTH_FILE)",
    };
}
