using System.Diagnostics;
using Skiff.Images.Transfer;

namespace Skiff.Cli;

/// <summary>
/// Docker's pull and push display: one line per layer, redrawn in place with a progress bar on a
/// terminal; on a pipe or file, one plain line per state change.
/// </summary>
public sealed class ProgressRenderer(TextWriter output, bool terminal) : ITransferProgress
{
    private const int BarWidth = 50;
    private static readonly long RedrawTicks = Stopwatch.Frequency / 10;

    private readonly object _lock = new();
    private readonly List<string> _order = [];
    private readonly Dictionary<string, (LayerState State, string Text, long DrawnAt)> _lines = [];

    public void Layer(string id, LayerState state, long current = 0, long total = 0)
    {
        lock (_lock)
        {
            bool known = _lines.TryGetValue(id, out var previous);
            bool sameState = known && previous.State == state;
            long now = Stopwatch.GetTimestamp();
            if (!terminal)
            {
                if (sameState) return;
                _lines[id] = (state, "", now);
                output.WriteLine($"{id}: {Label(state)}");
                output.Flush();
                return;
            }
            // Byte counters change constantly: redraw them a few times a second, not per read.
            if (sameState && state is LayerState.Downloading or LayerState.Extracting or LayerState.Pushing && now - previous.DrawnAt < RedrawTicks && current < total)
                return;
            string text = $"{id}: {Label(state)}{Bar(state, current, total)}";
            if (!known)
            {
                _order.Add(id);
                _lines[id] = (state, text, now);
                output.Write($"{text}\n");
            }
            else
            {
                _lines[id] = (state, text, now);
                int up = _order.Count - _order.IndexOf(id);
                output.Write($"\u001b[{up}A\u001b[2K\r{text}\u001b[{up}B\r");
            }
            output.Flush();
        }
    }

    public void Message(string line)
    {
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private static string Label(LayerState state) => state switch
    {
        LayerState.Waiting => "Waiting",
        LayerState.PullingFsLayer => "Pulling fs layer",
        LayerState.Downloading => "Downloading",
        LayerState.VerifyingChecksum => "Verifying Checksum",
        LayerState.DownloadComplete => "Download complete",
        LayerState.Extracting => "Extracting",
        LayerState.PullComplete => "Pull complete",
        LayerState.AlreadyExists => "Already exists",
        LayerState.Preparing => "Preparing",
        LayerState.Pushing => "Pushing",
        LayerState.Pushed => "Pushed",
        LayerState.LayerAlreadyExists => "Layer already exists",
        LayerState.Mounted => "Mounted from another repository",
        _ => state.ToString(),
    };

    /// <summary>"  [=====>      ]  1.049MB/2.812MB", Docker's bar.</summary>
    private static string Bar(LayerState state, long current, long total)
    {
        if (state is not (LayerState.Downloading or LayerState.Extracting or LayerState.Pushing) || total <= 0) return "";
        int filled = (int)Math.Clamp(current * BarWidth / total, 0, BarWidth);
        string bar = filled >= BarWidth
            ? new string('=', BarWidth - 1) + ">"
            : new string('=', filled) + ">" + new string(' ', BarWidth - 1 - filled);
        return $"  [{bar}]  {Units.HumanSize(current, 4)}/{Units.HumanSize(total, 4)}";
    }
}
