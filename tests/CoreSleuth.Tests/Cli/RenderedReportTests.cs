using System.Text;
using CoreSleuth.Cli;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>A report rendered into encoded blocks reaches its destination unchanged, however its characters fall across blocks.</summary>
public sealed class RenderedReportTests
{
    // Several 64 KiB blocks; two-, three- and four-byte UTF-8 sequences (a surrogate pair) at every alignment.
    private static readonly string Text = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i % 7}é€\U0001F600\n"));

    private static RenderedReport Render(Encoding encoding)
    {
        var report = new RenderedReport(encoding);
        // Written in pieces of varying length, as renderers do.
        for (int at = 0, n = 1; at < Text.Length; at += n, n = n % 13 + 1)
            report.Writer.Write(Text.AsSpan(at, Math.Min(n, Text.Length - at)));
        return report;
    }

    [Fact]
    public void Bytes_under_a_writer_of_the_same_encoding_are_the_text_encoded()
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        using var report = Render(utf8);
        var stream = new MemoryStream();
        using (var destination = new StreamWriter(stream, utf8, leaveOpen: true))
        {
            destination.Write("before|");
            report.WriteTo(destination);
            destination.Write("|after");
        }
        Assert.Equal(utf8.GetBytes("before|" + Text + "|after"), stream.ToArray());
    }

    [Fact]
    public void A_file_gets_the_encoded_bytes()
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        using var report = Render(utf8);
        var file = new MemoryStream();
        report.WriteTo(file);
        Assert.Equal(utf8.GetBytes(Text), file.ToArray());
    }

    [Fact]
    public void A_text_writer_or_a_writer_of_another_encoding_gets_the_text()
    {
        using var report = Render(new UTF8Encoding(false));
        var text = new StringWriter();
        report.WriteTo(text);
        Assert.Equal(Text, text.ToString());

        var stream = new MemoryStream();
        using (var latin1 = new StreamWriter(stream, Encoding.Latin1, leaveOpen: true)) report.WriteTo(latin1);
        Assert.Equal(Encoding.Latin1.GetBytes(Text), stream.ToArray());
    }

    [Fact]
    public void Analyze_writes_the_same_report_to_a_stream_as_to_a_text_writer()
    {
        string core = SampleSet.CorePath("mysqld-ghost-fifo");
        var text = new StringWriter();
        Assert.Equal(0, Program.Run(["analyze", core], text, new StringWriter()));

        var stream = new MemoryStream();
        using (var stdout = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true))
            Assert.Equal(0, Program.Run(["analyze", core], stdout, new StringWriter()));
        Assert.Equal(text.ToString(), Encoding.UTF8.GetString(stream.ToArray()));
        Assert.StartsWith("CoreSleuth analysis of ", text.ToString());
    }
}
