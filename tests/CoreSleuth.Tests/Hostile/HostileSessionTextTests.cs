using CoreSleuth.Analysis.MySql;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// The InnoDB status and processlist text a DBA passes in is not from the core but is just as
/// untrusted (copied from a ticket, a chat, a log): numbers that do not fit, digits of other
/// scripts, control characters. Such lines are skipped or kept as text, never an internal error.
/// </summary>
public sealed class HostileSessionTextTests
{
    [Theory]
    [InlineData("MySQL thread id 99999999999999999999, OS thread handle 0x801002000, query id 9 localhost root\nSELECT 1\n")]     // > long.MaxValue
    [InlineData("MySQL thread id 12, OS thread handle 0x801002000, query id 123456789012345678901234567890 localhost root\n")]
    [InlineData("MySQL thread id ١٢, OS thread handle 0x801002000, query id ٩ localhost root\n")]                             // Arabic-Indic digits match \d
    [InlineData("MySQL thread id 12, OS thread handle 0x1ffffffffffffffffff, query id 9\n")]                                    // handle > 64 bits
    public void Innodb_lines_with_unusable_numbers_are_skipped_not_fatal(string text)
    {
        var sessions = MySqlSessions.ReadInnodbStatus(text).Sessions;
        // Whatever is kept has the numbers the text really says (none of these lines has a usable thread id and handle together).
        Assert.All(sessions, s => Assert.True(s.ThreadId == 12 || s.OsThreadHandle is null));
    }

    [Fact]
    public void Innodb_text_with_an_oversized_id_does_not_break_analyze()
    {
        using var core = new TempCore(HostileCores.Write(SeedCores.SmallProcess(1400097)));
        string innodb = Path.Combine(core.Directory, "innodb.txt");
        File.WriteAllText(innodb, "MySQL thread id 99999999999999999999, OS thread handle 0x801002000, query id 9 localhost root\nSELECT 1\n" +
                                  "MySQL thread id 12, OS thread handle 0x801002000, query id 9 localhost root System lock\nLOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t1\n");
        var run = HostileCores.Cli("analyze", core.Path, "--innodb-status", innodb, "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        // The good line still joins the blocked thread to its session.
        Assert.Contains("\"threadId\": 12", run.Stdout);
    }

    [Theory]
    [InlineData("*************************** 1. row ***************************\n     Id: 1\n   Info: LOAD DATA\n", "x\n")]
    [InlineData("| Id | Command | Info |\n| 1 | Query | LOAD DATA\n", "x\n")]
    public void A_statement_of_many_lines_is_read_in_linear_time(string start, string line)
    {
        // 400 000 continuation lines: joining them one by one into a growing string would copy ~160 GB.
        string text = start + string.Concat(Enumerable.Repeat(line, 400_000)) + "x |\n";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var session = Assert.Single(MySqlSessions.ReadProcesslist(text).Sessions);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Equal(400_002, session.Query!.Split('\n').Length);
    }

    [Fact]
    public void A_vertical_result_without_a_status_column_is_read_in_linear_time()
    {
        // A \G processlist given as --innodb-status: 100 000 rows, none with "Status:".
        string text = string.Concat(Enumerable.Range(1, 100_000).Select(n => $"*************************** {n}. row ***************************\n     Id: {n}\n"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(MySqlSessions.ReadInnodbStatus(text).Sessions);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("| Id | User | Host | db | Command | Time | State | Info |\n| 99999999999999999999 | root | h | d | Query | 5 | s | SELECT 1 |\n")]
    [InlineData("| Id | Id | Command |\n| 1 | 2 | Query |\n")]
    [InlineData("| Id | Command |\n| 1 |\n| 2 | Query | extra | cells |\n")]
    [InlineData("*************************** 1. row ***************************\nId: 1\nTime: 99999999999999999999\nInfo: \u001b[2J\n")]
    public void Odd_processlists_parse_without_throwing(string text)
    {
        var sessions = MySqlSessions.ReadProcesslist(text).Sessions;
        Assert.All(sessions, s => Assert.True(s.ThreadId >= 0));
    }
}
