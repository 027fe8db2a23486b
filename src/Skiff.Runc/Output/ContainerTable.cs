using System.Text;

namespace Skiff.Runc.Output;

/// <summary>
/// Aligned columns the way runc's Go tabwriter lays out `list` (minimum width 12, padding 3):
/// every column but the last is as wide as its widest cell plus three spaces.
/// </summary>
internal static class ContainerTable
{
    private const int MinWidth = 12, Padding = 3;

    public static string Format(IReadOnlyList<string[]> rows)
    {
        int columns = rows.Count == 0 ? 0 : rows[0].Length;
        var widths = new int[columns];
        foreach (string[] row in rows)
            for (int c = 0; c < columns - 1; c++)
                widths[c] = Math.Max(widths[c], Math.Max(MinWidth, row[c].Length + Padding));

        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            for (int c = 0; c < columns - 1; c++) text.Append(row[c].PadRight(widths[c]));
            text.Append(row[columns - 1]).Append('\n');
        }
        return text.ToString();
    }
}
