using System.Text.Json;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// What the reports make of --innodb-status and --processlist: inputs that give nothing are
/// warned about, a processlist alone joins sessions to threads as far as the core allows (and
/// says how), and the evidence names only what an input or the core gave.
/// </summary>
public sealed class MySqlInputTests : IDisposable
{
    private static readonly string Core = SampleSet.CorePath("mysqld-fifo-openat-14");
    private static readonly string Sysroot = SampleSet.Sysroot("mysqld-fifo-openat-14")!;
    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-inputs-").FullName;

    private static string Fixture(string name) =>
        Path.Combine(SampleSet.RepositoryRoot, "tests", "CoreSleuth.Tests", "Identity", "CaptureForms", name);

    private string Write(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void An_innodb_status_without_sessions_is_a_warning()
    {
        string file = Write("status.txt", "=====\nBACKGROUND THREAD\nsrv_master_thread loops: 1\n");
        var run = Coresleuth.Run("analyze", Core, "--sysroot", Sysroot, "--innodb-status", file);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"--innodb-status {file}: no 'MySQL thread id N, OS thread handle H' line found; is it the output of SHOW ENGINE INNODB STATUS?", run.Stdout);
    }

    [Fact]
    public void A_processlist_without_rows_is_a_warning_in_threads_too()
    {
        string file = Write("processlist.txt", "Empty set (0.00 sec)\n");
        var run = Coresleuth.Run("threads", Core, "--processlist", file);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"--processlist {file}: no row with an Id found; is it the output of SHOW FULL PROCESSLIST?", run.Stdout);
    }

    [Fact]
    public void Thread_lines_that_could_not_be_read_are_counted_in_a_warning()
    {
        string file = Write("status.txt", File.ReadAllText(Fixture("innodb.raw.txt")) +
            "MySQL thread id 12, OS thread handle 0x, query id 3\nMySQL thread id 99999999999999999999, OS thread handle 1, query id 3\n");
        var run = Coresleuth.Run("analyze", Core, "--sysroot", Sysroot, "--innodb-status", file);
        Assert.Contains($"--innodb-status {file}: 2 lines mention 'MySQL thread id' but could not be read", run.Stdout);
        Assert.DoesNotContain("no 'MySQL thread id N", run.Stdout);
    }

    [Fact]
    public void A_processlist_alone_fills_the_threads_mysql_columns_of_the_threads_it_joins()
    {
        var run = Coresleuth.Run("threads", Core, "--processlist", Fixture("processlist.batch.txt"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("MYSQL_ID", run.Stdout);
        // The two sessions whose statements name the FIFOs the two blocked threads are opening.
        Assert.Matches(@"\n23\s+101242\s+0x801607e00\s+9\s+Query\s+701\s+executing\s", run.Stdout);
        Assert.Matches(@"\n22\s+101241\s+0x801607900\s+8\s+Query\s+734\s+executing\s", run.Stdout);
        Assert.Matches(@"\n21\s+101240\s+0x801607400\s+-\s+-", run.Stdout);
    }

    [Theory]
    // One statement quotes both blocked threads' paths: it cannot be both threads' session.
    [InlineData("1\troot\tlocalhost\tshop\tQuery\t9\texecuting\tLOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE t; -- then '/var/db/mysql-files/orders.fifo'\n")]
    // Two statements quote the same path: either could be the thread's.
    [InlineData("1\troot\tlocalhost\tshop\tQuery\t9\texecuting\tLOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE t\n" +
                "2\troot\tlocalhost\tshop\tQuery\t8\texecuting\tLOAD DATA INFILE '/tmp/customers.fifo' INTO TABLE u\n")]
    public void An_ambiguous_statement_joins_no_thread(string rows)
    {
        string file = Write("processlist.txt", "Id\tUser\tHost\tdb\tCommand\tTime\tState\tInfo\n" + rows);
        var run = Coresleuth.Run("threads", Core, "--processlist", file);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("MYSQL_ID", run.Stdout);
    }

    [Fact]
    public void With_a_processlist_alone_the_report_says_the_handle_is_not_known()
    {
        var run = Coresleuth.Run("analyze", Core, "--sysroot", Sysroot, "--processlist", Fixture("processlist.vertical.txt"), "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var thread = json.RootElement.GetProperty("threads").EnumerateArray().Single(t => t.GetProperty("lwp").GetInt32() == 101242);
        var mysql = thread.GetProperty("mysql");
        Assert.Equal(9, mysql.GetProperty("threadId").GetInt64());
        Assert.Equal("statement-path", mysql.GetProperty("joinedBy").GetString());
        Assert.Equal(JsonValueKind.Null, mysql.GetProperty("osThreadHandle").ValueKind);
        var finding = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("lwp").GetInt32() == 101242);
        Assert.Equal(9, finding.GetProperty("mysql").GetProperty("threadId").GetInt64());
        var evidence = finding.GetProperty("evidence").EnumerateArray().Select(e => e.GetString()!).ToList();
        string join = Assert.Single(evidence, e => e.Contains("MySQL thread id 9", StringComparison.Ordinal));
        Assert.Contains("SHOW FULL PROCESSLIST (line 29)", join);
        Assert.Contains("no input gives the session's OS thread handle", join);
        Assert.Contains("0x801607e00 is this thread's pthread_t, found in the core's memory", join);
        Assert.DoesNotContain("has OS thread handle", join);
    }

    [Fact]
    public void With_innodb_status_the_evidence_names_the_handle_it_gave()
    {
        var run = Coresleuth.Run("analyze", Core, "--sysroot", Sysroot, "--innodb-status", Fixture("innodb.batch.txt"),
            "--processlist", Fixture("processlist.table.txt"), "--format", "json");
        using var json = JsonDocument.Parse(run.Stdout);
        var finding = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("lwp").GetInt32() == 101241);
        var mysql = finding.GetProperty("mysql");
        Assert.Equal("os-thread-handle", mysql.GetProperty("joinedBy").GetString());
        Assert.Equal("0x801607900", mysql.GetProperty("osThreadHandle").GetString());
        // The processlist's columns enrich the InnoDB session.
        Assert.Equal("Query", mysql.GetProperty("command").GetString());
        Assert.Equal(734, mysql.GetProperty("time").GetInt64());
        Assert.Contains(finding.GetProperty("evidence").EnumerateArray().Select(e => e.GetString()!),
            e => e.StartsWith("SHOW ENGINE INNODB STATUS (line 2) gives MySQL thread id 8 OS thread handle 0x801607900, which is this thread's pthread_t", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void No_output_cites_a_document_users_do_not_have(string name)
    {
        var inputs = new List<string>();
        string innodb = Path.Combine(SampleSet.Folder, name + ".innodb.txt");
        if (File.Exists(innodb)) inputs.AddRange(["--innodb-status", innodb]);
        if (SampleSet.Sysroot(name) is { } sysroot) inputs.AddRange(["--sysroot", sysroot]);
        foreach (string[] args in new string[][]
        {
            ["analyze", SampleSet.CorePath(name), .. inputs],
            ["analyze", SampleSet.CorePath(name), .. inputs, "--format", "json"],
            ["threads", SampleSet.CorePath(name), .. inputs],
            ["info", SampleSet.CorePath(name)],
        })
        {
            var run = Coresleuth.Run(args);
            Assert.DoesNotContain("spec §", run.Stdout + run.Stderr);
            Assert.DoesNotContain("(spec", run.Stdout + run.Stderr);
        }
    }
}
