using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// Reads the Markdown report as a CommonMark renderer does (Markdig with GitHub's pipe tables)
/// and checks that what it shows is what the text report says: the facts are parsed out of the
/// text report, each is looked up in the rendered table cell, list item or paragraph where the
/// Markdown puts it, and the two must be equal character for character — a stray backslash, a
/// lost character or markup made of a string from the core makes them differ.
/// </summary>
internal static partial class MarkdownFacts
{
    public static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();

    public static MarkdownDocument Parse(string markdown) => Markdown.Parse(markdown, Pipeline);

    /// <summary>What a reader sees of inline content. Links, raw HTML and autolinks are never meant to be there: they fail.</summary>
    public static string Plain(ContainerInline? inlines, bool allowEmphasis = true)
    {
        var sb = new StringBuilder();
        Append(inlines?.FirstChild, sb, allowEmphasis);
        return sb.ToString();
    }

    private static void Append(Inline? inline, StringBuilder sb, bool allowEmphasis)
    {
        for (; inline is not null; inline = inline.NextSibling)
        {
            switch (inline)
            {
                case LiteralInline l: sb.Append(l.Content.ToString()); break;
                case CodeInline c: sb.Append(c.Content); break;
                case HtmlEntityInline e: sb.Append(e.Transcoded.ToString()); break;
                case LineBreakInline: sb.Append('\n'); break;
                case EmphasisInline em when allowEmphasis: Append(em.FirstChild, sb, allowEmphasis); break;
                default: throw new Xunit.Sdk.XunitException($"unexpected markup {inline.GetType().Name} after \"{sb}\"");
            }
        }
    }

    public static string Plain(Block block) => block switch
    {
        ParagraphBlock p => Plain(p.Inline),
        HeadingBlock h => Plain(h.Inline),
        ListItemBlock item => string.Join("\n", item.Select(Plain)),
        _ => throw new Xunit.Sdk.XunitException($"unexpected {block.GetType().Name} at line {block.Line + 1}"),
    };

    public static List<string> Items(ListBlock list) => [.. list.Cast<ListItemBlock>().Select(Plain)];

    /// <summary>Each row of the table after the heading <paramref name="heading"/>, as the text of its cells (no emphasis allowed in a cell).</summary>
    public static List<string[]> Table(MarkdownDocument doc, string heading)
    {
        var table = After(doc, heading).OfType<Table>().FirstOrDefault() ?? throw new Xunit.Sdk.XunitException($"no table under \"{heading}\"");
        return [.. table.Cast<TableRow>().Where(r => !r.IsHeader)
            .Select(r => r.Cast<TableCell>().Select(c => c.Count == 0 ? "" : Plain(((ParagraphBlock)c[0]).Inline, allowEmphasis: false)).ToArray())];
    }

    /// <summary>The blocks between the heading <paramref name="heading"/> and the next heading.</summary>
    public static List<Block> After(MarkdownDocument doc, string heading)
    {
        int at = doc.ToList().FindIndex(b => b is HeadingBlock h && Plain(h.Inline) == heading);
        Assert.True(at >= 0, $"no heading \"{heading}\"");
        return [.. doc.Skip(at + 1).TakeWhile(b => b is not HeadingBlock)];
    }

    /// <summary>Lines of the text report from the one after <paramref name="heading"/> up to the next empty line.</summary>
    private static List<string> Section(string[] lines, string heading)
    {
        int at = Array.IndexOf(lines, heading);
        return at < 0 ? [] : [.. lines.Skip(at + 1).TakeWhile(l => l.Length > 0)];
    }

    /// <summary>The Markdown shows every fact of the text report, as the text report shows it.</summary>
    public static void AssertSameFacts(string text, string markdown)
    {
        var lines = text.Split('\n');
        var doc = Parse(markdown);

        // Header: the core file, the command and pid, the command line.
        var header = doc.OfType<HeadingBlock>().First();
        Assert.Equal("CoreSleuth: " + lines[1][..(lines[1].LastIndexOf("), FreeBSD ", StringComparison.Ordinal) + 1)], Plain(header.Inline));
        var about = Items(doc.OfType<ListBlock>().First());
        string producer = Regex.Match(lines[1], @"core written by (\w+)").Groups[1].Value;
        Assert.Equal($"core: {lines[0]["CoreSleuth analysis of ".Length..]}, written by {producer}", about[0]);
        if (lines[2].StartsWith("command line: ", StringComparison.Ordinal)) Assert.Equal(lines[2], about[2]);

        CompareDiagnosis(lines, After(doc, "Diagnosis"));
        CompareThreads(lines, Table(doc, "Threads"));
        CompareStacks(lines, doc);
        CompareBacktraces(lines, doc);

        var handles = Section(lines, "HANDLES").Skip(1).ToList();
        if (handles.Count > 0) CompareHandles(handles, Table(doc, "OS thread handles"));
        else Assert.DoesNotContain(doc, b => b is HeadingBlock h && Plain(h.Inline) == "OS thread handles");

        // One form in both: "Warnings (N)", then one item per warning.
        string? heading = lines.FirstOrDefault(l => l.StartsWith("Warnings (", StringComparison.Ordinal));
        if (heading is null) Assert.DoesNotContain(doc, b => b is HeadingBlock h && Plain(h.Inline).StartsWith("Warnings", StringComparison.Ordinal));
        else Assert.Equal(Section(lines, heading).Select(w => w["  - ".Length..]), Items(After(doc, heading).OfType<ListBlock>().Single()));
    }

    private static void CompareDiagnosis(string[] lines, List<Block> md)
    {
        int mdAt = 0;
        // A kernel core's fatal signal opens the diagnosis: its block ends at the first empty line.
        string? crash = lines[Array.IndexOf(lines, "DIAGNOSIS") + 1] is var first && first.StartsWith("FATAL SIGNAL: ", StringComparison.Ordinal) ? first : null;
        if (crash is not null) mdAt = CompareCrash(Section(lines, "DIAGNOSIS"), md);
        var text = crash is null ? Section(lines, "DIAGNOSIS") : lines.SkipWhile(l => l != crash).SkipWhile(l => l.Length > 0).Skip(1).TakeWhile(l => l.Length > 0).ToList();
        if (text.Count > 1)
        {
            // INCOMPLETE: the verdict, then what the check could not look at.
            Assert.Equal(text[0] + ":", Plain(md[mdAt++]));
            Assert.Equal(text.Skip(1).Select(l => l["  - ".Length..]), Items((ListBlock)md[mdAt++]));
        }
        else Assert.Equal(text[0], Plain(md[mdAt++]));

        // The roots, most waiters first: a numbered list in both; then the picture of the graph (checked by DiagramTests).
        var roots = Section(lines, "Roots, most waiters first:");
        if (roots.Count > 0)
        {
            Assert.Equal("Roots, most waiters first:", Plain(md[mdAt++]));
            Assert.Equal(roots.Select(l => l[(l.IndexOf(". ", StringComparison.Ordinal) + 2)..]), Items((ListBlock)md[mdAt++]));
        }
        if (md.Count > mdAt + 1 && md[mdAt + 1] is FencedCodeBlock { Info: "mermaid" }) mdAt += 2;

        // Each finding: a block of its own in the text, a bold paragraph and three lists in the Markdown.
        int from = Array.IndexOf(lines, "DIAGNOSIS") + 1;
        var findings = lines[from..].TakeWhile(l => !l.StartsWith("HANDLES", StringComparison.Ordinal) && l != "THREADS").ToList();
        int count = 0;
        for (int i = 0; i < findings.Count; i++)
        {
            var head = FindingLine().Match(findings[i]);
            var other = OtherFindingLine().Match(findings[i]);
            if (!head.Success && !other.Success) continue;
            count++;
            var paragraph = (ParagraphBlock)md[mdAt++];
            string shown = Plain(paragraph.Inline);
            if (head.Success)
            {
                Assert.StartsWith($"{head.Groups["confidence"].Value}: LWP {head.Groups["lwp"].Value}", shown);
                // The values from the core are code spans holding exactly what the text report quotes.
                var expected = new[] { head.Groups["pthread"], head.Groups["name"], head.Groups["path"] }.Where(g => g.Value.Length > 0).Select(g => g.Value);
                var spans = paragraph.Inline!.Descendants<CodeInline>().Select(c => c.Content);
                Assert.Equal(expected, spans);
            }
            else Assert.Equal($"{other.Groups["confidence"].Value}: {other.Groups["summary"].Value}.", shown);

            var block = findings.Skip(i + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            var about = new List<string>();
            foreach (string l in block.TakeWhile(l => l != "  evidence:"))
                about.Add(l.StartsWith("  flags: ", StringComparison.Ordinal) ? "open flags: " + l["  flags: ".Length..] : l[2..]);
            var evidence = block.SkipWhile(l => l != "  evidence:").Skip(1).TakeWhile(l => l != "  what to do:").Select(l => l["    - ".Length..]);
            var advice = block.SkipWhile(l => l != "  what to do:").Skip(1).Select(l => WithoutCommandFence(l["    - ".Length..]));
            if (about.Count > 0) Assert.Equal(about, Items((ListBlock)md[mdAt++]));
            Assert.Equal("Evidence:", Plain(md[mdAt++]));
            Assert.Equal(evidence, Items((ListBlock)md[mdAt++]));
            Assert.Equal("What to do:", Plain(md[mdAt++]));
            Assert.Equal(advice, Items((ListBlock)md[mdAt++]));
        }
        Assert.Equal(mdAt, md.Count);
        Assert.Equal(text[0].StartsWith("No thread", StringComparison.Ordinal), count == 0);
    }

    /// <summary>The crash block: its sentence, facts and evidence as in the text, and its top frames as an indented code block; returns the next Markdown block's index.</summary>
    private static int CompareCrash(List<string> block, List<Block> md)
    {
        int at = 0;
        Assert.Equal("Fatal signal: " + block[0]["FATAL SIGNAL: ".Length..], Plain(md[at++]));
        var facts = block.Skip(1).TakeWhile(l => l != "  evidence:").Select(l => $"{l[2..l.IndexOf(':', StringComparison.Ordinal)]}: {l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].TrimStart()}");
        Assert.Equal(facts, Items((ListBlock)md[at++]));
        Assert.Equal("Evidence:", Plain(md[at++]));
        var evidence = block.SkipWhile(l => l != "  evidence:").Skip(1).TakeWhile(l => l.StartsWith("    - ", StringComparison.Ordinal)).Select(l => l["    - ".Length..]);
        Assert.Equal(evidence, Items((ListBlock)md[at++]));
        var frames = block.SkipWhile(l => !l.StartsWith("  top frames of LWP ", StringComparison.Ordinal)).ToList();
        if (frames.Count > 0)
        {
            Assert.Equal(frames[0][2..].TrimEnd(':').Replace("top", "Top", StringComparison.Ordinal) + ":", Plain(md[at++]));
            var code = (CodeBlock)md[at++];
            Assert.Equal(frames.Skip(1).Select(l => l[4..]), code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString()));
        }
        return at;
    }

    /// <summary>Advice shows its command (between the first and the last backtick) as a code span: the backticks become the span's fence.</summary>
    private static string WithoutCommandFence(string advice)
    {
        int open = advice.IndexOf('`'), close = advice.LastIndexOf('`');
        return open < 0 || close - open < 2 ? advice : advice[..open] + advice[(open + 1)..close] + advice[(close + 1)..];
    }

    private static void CompareThreads(string[] lines, List<string[]> md)
    {
        // The note under the table on how to read "≥ N s" is the Markdown's paragraph after it, not a row.
        var table = Section(lines, "THREADS").Skip(1).Where(l => !l.StartsWith("  (≥ N s: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(table.Count, md.Count);
        for (int i = 0; i < table.Count; i++)
        {
            string[] tokens = table[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var details = ThreadDetails(lines, tokens[1]);
            string[] expected = [tokens[0], tokens[1], tokens[2], details.Name, details.Category, details.Wait, details.Slept, details.WaitsFor, details.Syscall, tokens[^1]];
            Assert.Equal(expected, md[i]);
        }
    }

    private sealed record Details(string Name, string Category, string Wait, string Slept, string WaitsFor, string Syscall, List<string> Backtrace);

    /// <summary>A thread's block under THREAD DETAILS: its name, wait message and call as the text report prints them ("-" for none).</summary>
    private static Details ThreadDetails(string[] lines, string lwp)
    {
        int at = Array.FindIndex(lines, l => ThreadHeader().Match(l) is { Success: true } m && m.Groups["lwp"].Value == lwp);
        Assert.True(at >= 0, $"no details of LWP {lwp}");
        var m = ThreadHeader().Match(lines[at]);
        var block = lines.Skip(at + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        string wait = block.Select(l => WaitLine().Match(l)).FirstOrDefault(x => x.Success)?.Groups[1].Value ?? "";
        string call = block.Select(l => SyscallLine().Match(l)).FirstOrDefault(x => x.Success)?.Groups[1].Value ?? "";
        var backtrace = block.SkipWhile(l => l != "  backtrace:").Skip(1).Where(l => !l.StartsWith("    (walk stopped", StringComparison.Ordinal))
            .Select(l => l[4..]).ToList();
        string category = block.Select(l => DoingLine().Match(l)).FirstOrDefault(x => x.Success)?.Groups[1].Value ?? "";
        string slept = block.Select(l => AsleepLine().Match(l)).FirstOrDefault(x => x.Success)?.Groups[1].Value ?? "";
        string waitsFor = string.Join(", ", block.Select(l => WaitsForLine().Match(l)).Where(x => x.Success).Select(x => x.Groups[1].Value == "an unknown holder" ? "?" : x.Groups[1].Value).Distinct());
        static string Dash(string s) => s.Length == 0 ? "-" : s;
        return new Details(Dash(m.Groups["name"].Value), Dash(category), Dash(wait), Dash(slept), Dash(waitsFor), Dash(call), backtrace);
    }

    private static void CompareStacks(string[] lines, MarkdownDocument doc)
    {
        var text = Section(lines, "STACKS (threads with identical backtraces)");
        if (text.Count == 0) return;
        var md = Table(doc, "Stacks (threads with identical backtraces)");
        Assert.Equal(text.Count, md.Count);
        for (int i = 0; i < text.Count; i++)
        {
            string line = text[i].TrimStart();
            int times = line.IndexOf(" × ", StringComparison.Ordinal), lwps = line.LastIndexOf("  (LWP ", StringComparison.Ordinal);
            Assert.Equal([line[..times], line[(lwps + "  (LWP ".Length)..^1], line[(times + 3)..lwps]], md[i]);
        }
    }

    /// <summary>A blocked thread's backtrace, in its &lt;details&gt; code block, is the text report's line for line.</summary>
    private static void CompareBacktraces(string[] lines, MarkdownDocument doc)
    {
        // The crash's top frames, under Diagnosis, are compared with the crash block.
        var crashFrames = After(doc, "Diagnosis").OfType<CodeBlock>().ToHashSet();
        var blocks = doc.OfType<CodeBlock>().Where(b => !crashFrames.Contains(b)).ToList();
        var summaries = doc.OfType<HtmlBlock>().Select(h => DetailsSummary().Match(h.Lines.ToString())).Where(m => m.Success).ToList();
        Assert.Equal(summaries.Count, blocks.Count);
        for (int i = 0; i < blocks.Count; i++)
        {
            var code = blocks[i].Lines.Lines.Take(blocks[i].Lines.Count).Select(l => l.Slice.ToString()).ToList();
            var frames = code.SkipWhile(l => !l.StartsWith('#')).ToList();
            Assert.NotEmpty(frames);
            Assert.Equal(ThreadDetails(lines, summaries[i].Groups[1].Value).Backtrace, frames);
        }
    }

    private static void CompareHandles(List<string> text, List<string[]> md)
    {
        Assert.Equal(text.Count, md.Count);
        for (int i = 0; i < text.Count; i++)
        {
            string[] tokens = text[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var row = md[i];
            Assert.Equal([tokens[0], tokens[1], tokens[2]], row[..3]);
            Assert.Contains($"  {row[3]}  ", text[i]);                 // thread
            Assert.Contains($"  {row[4]}  ", text[i]);                 // source
            Assert.Contains($" {row[5]}  ", text[i]);                  // MySQL id
            Assert.EndsWith($"  {row[6]}", text[i]);                   // reason, last
        }
    }

    [GeneratedRegex(@"^\[(?<confidence>\w+)\] LWP (?<lwp>\d+) (?:\(pthread_t (?<pthread>0x[0-9a-f]+)\) )?(?:""(?<name>.*?)"" )?is blocked opening (?:""(?<path>.*)""|\(path unavailable\)) for (?:reading|writing): ")]
    private static partial Regex FindingLine();

    [GeneratedRegex(@"^\[(?<confidence>certain|likely)\] (?<summary>(?!LWP \d+ .*is blocked opening ).*)$")]
    private static partial Regex OtherFindingLine();

    [GeneratedRegex(@"^  doing:    .* \[([a-z-]+)\]$")]
    private static partial Regex DoingLine();

    [GeneratedRegex(@"^  asleep:   (.*?)(?: \(ki_slptime .*)?$")]
    private static partial Regex AsleepLine();

    [GeneratedRegex(@"^  waits for: (LWP \d+|an unknown holder): ")]
    private static partial Regex WaitsForLine();

    [GeneratedRegex(@"^Thread (?<index>\d+) \(LWP (?<lwp>\d+)(?:, pthread_t 0x[0-9a-f]+)?(?:, ""(?<name>.*)"")?\)$")]
    private static partial Regex ThreadHeader();

    [GeneratedRegex(@"^  wait:     (.*?)(?: — .*)?$")]
    private static partial Regex WaitLine();

    [GeneratedRegex(@"^  syscall:  (.*) \[[a-z-]+\]$")]
    private static partial Regex SyscallLine();

    [GeneratedRegex(@"^<details><summary>Thread \d+ \(LWP (\d+)\)")]
    private static partial Regex DetailsSummary();
}
