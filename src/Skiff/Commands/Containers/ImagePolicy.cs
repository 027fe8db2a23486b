using Skiff.Cli;
using Skiff.Engine;
using Skiff.Images;
using Skiff.Images.Oci;
using Skiff.Images.Transfer;

namespace Skiff.Commands.Containers;

/// <summary>
/// run/create's --pull (missing, always, never) and --platform: the image is pulled when the
/// policy says so, choosing the platform from an index; a local image of another platform counts
/// as missing, and one that still does not match is refused with Docker's words.
/// </summary>
public static class ImagePolicy
{
    public static async Task EnsureAsync(CliContext cli, ImageService images, string reference, string? policy, string? platform, CancellationToken cancellationToken)
    {
        Platform? wanted = platform is null ? null : PlatformMatcher.Parse(platform);
        Platform? local = LocalPlatform(images, reference);
        bool present = local is not null && (wanted is null || PlatformMatcher.Matches(wanted, local));
        switch (policy ?? "missing")
        {
            case "never" when !present:
                if (local is not null) throw Mismatch(reference, wanted!, local);
                throw new EngineException($"{reference}: image not known", 125);
            case "never":
            case "missing" when present:
                return;
            case "missing" or "always":
                if (!present) cli.Error.WriteLine($"Unable to find image '{reference}' locally");
                await images.PullAsync(reference, new PullOptions { Platform = wanted }, new ProgressRenderer(cli.Error, false), cancellationToken);
                if (wanted is not null && LocalPlatform(images, reference) is { } pulled && !PlatformMatcher.Matches(wanted, pulled))
                    throw Mismatch(reference, wanted, pulled);
                return;
            default:
                throw new EngineException($"invalid pull policy \"{policy}\": must be always, missing or never");
        }
    }

    private static Platform? LocalPlatform(ImageService images, string reference)
    {
        try
        {
            return images.GetRootfs(reference).Config.Platform;
        }
        catch (ImageNotFoundException)
        {
            return null;
        }
    }

    private static EngineException Mismatch(string reference, Platform wanted, Platform actual) =>
        new($"image with reference {reference} was found but does not match the specified platform: wanted {wanted}, actual: {actual}", 125);
}
