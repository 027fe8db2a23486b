using Skiff.Cli;
using Skiff.Images.Transfer;

namespace Skiff.Tests.Cli;

/// <summary>What the command line prints: sizes, durations, templates and progress, as Docker prints them.</summary>
public sealed class FormattingTests
{
    [Theory]
    [InlineData(0, "0B")]
    [InlineData(999, "999B")]
    [InlineData(4_261_550, "4.26MB")]
    [InlineData(1_000_000_000, "1GB")]
    [InlineData(12_345, "12.3kB")]
    public void Sizes_print_like_docker(long bytes, string text) => Assert.Equal(text, Units.HumanSize(bytes));

    [Fact]
    public void Durations_print_like_docker()
    {
        Assert.Equal("About a minute", Units.HumanDuration(TimeSpan.FromSeconds(70)));
        Assert.Equal("3 hours", Units.HumanDuration(TimeSpan.FromHours(3.2)));
        Assert.Equal("2 weeks", Units.HumanDuration(TimeSpan.FromDays(15)));
        Assert.Equal("5 months", Units.HumanDuration(TimeSpan.FromDays(160)));
    }

    [Fact]
    public void Templates_render_fields_json_and_tables()
    {
        using System.Text.Json.JsonDocument document = System.Text.Json.JsonDocument.Parse("""{"Repository":"busybox","Tag":"latest","Config":{"Cmd":["sh","-c"]},"Size":"1MB"}""");
        Assert.Equal("busybox:latest", new GoTemplate("{{.Repository}}:{{.Tag}}").Render(document.RootElement));
        Assert.Equal("[sh -c]", new GoTemplate("{{.Config.Cmd}}").Render(document.RootElement));
        Assert.Equal("[\"sh\",\"-c\"]", new GoTemplate("{{json .Config.Cmd}}").Render(document.RootElement));
        GoTemplate table = new("table {{.Repository}}\\t{{.Size}}");
        Assert.True(table.IsTable);
        Assert.Equal("REPOSITORY\tSIZE", table.Header());
        Assert.Throws<FormatException>(() => new GoTemplate("{{.Nope}}").Render(document.RootElement));
    }

    [Fact]
    public void Progress_draws_bars_in_place_on_a_terminal_and_lines_elsewhere()
    {
        StringWriter terminal = new();
        ProgressRenderer bars = new(terminal, terminal: true);
        bars.Layer("aaaaaaaaaaaa", LayerState.PullingFsLayer);
        bars.Layer("bbbbbbbbbbbb", LayerState.PullingFsLayer);
        bars.Layer("aaaaaaaaaaaa", LayerState.Downloading, 500_000, 1_000_000);
        bars.Layer("aaaaaaaaaaaa", LayerState.PullComplete);
        string drawn = terminal.ToString();
        Assert.Contains("aaaaaaaaaaaa: Downloading  [=========================>                        ]  500kB/1MB", drawn);
        Assert.Contains("\u001b[2A\u001b[2K\r", drawn);   // two lines up: the first layer's line is redrawn
        Assert.EndsWith("aaaaaaaaaaaa: Pull complete\u001b[2B\r", drawn);

        StringWriter pipe = new();
        ProgressRenderer lines = new(pipe, terminal: false);
        lines.Layer("aaaaaaaaaaaa", LayerState.Downloading, 1, 10);
        lines.Layer("aaaaaaaaaaaa", LayerState.Downloading, 5, 10);
        lines.Layer("aaaaaaaaaaaa", LayerState.PullComplete);
        Assert.Equal("aaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\n", pipe.ToString());
    }
}
