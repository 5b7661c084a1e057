using System.Globalization;
using CoreSleuth.Report;
using CsCheck;

namespace CoreSleuth.Tests.Reports;

/// <summary>Hex values as the reports write them: what .NET's own "x" and "x16" formats print, prefixed with 0x.</summary>
public sealed class HexTests
{
    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0xfUL)]
    [InlineData(0x10UL)]
    [InlineData(0x801611400UL)]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x8000000000000000UL)]
    [InlineData(ulong.MaxValue)]
    public void Edges_print_as_the_x_and_x16_formats(ulong value) => Check(value);

    [Fact]
    public void Every_value_prints_as_the_x_and_x16_formats() =>
        Gen.ULong.Sample(Check, iter: 20_000);

    private static void Check(ulong value)
    {
        Assert.Equal("0x" + value.ToString("x", CultureInfo.InvariantCulture), new Hex(value).ToString());
        var text = new StringWriter();
        FrameText.WriteHex(text, value, sixteenDigits: true);
        text.Write(' ');
        FrameText.WriteHex(text, value);
        Assert.Equal($"0x{value.ToString("x16", CultureInfo.InvariantCulture)} 0x{value.ToString("x", CultureInfo.InvariantCulture)}", text.ToString());
    }
}
