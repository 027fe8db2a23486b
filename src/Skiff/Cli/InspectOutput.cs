using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Skiff.Cli;

/// <summary>What every inspect verb prints: one JSON array, or with <c>--format</c> the template rendered per object (Docker's).</summary>
public static class InspectOutput
{
    public static void Write<T>(TextWriter output, List<T> found, string? template, JsonTypeInfo<List<T>> list, JsonTypeInfo<T> one)
    {
        if (template is null or "json")
        {
            output.WriteLine(JsonSerializer.Serialize(found, list));
            return;
        }
        GoTemplate go = new(template);
        foreach (T item in found) output.WriteLine(go.Render(JsonSerializer.SerializeToElement(item, one)));
    }
}
