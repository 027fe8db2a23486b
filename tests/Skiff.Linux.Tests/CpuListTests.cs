namespace Skiff.Linux.Tests;

public class CpuListTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("0-3", "0,1,2,3")]
    [InlineData("0-3,5", "0,1,2,3,5")]
    [InlineData("7,2-3", "7,2,3")]
    [InlineData("4-4", "4")]
    [InlineData(" 0 - 2 , 5 ", "0,1,2,5")]
    [InlineData("0-1\n", "0,1")]
    [InlineData("1,,3,", "1,3")]
    [InlineData("", "")]
    [InlineData("\n", "")]
    [InlineData(" , ", "")]
    public void A_list_names_the_cpus_of_its_ranges_in_order(string text, string numbers)
    {
        Assert.Equal(numbers, string.Join(',', CpuList.Numbers(CpuList.Parse(text))));
    }

    [Fact]
    public void Ranges_are_kept_as_written()
    {
        Assert.Equal([new CpuRange(0, 3), new CpuRange(5, 5), new CpuRange(64, 66)], CpuList.Parse("0-3,5,64-66"));
    }

    [Theory]
    [InlineData("a", "\"a\" is not a CPU number")]
    [InlineData("3-1", "range 3-1 runs backwards")]
    [InlineData("-1", "\"\" is not a CPU number")]
    [InlineData("1-", "\"\" is not a CPU number")]
    [InlineData("1-2-3", "\"2-3\" is not a CPU number")]
    [InlineData("+1", "\"+1\" is not a CPU number")]
    [InlineData("0x1", "\"0x1\" is not a CPU number")]
    [InlineData("0;1", "\"0;1\" is not a CPU number")]
    [InlineData("99999999999", "\"99999999999\" is not a CPU number")]
    public void Bad_input_is_refused_naming_the_list_and_the_part(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => CpuList.Parse(text));
        Assert.Equal($"CPU list \"{text}\": {reason}", e.Message);
    }

    [Fact]
    public void The_online_cpus_of_this_machine_parse()
    {
        IReadOnlyList<CpuRange> online = CpuList.Parse(File.ReadAllText("/sys/devices/system/cpu/online"));
        Assert.Contains(0, CpuList.Numbers(online));
    }
}
