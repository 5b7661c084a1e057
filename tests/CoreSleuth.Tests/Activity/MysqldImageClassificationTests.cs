using CoreSleuth.Analysis.Activity;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Activity;

/// <summary>
/// The thread roles of the project's generated mysqld (tests/CoreSleuth.Testing/Images/MysqldImage.cs),
/// named as a backtrace of its core names them, against what the MySQL 5.6 source says each thread does.
/// </summary>
public sealed class MysqldImageClassificationTests
{
    /// <summary>The chain as the symbolizer names the frames: demangled, without the "module!" marker, innermost first.</summary>
    internal static IReadOnlyList<string?> Frames(FreeBsdVersion version, MysqldThreadRole role) =>
        MysqldImage.Chain(version, role)
            .Select(n => n.Contains('!') ? n[(n.IndexOf('!') + 1)..] : n)
            .Select(n => (string?)(ItaniumDemangler.Demangle(n) ?? n))
            .Reverse()
            .ToList();

    public static TheoryData<string, MysqldThreadRole, string, ThreadCategory, string> Expected => new()
    {
        // sql/mysqld.cc: after start-up the main thread loops in handle_connections_sockets, polling the listening sockets.
        { "13.5", MysqldThreadRole.Main, "listener", ThreadCategory.IdleByDesign, "waiting for a new client connection" },
        // sql/mysqld.cc: signal_hand loops on sigwait.
        { "13.5", MysqldThreadRole.SignalHandler, "signal-handler", ThreadCategory.IdleByDesign, "waiting for a signal" },
        // sql/sql_manager.cc: handle_manager waits on COND_manager until there is an action or the flush time comes.
        { "13.5", MysqldThreadRole.Manager, "manager", ThreadCategory.IdleByDesign, "waiting for housekeeping work" },
        // os0file.cc: with simulated AIO the handler waits on its segment event "waiting for i/o request".
        { "13.5", MysqldThreadRole.IoHandler, "innodb-io-handler", ThreadCategory.IdleByDesign, "waiting for I/O requests" },
        // srv0srv.cc: srv_master_sleep sleeps one second between the master thread's rounds.
        { "13.5", MysqldThreadRole.MasterThread, "innodb-master", ThreadCategory.Sleeping, "sleeping between" },
        { "13.5", MysqldThreadRole.MonitorThread, "innodb-monitor", ThreadCategory.IdleByDesign, "monitor output" },
        { "13.5", MysqldThreadRole.ErrorMonitorThread, "innodb-error-monitor", ThreadCategory.IdleByDesign, "next check" },
        { "13.5", MysqldThreadRole.LockWaitTimeoutThread, "innodb-lock-wait-timeout", ThreadCategory.IdleByDesign, "row-lock waits" },
        { "13.5", MysqldThreadRole.DictStatsThread, "innodb-dict-stats", ThreadCategory.IdleByDesign, "statistics" },
        // srv0srv.cc: srv_purge_coordinator_suspend waits on the purge event when there is nothing to purge.
        { "13.5", MysqldThreadRole.PurgeCoordinator, "innodb-purge-coordinator", ThreadCategory.IdleByDesign, "waiting for purge work" },
        // buf0flu.cc (5.6): page_cleaner_sleep_if_needed sleeps out the rest of the page cleaner's second.
        { "13.5", MysqldThreadRole.PageCleaner, "innodb-page-cleaner", ThreadCategory.Sleeping, "next flushing round" },
        { "13.5", MysqldThreadRole.BufferDump, "innodb-buffer-pool-dump", ThreadCategory.IdleByDesign, "dump or load request" },
        // sql_parse.cc: do_command reads the next command with my_net_read; the client has sent none.
        { "13.5", MysqldThreadRole.SessionIdle, "connection", ThreadCategory.IdleByDesign, "waiting for its client to send the next command" },
        // sql/mysqld.cc: a thread back in the thread cache waits in block_until_new_connection.
        { "13.5", MysqldThreadRole.SessionCached, "connection", ThreadCategory.IdleByDesign, "given a new connection" },
        // sql_load.cc: LOAD DATA INFILE opens the file with my_open; a FIFO without a writer blocks the open.
        { "13.5", MysqldThreadRole.LoadDataOpen, "connection", ThreadCategory.WaitingForIo, "FIFO" },
        // FreeBSD 10 has no libc interposer frames: the same answers through libthr's exported wrappers.
        { "10.4", MysqldThreadRole.SignalHandler, "signal-handler", ThreadCategory.IdleByDesign, "waiting for a signal" },
        { "10.4", MysqldThreadRole.SessionIdle, "connection", ThreadCategory.IdleByDesign, "waiting for its client to send the next command" },
        { "14.2", MysqldThreadRole.Main, "listener", ThreadCategory.IdleByDesign, "waiting for a new client connection" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_generated_thread_gets_the_role_and_category_the_source_gives_it(
        string version, MysqldThreadRole role, string roleId, ThreadCategory category, string sentencePart)
    {
        var frames = Frames(Parse(version), role);
        var activity = ThreadCatalogue.Classify(frames);
        Assert.NotNull(activity);
        Assert.Equal(roleId, activity.RoleId);
        Assert.Equal(category, activity.Category);
        Assert.Contains(sentencePart, activity.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_generated_role_is_recognised()
    {
        foreach (var role in Enum.GetValues<MysqldThreadRole>())
        {
            var activity = ThreadCatalogue.Classify(Frames(FreeBsdVersion.V13_5, role));
            Assert.NotNull(activity);
            Assert.NotNull(activity.Role);
            Assert.NotEqual(ThreadCategory.Unknown, activity.Category);
        }
    }

    [Fact]
    public void The_idle_session_is_idle_because_my_net_read_is_called_by_do_command()
    {
        var frames = Frames(FreeBsdVersion.V13_5, MysqldThreadRole.SessionIdle);
        var activity = ThreadCatalogue.Classify(frames)!;
        Assert.Equal("my_net_read", activity.Activity!.Function);
        Assert.Equal("do_command", FunctionName.Key(frames[activity.ActivityFrame!.Value + 1]));
        Assert.Equal("handle_one_connection", activity.Role!.Function); // the outermost role frame
    }

    [Fact]
    public void A_monitor_thread_is_in_its_designed_wait()
    {
        var activity = ThreadCatalogue.Classify(Frames(FreeBsdVersion.V13_5, MysqldThreadRole.MonitorThread))!;
        Assert.True(activity.InDesignedWait);
        Assert.Equal("os_event_wait_time_low", activity.Activity!.Function); // the primitive nearest MySQL's code
    }

    private static FreeBsdVersion Parse(string v) => v switch
    {
        "10.4" => FreeBsdVersion.V10_4, "11.4" => FreeBsdVersion.V11_4, "12.4" => FreeBsdVersion.V12_4,
        "13.5" => FreeBsdVersion.V13_5, _ => FreeBsdVersion.V14_2,
    };
}
