using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CoreSleuth.Analysis;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Hostile;

/// <summary>The bounds an input must stay within.</summary>
public sealed record PipelineLimits
{
    /// <summary>Wall-clock time for load, analysis, report and the three renderers together.</summary>
    public TimeSpan PerInput { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bytes the pipeline may allocate on top of the input's own size.</summary>
    public long AllocationAllowance { get; init; } = 64L << 20;

    public static PipelineLimits Default { get; } = new();
}

public enum PipelineResult { Analysed, Refused }

/// <summary>What one input did: refused or analysed, how long it took and how much it allocated.</summary>
public sealed record PipelineOutcome(PipelineResult Result, TimeSpan Elapsed, long AllocatedBytes, int Warnings, string? Refusal)
{
    /// <summary>The three renderings, when analysed (kept only when asked for).</summary>
    public string? Text { get; init; }
    public string? Markdown { get; init; }
    public string? Json { get; init; }
}

/// <summary>An input broke an invariant; the message says which, the inner exception what escaped.</summary>
public sealed class InvariantViolation(string invariant, string detail, Exception? inner = null)
    : Exception($"{invariant}: {detail}", inner)
{
    public string Invariant { get; } = invariant;
}

/// <summary>
/// Runs one input through the whole <c>analyze</c> pipeline — <see cref="CoreFile.Load"/>,
/// <see cref="CoreAnalysis.Run(CoreFile, AnalysisOptions)"/>, <see cref="AnalysisReport.Build"/>,
/// the text, Markdown and JSON renderers — and checks what must hold for any bytes at all:
/// <list type="bullet">
/// <item>only <see cref="CoreFormatException"/> or <see cref="UnsupportedCoreException"/> escape, and only before a report exists; renderers never throw;</item>
/// <item>the input finishes within <see cref="PipelineLimits.PerInput"/> and allocates at most
/// <see cref="PipelineLimits.AllocationAllowance"/> plus its own size (measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>: the pipeline is single-threaded);</item>
/// <item>the JSON encodes to valid UTF-8 and parses;</item>
/// <item>text and Markdown hold no control character but the line feed, no C1 control and no
/// bidirectional override: every string from the core was escaped;</item>
/// <item>every Markdown table row has as many unescaped cell separators as its heading, and no
/// raw HTML is outside code but the report's own &lt;details&gt;.</item>
/// </list>
/// </summary>
public static class PipelineCheck
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static PipelineOutcome Run(byte[] buffer, int length, string name, AnalysisOptions? options = null, PipelineLimits? limits = null, bool keepOutput = false)
    {
        limits ??= PipelineLimits.Default;
        options ??= new AnalysisOptions();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        PipelineOutcome outcome;
        try
        {
            outcome = RunUnchecked(buffer, length, name, options, keepOutput);
        }
        catch (InvariantViolation) { throw; }
        catch (Exception e) when (e is not (CoreFormatException or UnsupportedCoreException))
        {
            throw new InvariantViolation("untyped exception", $"{e.GetType().FullName}: {e.Message}", e);
        }
        catch (Exception e)
        {
            if (string.IsNullOrWhiteSpace(e.Message)) throw new InvariantViolation("refusal without a message", e.GetType().Name, e);
            outcome = new PipelineOutcome(PipelineResult.Refused, TimeSpan.Zero, 0, 0, e.Message);
        }
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        outcome = outcome with { Elapsed = clock.Elapsed, AllocatedBytes = allocated };
        if (clock.Elapsed > limits.PerInput)
            throw new InvariantViolation("slow input", $"{clock.Elapsed.TotalMilliseconds:F0} ms, more than {limits.PerInput.TotalMilliseconds:F0} ms");
        if (allocated > limits.AllocationAllowance + length)
            throw new InvariantViolation("allocation", $"{allocated >> 20} MiB allocated for a {length}-byte input (allowance {limits.AllocationAllowance >> 20} MiB + input size)");
        return outcome;
    }

    private static PipelineOutcome RunUnchecked(byte[] buffer, int length, string name, AnalysisOptions options, bool keepOutput)
    {
        using var core = CoreFile.Load(new PrefixSource(buffer, length, name));
        AnalysisReport report;
        using (var analysis = CoreAnalysis.Run(core, options))
            report = AnalysisReport.Build(analysis, name);

        string text = Render("text", AnalysisText.Write, report);
        string markdown = Render("Markdown", AnalysisMarkdown.Write, report);
        string json = Render("JSON", AnalysisJson.Write, report);
        CheckTerminalSafe("text", text);
        CheckTerminalSafe("Markdown", markdown);
        CheckMarkdownTables(markdown);
        CheckJson(json);
        return new PipelineOutcome(PipelineResult.Analysed, TimeSpan.Zero, 0, report.Warnings.Count, null)
        {
            Text = keepOutput ? text : null,
            Markdown = keepOutput ? markdown : null,
            Json = keepOutput ? json : null,
        };
    }

    private static string Render(string format, Action<AnalysisReport, TextWriter> write, AnalysisReport report)
    {
        var w = new StringWriter { NewLine = "\n" };
        try { write(report, w); }
        catch (Exception e) { throw new InvariantViolation("renderer threw", $"{format}: {e.GetType().FullName}: {e.Message}", e); }
        return w.ToString();
    }

    /// <summary>Every string from the core is escaped: no character that moves the cursor, recolours, retitles or reorders.</summary>
    public static void CheckTerminalSafe(string format, string output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            char c = output[i];
            bool bad = (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c <= 0x9f)
                || c is '\u2028' or '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c is '\u200e' or '\u200f' or '\u061c'
                || (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < output.Length && char.IsLowSurrogate(output[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(output[i - 1])));
            if (bad)
            {
                int from = Math.Max(0, i - 40);
                string context = output[from..Math.Min(output.Length, i + 20)].Replace("\u001b", "<ESC>");
                throw new InvariantViolation("unescaped character", $"{format} output holds U+{(int)c:X4} at {i}: …{context}…");
            }
        }
    }

    /// <summary>A table row with more or fewer cells than its heading means a string from the core broke out of its cell.</summary>
    public static void CheckMarkdownTables(string markdown)
    {
        int? columns = null;
        foreach (string line in markdown.Split('\n'))
        {
            CheckMarkup(line);
            if (!line.StartsWith('|')) { columns = null; continue; }
            int separators = UnescapedPipes(line);
            if (columns is null) columns = separators;
            else if (separators != columns)
                throw new InvariantViolation("Markdown table", $"a row has {separators} cell separators, its heading {columns}: {line[..Math.Min(line.Length, 160)]}");
        }
    }

    /// <summary>Outside code (indented blocks and code spans), the only raw HTML is the report's own &lt;details&gt; wrapper.</summary>
    private static void CheckMarkup(string line)
    {
        if (line.StartsWith("    ", StringComparison.Ordinal)) return;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\') { i++; continue; }
            if (line[i] == '`') { i = CodeSpanEnd(line, i); continue; }
            if (line[i] != '<') continue;
            var rest = line.AsSpan(i);
            if (rest.StartsWith("<details>") || rest.StartsWith("</details>") || rest.StartsWith("<summary>") || rest.StartsWith("</summary>")) continue;
            throw new InvariantViolation("Markdown markup", $"a raw '<' outside the report's own tags: {line[..Math.Min(line.Length, 160)]}");
        }
    }

    /// <summary>
    /// Where a code span opened by the backtick run at <paramref name="at"/> ends (its closing run's
    /// last backtick), as CommonMark pairs runs of equal length; the opening run's end if none closes it.
    /// </summary>
    private static int CodeSpanEnd(string line, int at)
    {
        int open = at;
        while (at < line.Length && line[at] == '`') at++;
        int length = at - open;
        for (int i = at; i < line.Length;)
        {
            if (line[i] != '`') { i++; continue; }
            int run = i;
            while (i < line.Length && line[i] == '`') i++;
            if (i - run == length) return i - 1;
        }
        return at - 1;
    }

    /// <summary>
    /// Cell separators as GitHub counts them: every pipe not escaped by a backslash, inside a code
    /// span too (GitHub splits the row before it reads code spans).
    /// </summary>
    private static int UnescapedPipes(string line)
    {
        int count = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\') { i++; continue; }
            if (line[i] == '|') count++;
        }
        return count;
    }

    /// <summary>The JSON report is valid UTF-8 once encoded (no lone surrogate) and parses.</summary>
    public static void CheckJson(string json)
    {
        byte[] utf8;
        try { utf8 = StrictUtf8.GetBytes(json); }
        catch (EncoderFallbackException e) { throw new InvariantViolation("JSON not UTF-8", e.Message, e); }
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvariantViolation("JSON", $"the report is a {doc.RootElement.ValueKind}, not an object");
        }
        catch (JsonException e) { throw new InvariantViolation("JSON does not parse", e.Message, e); }
    }

    /// <summary>The first <c>length</c> bytes of a buffer, without copying: truncations and in-place mutations cost nothing.</summary>
    public sealed class PrefixSource(byte[] buffer, int length, string name) : ByteSource
    {
        public override long Length => length;
        public override string Name => name;

        public override ReadOnlySpan<byte> Slice(long offset, int count)
        {
            if (offset < 0 || count < 0 || offset >= length) return [];
            return buffer.AsSpan((int)offset, (int)Math.Min(count, length - offset));
        }
    }
}
