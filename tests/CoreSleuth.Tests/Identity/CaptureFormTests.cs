using CoreSleuth.Analysis.MySql;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Identity;

/// <summary>
/// One SHOW ENGINE INNODB STATUS and one SHOW FULL PROCESSLIST, in every form the mysql client
/// prints them (CaptureForms/README.md says how each was derived from client/mysql.cc), read
/// to the same sessions. The statements hold what the forms treat differently: a newline, a
/// tab, backslashes, a '|', NULL and empty columns.
/// </summary>
public sealed class CaptureFormTests
{
    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(SampleSet.RepositoryRoot, "tests", "CoreSleuth.Tests", "Identity", "CaptureForms", name));

    // Written from the status text as the server produces it, not from the parser: (id, handle, query id, host, ip, user, state, statement).
    private static readonly (long, ulong?, long?, string?, string?, string?, string?, string?)[] InnodbSessions =
    [
        (7, 34382836736, 31, "localhost", null, "root", "starting", "SHOW ENGINE INNODB STATUS"),
        (9, 34382839296, 29, "localhost", null, "root", "executing",
            "LOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE shop.customers\n\tFIELDS TERMINATED BY '\t' ESCAPED BY '\\\\'"),
        (8, 34382838016, 27, "10.0.4.21", "10.0.4.21", "loader", "executing",
            "LOAD DATA INFILE '/var/db/mysql-files/orders.fifo' INTO TABLE shop.orders FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n'"),
    ];

    // (id, user, host, db, command, time, state, info)
    private static readonly (long, string?, string?, string?, string?, long?, string?, string?)[] ProcesslistRows =
    [
        (5, "event_scheduler", "localhost", null, "Daemon", 1203, "Waiting on empty queue", null),
        (7, "root", "localhost", null, "Query", 0, "init", "SHOW FULL PROCESSLIST"),
        (8, "loader", "10.0.4.21:52114", "shop", "Query", 734, "executing",
            "LOAD DATA INFILE '/var/db/mysql-files/orders.fifo' INTO TABLE shop.orders FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n'"),
        (9, "root", "localhost", "shop", "Query", 701, "executing",
            "LOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE shop.customers\n\tFIELDS TERMINATED BY '\t' ESCAPED BY '\\\\'"),
        (11, "app", "10.0.4.30:40022", "shop", "Query", 12, "User sleep", "SELECT 'x|y' AS s, SLEEP(600)"),
        (12, "app", "10.0.4.30:40030", "shop", "Sleep", 3, null, null),
    ];

    [Theory]
    [InlineData("innodb.raw.txt", CaptureForm.Raw)]
    [InlineData("innodb.vertical.txt", CaptureForm.Vertical)]
    [InlineData("innodb.table.txt", CaptureForm.Table)]
    [InlineData("innodb.batch.txt", CaptureForm.Batch)]
    [InlineData("innodb.batch-skip-column-names.txt", CaptureForm.Batch)]
    [InlineData("innodb.batch-raw.txt", CaptureForm.Batch)]
    public void Every_form_of_innodb_status_gives_every_session(string file, CaptureForm form)
    {
        var read = MySqlSessions.ReadInnodbStatus(Fixture(file));
        Assert.Equal(form, read.Form);
        Assert.Empty(read.UnreadLines);
        Assert.Equal(InnodbSessions, read.Sessions.Select(s => (s.ThreadId, s.OsThreadHandle, s.QueryId, s.Host, s.Ip, s.User, s.State, s.Query)));
    }

    [Theory]
    [InlineData("processlist.table.txt", CaptureForm.Table)]
    [InlineData("processlist.vertical.txt", CaptureForm.Vertical)]
    [InlineData("processlist.batch.txt", CaptureForm.Batch)]
    [InlineData("processlist.batch-skip-column-names.txt", CaptureForm.Batch)]
    public void Every_form_of_the_processlist_gives_every_row(string file, CaptureForm form)
    {
        var read = MySqlSessions.ReadProcesslist(Fixture(file));
        Assert.Equal(form, read.Form);
        Assert.Empty(read.UnreadLines);
        Assert.Equal(ProcesslistRows, read.Sessions.Select(s => (s.ThreadId, s.User, s.Host, s.Database, s.Command, s.TimeSeconds, s.State, s.Query)));
    }

    [Fact]
    public void A_batch_status_is_one_line_whose_sessions_all_count()
    {
        // The report's case: mysql -e wrote the whole status on line 2; the blocked sessions come after the first.
        var read = MySqlSessions.ReadInnodbStatus("Type\tName\tStatus\nInnoDB\t\t\\n---TRANSACTION 1, not started\\n" +
            "MySQL thread id 2, OS thread handle 0x801606400, query id 10 localhost root init\\nSHOW ENGINE INNODB STATUS\\n" +
            "---TRANSACTION 1792, ACTIVE 512 sec inserting\\nMySQL thread id 1, OS thread handle 0x829e76000, query id 9 localhost root System lock\\n" +
            "LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t\\n\n");
        Assert.Equal([(2L, 0x801606400UL), (1L, 0x829e76000UL)], read.Sessions.Select(s => (s.ThreadId, s.OsThreadHandle!.Value)));
        Assert.Equal("LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t", read.Sessions[1].Query);
        Assert.All(read.Sessions, s => Assert.Equal(2, s.LineNumber));
    }

    [Theory]
    [InlineData(@"a\nb", "a\nb")]
    [InlineData(@"a\tb", "a\tb")]
    [InlineData(@"a\\nb", @"a\nb")]
    [InlineData(@"a\0b", "a\0b")]
    [InlineData(@"a\xb\", @"a\xb\")]
    public void Batch_escapes_are_undone(string escaped, string text) => Assert.Equal(text, MySqlSessions.Unescape(escaped));

    [Fact]
    public void Thread_lines_that_cannot_be_read_are_counted()
    {
        var read = MySqlSessions.ReadInnodbStatus(
            "MySQL thread id 4, OS thread handle 0x801606400, query id 10 localhost root\nSELECT 1\n" +
            "MySQL thread id 99999999999999999999, OS thread handle 0x801002000, query id 9 localhost root\n" +
            "MySQL thread id 5, OS thread handle (nil), query id 12\n");
        Assert.Equal(4, Assert.Single(read.Sessions).ThreadId);
        Assert.Equal([3, 4], read.UnreadLines);
    }

    [Fact]
    public void Processlist_rows_without_an_id_are_counted()
    {
        var read = MySqlSessions.ReadProcesslist("Id\tUser\tHost\tdb\tCommand\tTime\tState\tInfo\n1\troot\tlocalhost\tNULL\tSleep\t5\t\tNULL\nx\troot\tlocalhost\tNULL\tSleep\t5\t\tNULL\n");
        Assert.Equal(1, Assert.Single(read.Sessions).ThreadId);
        Assert.Equal([3], read.UnreadLines);
    }
}
