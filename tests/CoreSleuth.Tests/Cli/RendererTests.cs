using System.Text;
using System.Text.Json;
using CoreSleuth.Memory;
using CsCheck;
using CoreSleuth.Report;
using CoreSleuth.Tests.Reports;

namespace CoreSleuth.Tests.Cli;

/// <summary>Hostile strings, as a dumped process can plant them, through the text and JSON renderers.</summary>
public class RendererTests
{
    private const string Hostile = "\u001b[31mevil\u001b]0;owned\u0007\r\n\0\u202egnp.exe\u009b2J";

    private static ThreadsReport HostileThreads() => ReportFixtures.Threads("/cores/\u001b[2Jx.core",
        [ReportFixtures.Row(1, 100100, Hostile, 0x401000UL, 0x7fffffffe000UL, "fifo\u001bor", "sleeping", "SSTOP")],
        ["warning naming a path: /tmp/\u001b[1m\n"]);

    [Fact]
    public void Text_output_carries_no_control_characters_from_the_core()
    {
        string text = ReportFixtures.Render(HostileThreads(), TextReport.Write);
        Assert.DoesNotContain(text, c => c < 0x20 && c != '\n' || c is '\u007f' or (>= '\u0080' and <= '\u009f') or '\u202e');
        Assert.Contains(@"\x1b[31mevil\x1b]0;owned\x07\r\n\0\u202egnp.exe\u009b2J", text);
        Assert.Contains(@"fifo\x1bor", text);
        Assert.Contains(@"/tmp/\x1b[1m\n", text);
        Assert.Equal(4, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // heading, 1 row, "Warnings (1)", 1 warning
    }

    [Fact]
    public void Json_output_is_valid_UTF8_and_gives_back_the_exact_strings()
    {
        string json = ReportFixtures.Render(HostileThreads(), JsonReport.Write);
        // Controls, C1 and bidirectional overrides are written as \uXXXX escapes, so even the raw JSON is inert on a terminal.
        Assert.DoesNotContain(json, c => c < 0x20 && c is not ('\n' or '\r' or ' ') || c is '\u001b' or '\u009b' or '\u202e');
        var root = JsonDocument.Parse(new System.Text.UTF8Encoding(false, true).GetBytes(json)).RootElement;
        var thread = root.GetProperty("threads")[0];
        Assert.Equal(Hostile, thread.GetProperty("name").GetString());
        Assert.Equal("0x401000", thread.GetProperty("registers").GetProperty("rip").GetString());
        Assert.Equal("0x7fffffffe000", thread.GetProperty("registers").GetProperty("rsp").GetString());
    }

    [Fact]
    public void Json_round_trips_any_thread_name_and_writes_nothing_a_terminal_would_act_on() =>
        Gen.String[Gen.Char, 0, 60].Where(n => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(n)) == n).Sample(name =>
        {
            var report = ReportFixtures.Threads("x.core", [ReportFixtures.Row(1, 1, name, 0UL, 0UL, null, null, null)], []);
            string json = ReportFixtures.Render(report, JsonReport.Write);
            bool inert = json.EnumerateRunes().All(r => r.Value is '\n' or '\\' || !TextSanitizer.NeedsEscape(r));
            return inert && JsonDocument.Parse(json).RootElement.GetProperty("threads")[0].GetProperty("name").GetString() == name;
        });

    [Fact]
    public void Json_keeps_readable_non_ASCII_text_as_UTF8()
    {
        var report = ReportFixtures.Threads("/données/日本.core", [], []);
        Assert.Contains("\"file\": \"/données/日本.core\"", ReportFixtures.Render(report, JsonReport.Write));
    }

    [Fact]
    public void Memory_strings_with_invalid_UTF8_are_escaped_in_text_and_exact_in_json()
    {
        byte[] raw = [0x61, 0xff, 0x1b, 0x5b, 0x41, 0x22];
        var report = new MemoryReport(ReportSchemas.Memory, ReportFixtures.Core("x.core"), ReportFixtures.Process(), 0x1000UL, MemoryReport.StringsKind, null,
            [new MemoryString(0x1000UL, raw.Length, CoreStringStatus.Complete, System.Text.Encoding.UTF8.GetString(raw),
                Convert.ToHexString(raw).ToLowerInvariant(), TextSanitizer.Sanitize(raw, int.MaxValue), null)], []);
        Assert.Equal("0x1000:  \"a\\xff\\x1b[A\\\"\"\n", ReportFixtures.Render(report, TextReport.Write));
        var s = JsonDocument.Parse(ReportFixtures.Render(report, JsonReport.Write)).RootElement.GetProperty("strings")[0];
        Assert.Equal(raw, Convert.FromHexString(s.GetProperty("bytesHex").GetString()!));
        Assert.Equal("complete", s.GetProperty("status").GetString());
    }

    [Fact]
    public void Thread_columns_for_pthread_t_and_MySQL_ids_appear_once_known()
    {
        var report = ReportFixtures.Threads("x.core",
        [
            ReportFixtures.Row(1, 100100, "mysqld", 0x401000UL, 0x7fffffffe000UL, "fifoor", "sleeping", "SSTOP", 0x801234000UL,
                new ReportMySql(42, null, null) { Command = "Query", Time = 512, State = "System lock" }),
            ReportFixtures.Row(2, 100101, "mysqld", 0x401000UL, 0x7fffffffd000UL, null, "stopped", "SSTOP"),
        ], []);
        var lines = ReportFixtures.Render(report, TextReport.Write).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^#\s+LWP\s+PTHREAD_T\s+MYSQL_ID\s+COMMAND\s+TIME\s+MYSQL_STATE\s+NAME\s+RIP\s+RSP\s+WAIT\s+STATE$", lines[0]);
        Assert.Matches(@"^1\s+100100\s+0x801234000\s+42\s+Query\s+512\s+System lock\s+mysqld\s+0x401000\s+0x7fffffffe000\s+fifoor\s+sleeping$", lines[1]);
        Assert.Matches(@"^2\s+100101\s+-\s+-\s+-\s+-\s+-\s+mysqld\s+0x401000\s+0x7fffffffd000\s+-\s+stopped$", lines[2]);
    }

    [Theory]
    [InlineData(0x1f80UL, "[ IM DM ZM OM UM PM ]")] // gdb's mxcsr after reset
    [InlineData(0x0UL, "[ ]")]
    [InlineData(0x3f80UL, "[ IM DM ZM OM UM PM unknown: 0x2000 ]")] // RC has no field in gdb's type
    public void Mxcsr_flags_use_gdb_names(ulong value, string expected) => Assert.Equal(expected, RegisterRow.MxcsrFlags(value));

    [Fact]
    public void The_x87_tag_word_is_rebuilt_from_the_abridged_one_as_gdb_does()
    {
        // Intel SDM: FXSAVE keeps one "valid" bit per register; empty is 11b in the full tag word.
        var zero = new byte[10];
        var one = new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f }; // 1.0: exponent 0x3fff, integer bit set
        var st = Enumerable.Repeat(zero, 8).ToList();
        st[0] = one;
        Assert.Equal(0xffff, RegisterRow.FullTagWord(0x00, st, top: 0));
        // top = 7: st0 is physical register 7 (valid, 00b), st1 is physical 0 (zero, 01b); the rest empty.
        Assert.Equal(0x3ffd, RegisterRow.FullTagWord(0x81, st, top: 7));
        Assert.Equal("1", RegisterRow.Extended(one));
    }
}
