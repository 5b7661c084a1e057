using System.Text.Encodings.Web;
using System.Text.Json;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>JSON serialized into the writer as it goes is the same text as serialized to a string first.</summary>
public sealed class JsonTextTests
{
    // Kept unescaped, so the serializer's UTF-8 has multi-byte sequences at every offset of its buffers.
    private static readonly AnalysisJsonContext Relaxed = new(new JsonSerializerOptions(AnalysisJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static HandlesReport Report()
    {
        string text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i % 10}é€\U0001F600"));
        var handles = Enumerable.Range(0, 3_000)
            .Select(i => new ReportHandle((ulong)i * 0x1000 + 0xabc, "live", 100_000 + i, "argument", i, i % 2 == 0 ? null : "ré∂son") { ThreadName = $"thread-ü{i}" })
            .ToList();
        return new HandlesReport(ReportSchemas.Handles, ReportFixtures.Core(text), ReportFixtures.Process(), handles, ["symbols"], [text[..999]], ["warning ✓"]);
    }

    [Fact]
    public void Equals_the_serialized_string_and_a_newline()
    {
        var report = Report();
        var written = new StringWriter { NewLine = "\n" };
        JsonText.Write(report, Relaxed.HandlesReport, written);
        Assert.Equal(JsonSerializer.Serialize(report, Relaxed.HandlesReport) + "\n", written.ToString());
        Assert.Contains("é€", written.ToString()); // not escaped: two- and three-byte UTF-8 went through the decoding
    }

    [Fact]
    public void Hex_values_are_lowercase_0x_strings()
    {
        var written = new StringWriter { NewLine = "\n" };
        JsonText.Write(Report(), Relaxed.HandlesReport, written);
        using var json = JsonDocument.Parse(written.ToString());
        var handles = json.RootElement.GetProperty("handles").EnumerateArray().Select(h => h.GetProperty("handle").GetString()).ToList();
        Assert.Equal("0xabc", handles[0]);
        Assert.Equal("0xbb7abc", handles[2_999]); // 2999 = 0xbb7
    }
}
