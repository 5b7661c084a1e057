using System.Text;
using System.Text.Json;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Strings a dumped process controls — thread names, the path of a blocked open, open files,
/// mapping paths, the command line — and statements from InnoDB text reach every report
/// format. Each format must keep them inert: text escapes control characters, ANSI sequences
/// and bidirectional overrides; Markdown also escapes what would break a table or inject HTML;
/// JSON stays valid UTF-8 whatever bytes the core held.
/// </summary>
public sealed class HostileContentTests : IDisposable
{
    /// <summary>19 characters: exactly what td_name holds (MAXCOMLEN, spec §3.5).</summary>
    private const string EvilName = "\u001b[31mEVIL\u001b]0;title\a";
    private const string EvilPath = "/tmp/a|b`c`\n\u202eevil.fifo";
    private const string EvilArgument = "--evil=\u001b[2J\u001b]0;pwned\a";
    private const string EvilExecutable = "/usr/local/libexec/my\u001b[1msqld|`<i>`";
    private const string EvilStatement = "LOAD DATA INFILE 'x' \u001b[31m<script>alert(1)</script>|`y`";

    private readonly TempCore core = new(HostileCores.Write(SeedCores.SmallProcess(1400097,
        connectionName: EvilName, fifoPath: EvilPath, arguments: ["/usr/local/libexec/mysqld", EvilArgument], executable: EvilExecutable)));

    private readonly string innodb;

    public HostileContentTests()
    {
        innodb = Path.Combine(core.Directory, "innodb.txt");
        File.WriteAllText(innodb, $"---TRANSACTION 1792, ACTIVE 512 sec inserting\nMySQL thread id 12, OS thread handle 0x801002000, query id 9 localhost root System lock\n{EvilStatement}\n");
    }

    public void Dispose() => core.Dispose();

    private CliRun Analyze(string format)
    {
        var run = HostileCores.Cli("analyze", core.Path, "--innodb-status", innodb, "--format", format);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    private static void NoRawControls(string output)
    {
        foreach (char c in "\u001b\a\r\u202e\u009b")
            Assert.False(output.Contains(c), $"raw U+{(int)c:X4} in the output");
        Assert.DoesNotContain("\u001b]0;", output);
    }

    [Fact]
    public void Text_shows_every_hostile_string_escaped()
    {
        string text = Analyze("text").Stdout;
        NoRawControls(text);
        // ESC and BEL as \x1b and \x07, newline as \n, U+202E as \u202e (the escapes TextSanitizer documents).
        Assert.Contains("\\x1b[31mEVIL\\x1b]0;title\\x07", text);                   // thread name (THRMISC)
        Assert.Contains("/tmp/a|b`c`\\n\\u202eevil.fifo", text);                    // blocked open's path, read from the stack
        Assert.Contains("--evil=\\x1b[2J\\x1b]0;pwned\\x07", text);                 // argv from ps_strings
        Assert.Contains("my\\x1b[1msqld|`<i>`", text);                              // mapping path, as the module of frames
        Assert.Contains("\\x1b[31m<script>alert(1)</script>|`y`", text);            // statement from InnoDB text
        // The finding is still made: escaping changes the display, not the analysis.
        Assert.Contains("is blocked opening \"/tmp/a|b`c`\\n\\u202eevil.fifo\" for reading", text);
        // One line per thread in the table: the newline in the path did not split a row.
        var rows = text.Split('\n').SkipWhile(l => l != "THREADS").Skip(2).TakeWhile(l => l.Length > 0).ToList();
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public void Markdown_keeps_every_hostile_string_inert_and_shows_it_as_the_text_report_does()
    {
        string md = Analyze("markdown").Stdout;
        NoRawControls(md);
        // Rendered by a CommonMark implementation with GitHub's tables, the report holds no markup
        // made of these strings (no link, HTML or emphasis in a cell) and every fact reads as in text.
        CoreSleuth.Tests.Cli.MarkdownFacts.AssertSameFacts(Analyze("text").Stdout, md);
        Assert.Contains("``/tmp/a|b`c`\\n\\u202eevil.fifo``", md);                // the path in the diagnosis, a code span
        // In the threads table, each row keeps exactly the heading's 11 cell separators (10 columns).
        var table = md.Split('\n').SkipWhile(l => l != "### Threads").Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.Equal(4, table.Count); // heading, rule, 2 threads
        Assert.All(table, row => Assert.Equal(11, UnescapedPipes(row)));
    }

    /// <summary>Names and paths made of Markdown itself: code spans, emphasis, links, entities, HTML, table pipes.</summary>
    [Theory]
    [InlineData("`|*_[x](y)<b>&amp;`", "/tmp/``x|y`*_[a](b)\\<i>&lt;~~s~~ ")]
    [InlineData("# 1. _a_ **b** \\", "- [x]: /y |a|b| `")]
    public void Markdown_made_of_markdown_reads_as_the_text_report(string name, string path)
    {
        using var marked = new TempCore(HostileCores.Write(SeedCores.SmallProcess(1400097, connectionName: name, fifoPath: path,
            arguments: ["/usr/local/libexec/mysqld", "--x=" + path, "*" + name])));
        var text = HostileCores.Cli("analyze", marked.Path);
        var md = HostileCores.Cli("analyze", marked.Path, "--format", "markdown");
        Assert.True(text.ExitCode == 0 && md.ExitCode == 0, md.ToString());
        CoreSleuth.Tests.Cli.MarkdownFacts.AssertSameFacts(text.Stdout, md.Stdout);
    }

    [Fact]
    public void Json_keeps_the_exact_strings_escaped_by_the_serializer()
    {
        string json = Analyze("json").Stdout;
        // C0 and C1 controls are \u-escaped by the serializer; format characters such as U+202E are
        // valid JSON and kept as they are (README, "Untrusted cores").
        Assert.DoesNotContain('\u001b', json);
        Assert.DoesNotContain('\a', json);
        using var doc = JsonDocument.Parse(new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(json));
        var threads = doc.RootElement.GetProperty("threads");
        Assert.Equal(EvilName, threads[1].GetProperty("name").GetString());
        var finding = doc.RootElement.GetProperty("findings")[0];
        Assert.Equal(EvilPath, finding.GetProperty("path").GetString());
        Assert.Equal(EvilStatement, finding.GetProperty("mysql").GetProperty("query").GetString());
        Assert.Contains(EvilArgument, doc.RootElement.GetProperty("process").GetProperty("arguments").GetString());
    }

    /// <summary>A thread name of invalid UTF-8 (a stray 0xff, an overlong '/', a UTF-16 surrogate encoded in UTF-8, a cut sequence).</summary>
    [Fact]
    public void Invalid_utf8_in_a_thread_name_gives_valid_output_in_every_format()
    {
        var bytes = HostileCores.Write(SeedCores.SmallProcess(1400097));
        byte[] raw = [(byte)'A', 0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, (byte)'B', 0xe2, 0x80];
        HostileCores.PatchString(bytes, "pr_tname", raw);
        using var file = new TempCore(bytes);

        var json = HostileCores.Cli("analyze", file.Path, "--format", "json");
        Assert.Equal(0, json.ExitCode);
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(json.Stdout); // no lone surrogate
        using var doc = JsonDocument.Parse(utf8);
        string? name = doc.RootElement.GetProperty("threads")[0].GetProperty("name").GetString();
        Assert.NotNull(name);
        // Each invalid sequence became U+FFFD (replacement) and the valid letters survive in order.
        Assert.StartsWith("A\ufffd", name);
        Assert.Contains("B", name);
        Assert.DoesNotContain(name, c => char.IsSurrogate(c) || c < 0x20);

        foreach (var format in new[] { "text", "markdown" })
        {
            var run = HostileCores.Cli("analyze", file.Path, "--format", format);
            Assert.Equal(0, run.ExitCode);
            NoRawControls(run.Stdout);
            Assert.Contains("A\ufffd", run.Stdout);
        }
    }

    /// <summary>Other commands print the same strings: info (open files, mappings), threads and bt.</summary>
    [Theory]
    [InlineData("info")]
    [InlineData("threads")]
    [InlineData("bt")]
    public void Other_commands_escape_the_same_strings(string command)
    {
        var run = HostileCores.Cli(command, core.Path);
        Assert.True(run.ExitCode == 0, run.ToString());
        NoRawControls(run.Stdout);
        NoRawControls(run.Stderr);
        Assert.Contains(command == "info" ? "a|b`c`\\n\\u202eevil.fifo" : "EVIL", run.Stdout);
    }

    private static int UnescapedPipes(string line)
    {
        int n = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\') { i++; continue; }
            if (line[i] == '|') n++;
        }
        return n;
    }
}
