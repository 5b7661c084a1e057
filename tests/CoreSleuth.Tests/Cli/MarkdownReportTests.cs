using CoreSleuth.Cli;
using CoreSleuth.Report;
using CoreSleuth.Tests.Samples;
using CsCheck;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// <c>analyze --format markdown</c> as a CommonMark renderer shows it says what the text report
/// says, and its raw form carries no backslash that Markdown does not need.
/// </summary>
public sealed class MarkdownReportTests
{
    private static string Analyze(string name, string format)
    {
        var args = new List<string> { "analyze", SampleSet.CorePath(name), "--format", format };
        if (SampleSet.InnodbStatus(name) is not null) args.AddRange(["--innodb-status", Path.Combine(SampleSet.Folder, name + ".innodb.txt")]);
        if (SampleSet.Sysroot(name) is { } sysroot) args.AddRange(["--sysroot", sysroot]);
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter();
        Assert.True(Program.Run([.. args], stdout, stderr) == 0, stderr.ToString());
        return stdout.ToString();
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_sample_reads_the_same_rendered_as_in_the_text_report(string name) =>
        MarkdownFacts.AssertSameFacts(Analyze(name, "text"), Analyze(name, "markdown"));

    [Fact]
    public void The_incident_report_has_no_backslash_outside_code()
    {
        string md = Analyze("mysqld-ghost-fifo", "markdown");
        Assert.Empty(BackslashesOutsideCode(md));
        // The values are code spans: what a reader copies is the exact path and call.
        Assert.Contains("blocked opening `/tmp/ghost.fifo` for reading", md);
        Assert.Contains("| `open(\"/tmp/ghost.fifo\", O_RDONLY, 0660)` |", md);
        Assert.Contains("e.g. `: > '/tmp/ghost.fifo'` (the statement then reads end-of-file).", md);
        Assert.Contains("- core: `samples/mysqld-ghost-fifo.core`, written by **gcore**", md.Replace(SampleSet.Folder + "/", "samples/"));
    }

    /// <summary>Wherever a backslash is left outside code, it escapes what Markdown would otherwise read as markup.</summary>
    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_backslash_outside_code_escapes_markup(string name)
    {
        foreach (var (line, at) in BackslashesOutsideCode(Analyze(name, "markdown")))
            Assert.True(at + 1 < line.Length && "\\`*_[<&|~#>-+.)".Contains(line[at + 1]), $"a needless backslash: {line}");
    }

    /// <summary>Each backslash outside indented code blocks and code spans, with its line.</summary>
    private static List<(string Line, int At)> BackslashesOutsideCode(string markdown)
    {
        var found = new List<(string, int)>();
        foreach (string line in markdown.Split('\n'))
        {
            if (line.StartsWith("    ", StringComparison.Ordinal)) continue;
            for (int i = 0; i < line.Length; i++)
            {
                if (line[i] == '`')
                {
                    int open = i;
                    while (i < line.Length && line[i] == '`') i++;
                    int fence = i - open, close = line.IndexOf(new string('`', fence), i, StringComparison.Ordinal);
                    while (close >= 0 && close + fence < line.Length && line[close + fence] == '`')
                        close = line.IndexOf(new string('`', fence), close + fence + 1, StringComparison.Ordinal);
                    i = close < 0 ? i - 1 : close + fence - 1;
                    continue;
                }
                if (line[i] == '\\') found.Add((line, i++));
            }
        }
        return found;
    }

    /// <summary>Characters Markdown gives a meaning to, and characters the sanitiser writes as escapes.</summary>
    private static readonly Gen<string> Nasty = Gen.Char["`*_[]()<>&#;!|\\~-+.=:/ax1 \n\u001b\u00e9"].Array[0, 14].Select(c => new string(c));

    private static string RenderedListItem(string markdown) =>
        MarkdownFacts.Plain(((ListItemBlock)((ListBlock)MarkdownFacts.Parse("- " + markdown)[0])[0])[0]);

    [Fact]
    public void Escaped_prose_renders_as_the_sanitised_text()
    {
        Nasty.Sample(raw =>
        {
            string safe = TextSanitizer.SanitizeMessage(raw);
            if (safe.Length == 0) return;
            Assert.Equal(safe, RenderedListItem(MarkdownText.Prose(safe)));
            Assert.Equal(safe, RenderedListItem("x " + MarkdownText.Prose(safe, atLineStart: false) + " y")[2..^2]);
        });
    }

    [Fact]
    public void A_value_is_a_code_span_of_the_sanitised_text_and_a_table_keeps_it_in_its_cell()
    {
        Nasty.Sample(raw =>
        {
            string safe = TextSanitizer.Sanitize(raw);
            string expected = safe.Length == 0 ? "-" : safe;
            string value = MarkdownText.Value(raw, 1024);
            Assert.Equal(expected, RenderedListItem("x " + value)[2..]);
            if (safe.Length > 0) Assert.Equal([safe], MarkdownFacts.Parse("x " + value).Descendants<CodeInline>().Select(c => c.Content));

            var table = MarkdownFacts.Parse($"| a | b |\n| --- | --- |\n| {MarkdownText.Value(raw, 1024, inTable: true)} | z |\n").OfType<Table>().Single();
            var cells = ((TableRow)table[1]).Cast<TableCell>().Select(c => MarkdownFacts.Plain(((ParagraphBlock)c[0]).Inline, allowEmphasis: false));
            Assert.Equal([expected, "z"], cells);
        });
    }

    [Theory]
    [InlineData("a`b", "``a`b``")]
    [InlineData("`a", "`` `a ``")]
    [InlineData("a``", "``` a`` ```")]
    [InlineData(" a ", "`  a  `")]
    [InlineData("  ", "`  `")]
    [InlineData("/tmp/x", "`/tmp/x`")]
    public void A_code_span_fence_is_longer_than_any_backtick_run_inside(string content, string span) =>
        Assert.Equal(span, MarkdownText.Code(content));

    [Theory]
    [InlineData("fifo_open(O_RDONLY) 10.1-RELEASE a.b-c (x)", "fifo_open(O_RDONLY) 10.1-RELEASE a.b-c (x)")]
    [InlineData("_start *p [x](y) <b> &amp; a~b `c`", "\\_start \\*p \\[x](y) \\<b> \\&amp; a\\~b \\`c\\`")]
    [InlineData("# 1. - > x", "\\# 1. - > x")]
    [InlineData("1. x", "1\\. x")]
    [InlineData("- x", "\\- x")]
    [InlineData("-x", "-x")]
    [InlineData("\\x1b \\* a\\", "\\x1b \\\\\\* a\\\\")]
    public void Prose_is_escaped_only_where_Markdown_would_misread_it(string text, string markdown) =>
        Assert.Equal(markdown, MarkdownText.Prose(text));
}
