namespace Skiff.Cli;

/// <summary>Columns padded like Go's tabwriter as Docker configures it (three spaces between columns).</summary>
public sealed class TableWriter(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output, bool withHeader = true)
    {
        List<string[]> all = withHeader ? [headers, .. _rows] : _rows;
        if (all.Count == 0) return;
        int[] widths = new int[headers.Length];
        foreach (string[] row in all)
            for (int i = 0; i < row.Length - 1; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (string[] row in all)
        {
            System.Text.StringBuilder line = new();
            for (int i = 0; i < row.Length; i++)
            {
                if (i < row.Length - 1) line.Append(row[i].PadRight(widths[i] + 3));
                else line.Append(row[i]);
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
    }
}
