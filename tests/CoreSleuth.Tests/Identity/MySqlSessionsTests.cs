using CoreSleuth.Analysis.MySql;

namespace CoreSleuth.Tests.Identity;

public class MySqlSessionsTests
{
    // Header formats from spec §10: hex handles (5.5/5.6, MariaDB ≤10.1), decimal (5.7/8.0).
    private const string Innodb55 = """
        ------------
        TRANSACTIONS
        ------------
        Trx id counter 1793
        ---TRANSACTION 1792, ACTIVE 512 sec inserting
        mysql tables in use 1, locked 1
        MySQL thread id 1, OS thread handle 0x829e76000, query id 9 localhost root System lock
        LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t
        ---TRANSACTION 1791, not started
        MySQL thread id 448218, OS thread handle 0x2abe5fb5d700, query id 18923238 db1.example.com 10.1.2.3 app Sending data
        SELECT * FROM a | b
        WHERE x = 1

        """;

    [Fact]
    public void Parses_hex_handles_context_and_statement()
    {
        var s = MySqlSessions.ReadInnodbStatus(Innodb55).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal((1L, 0x829e76000UL, 9L), (s[0].ThreadId, s[0].OsThreadHandle!.Value, s[0].QueryId!.Value));
        Assert.Equal(("localhost", (string?)null, "root", "System lock"), (s[0].Host, s[0].Ip, s[0].User, s[0].State));
        Assert.Equal("LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t", s[0].Query);
        Assert.Equal(("db1.example.com", "10.1.2.3", "app", "Sending data"), (s[1].Host, s[1].Ip, s[1].User, s[1].State));
        Assert.Equal("SELECT * FROM a | b\nWHERE x = 1", s[1].Query);
        Assert.Equal(0x2abe5fb5d700UL, s[1].OsThreadHandle);
    }

    [Fact]
    public void Parses_decimal_handles_of_mysql_57_and_80()
    {
        var s = MySqlSessions.ReadInnodbStatus(
            "MySQL thread id 969, OS thread handle 34405901312, query id 62138 localhost 127.0.0.1 root\nLOAD DATA INFILE '/x' INTO TABLE t\n").Sessions;
        var one = Assert.Single(s);
        Assert.Equal(34405901312UL, one.OsThreadHandle); // = 0x802c06400, spec §10
        Assert.Equal(("localhost", "127.0.0.1", "root", (string?)null), (one.Host, one.Ip, one.User, one.State));
    }

    [Fact]
    public void Parses_processlist_table_with_pipe_in_info()
    {
        const string table = """
            +----+------+-----------+------+---------+------+-------------+---------------------------+
            | Id | User | Host      | db   | Command | Time | State       | Info                      |
            +----+------+-----------+------+---------+------+-------------+---------------------------+
            |  1 | root | localhost | test | Query   |  512 | System lock | LOAD DATA INFILE '/tmp/a|b' INTO TABLE t |
            |  2 | root | localhost | NULL | Sleep   |    3 |             | NULL                      |
            +----+------+-----------+------+---------+------+-------------+---------------------------+
            """;
        var s = MySqlSessions.ReadProcesslist(table).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal((1L, "Query", 512L, "System lock", "test"), (s[0].ThreadId, s[0].Command, s[0].TimeSeconds!.Value, s[0].State, s[0].Database));
        // As the statement was: the '|' inside it is no column boundary.
        Assert.Equal("LOAD DATA INFILE '/tmp/a|b' INTO TABLE t", s[0].Query);
        Assert.Null(s[1].Query);
        Assert.Null(s[1].Database);
    }

    [Fact]
    public void Parses_processlist_vertical_form()
    {
        const string vertical = """
            *************************** 1. row ***************************
                 Id: 7
               User: root
               Host: 10.0.0.5:51514
                 db: shop
            Command: Query
               Time: 42
              State: System lock
               Info: LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t
            *************************** 2. row ***************************
                 Id: 8
               User: event_scheduler
               Host: localhost
                 db: NULL
            Command: Daemon
               Time: 100
              State: Waiting on empty queue
               Info: NULL
            """;
        var s = MySqlSessions.ReadProcesslist(vertical).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal((7L, "10.0.0.5:51514", "LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t"), (s[0].ThreadId, s[0].Host, s[0].Query));
        Assert.Equal(("Daemon", "Waiting on empty queue"), (s[1].Command, s[1].State));
    }

    [Fact]
    public void Ignores_text_without_sessions() =>
        Assert.Empty(MySqlSessions.ReadInnodbStatus("=====\nBACKGROUND THREAD\nsrv_master_thread loops\n").Sessions);

    /// <summary>
    /// The transaction patterns built with the backtracking engine are anchored and unambiguous:
    /// lines of megabytes that almost match are read in linear time (a quadratic engine would take
    /// hours on them), and the session after them is still found.
    /// </summary>
    [Fact]
    public void Megabyte_lines_that_almost_match_a_transaction_pattern_are_read_in_linear_time()
    {
        string spaces = new(' ', 1 << 20), digits = new('7', 1 << 20), letters = new('x', 1 << 20);
        string text = string.Join("\n",
            $"{spaces}---TRANSACTION {letters}",
            $"{spaces}---TRANSACTION 1, ACTIVE {digits} sec",
            $"{spaces}mysql tables in use {digits}",
            $"{spaces}{digits}: len {digits}; hex",
            "---TRANSACTION 1792, ACTIVE 512 sec inserting",
            "mysql tables in use 1, locked 1",
            "MySQL thread id 12, OS thread handle 0x801002000, query id 9 localhost root System lock",
            "LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var sessions = MySqlSessions.ReadInnodbStatus(text).Sessions;
        watch.Stop();
        var session = Assert.Single(sessions);
        Assert.Equal(12, session.ThreadId);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }
}
