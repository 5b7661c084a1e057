using CoreSleuth.Analysis.MySql;
using CsCheck;

namespace CoreSleuth.Tests.Waits;

/// <summary>
/// Published SEMAPHORES sections and error-log dumps of several versions, each value below read by
/// hand off the quoted text. Each fixture names where it was published.
/// </summary>
public class InnodbSemaphoresTests
{
    // MySQL 5.5.44, SHOW ENGINE INNODB STATUS: https://dba.stackexchange.com/questions/123703/query-about-mysql-semaphores-in-engine-status
    private const string Mysql55 = """
        OS WAIT ARRAY INFO: reservation count 822986039, signal count 17045541908
        --Thread 140562108442368 has waited at row0sel.c line 2930 for 0.00 seconds the semaphore:
        S-lock on RW-latch at 0x7fd752e55c40 created in file buf0buf.c line 938
        a writer (thread id 140562088974080) has reserved it in mode  exclusive
        number of readers 0, waiters flag 1, lock_word: 0
        Last time read locked in file row0sel.c line 2930
        Last time write locked in file /tmp/buildd/mysql-5.5-5.5.44/storage/innobase/buf/buf0buf.c line 3168
        """;

    [Fact]
    public void Reads_an_rw_lock_wait_of_mysql_55()
    {
        var w = Assert.Single(InnodbSemaphores.Read(Mysql55));
        Assert.Equal(2, w.LineNumber);
        Assert.Equal(140562108442368UL, w.WaiterHandle);
        Assert.Equal(("row0sel.c", 2930, 0.0), (w.WaitedAtFile, w.WaitedAtLine, w.Seconds));
        Assert.Equal("rw-lock s", w.Kind);
        Assert.Equal(0x7fd752e55c40UL, w.Address);
        Assert.Equal(("buf0buf.c", 938), (w.CreatedFile, w.CreatedLine!.Value));
        Assert.Equal((140562088974080UL, "exclusive"), (w.HolderHandle!.Value, w.HolderMode));
        Assert.Equal(0, w.Readers);
        Assert.Equal(("row0sel.c", 2930), (w.LastReadLockedFile, w.LastReadLockedLine!.Value));
        Assert.Equal(("/tmp/buildd/mysql-5.5-5.5.44/storage/innobase/buf/buf0buf.c", 3168), (w.LastWriteLockedFile, w.LastWriteLockedLine!.Value));
        Assert.Null(w.MutexName);
        Assert.False(w.WaitHasEnded);
    }

    // MySQL 5.6.30 (Debian build), SHOW ENGINE INNODB STATUS: https://www.debugease.com/mysql/4455919.html
    // (the page shows "mode exclusive" with one space).
    private const string Mysql56 = """
        OS WAIT ARRAY INFO: reservation count 44158203
        --Thread 140053590222592 has waited at buf0buf.cc line 2576 for 7.00 seconds the semaphore:
        S-lock on RW-latch at 0x7f6133d93840 created in file buf0buf.cc line 1069
        a writer (thread id 140053336614656) has reserved it in mode exclusive
        number of readers 0, waiters flag 1, lock_word: 0
        Last time read locked in file row0sel.cc line 4138
        Last time write locked in file /build/mysql-5.6-Clh7l4/mysql-5.6-5.6.30/storage/innobase/buf/buf0buf.cc line 3691
        --Thread 140053590423296 has waited at buf0buf.cc line 2576 for 7.00 seconds the semaphore:
        S-lock on RW-latch at 0x7f65889a0040 created in file buf0buf.cc line 1069
        a writer (thread id 140053594236672) has reserved it in mode exclusive
        number of readers 0, waiters flag 1, lock_word: 0
        Last time read locked in file btr0cur.cc line 3592
        Last time write locked in file /build/mysql-5.6-Clh7l4/mysql-5.6-5.6.30/storage/innobase/buf/buf0buf.cc line 3691
        """;

    [Fact]
    public void Reads_consecutive_blocks_of_mysql_56_each_to_its_own_wait()
    {
        var w = InnodbSemaphores.Read(Mysql56);
        Assert.Equal(2, w.Count);
        Assert.Equal((2, 140053590222592UL, 7.0, 0x7f6133d93840UL, 140053336614656UL), (w[0].LineNumber, w[0].WaiterHandle, w[0].Seconds, w[0].Address!.Value, w[0].HolderHandle!.Value));
        Assert.Equal(("row0sel.cc", 4138), (w[0].LastReadLockedFile, w[0].LastReadLockedLine!.Value));
        Assert.Equal((8, 140053590423296UL, 0x7f65889a0040UL, 140053594236672UL, "exclusive"), (w[1].LineNumber, w[1].WaiterHandle, w[1].Address!.Value, w[1].HolderHandle!.Value, w[1].HolderMode));
        Assert.Equal(("btr0cur.cc", 3592), (w[1].LastReadLockedFile, w[1].LastReadLockedLine!.Value));
        Assert.Equal(3691, w[1].LastWriteLockedLine);
    }

    // MariaDB 10.5.9 error log through docker-compose (each line prefixed with the service name):
    // https://github.com/AzuraCast/AzuraCast/issues/4019
    private const string MariaDb105 = """
        mariadb_1                  | 2021-04-15  3:17:06 0 [Warning] InnoDB: A long semaphore wait:
        mariadb_1                  | --Thread 140013456709376 has waited at lock0lock.cc line 3785 for 244.00 seconds the semaphore:
        mariadb_1                  | Mutex at 0x5647f8fbbec0, Mutex LOCK_SYS created /home/buildbot/buildbot/build/mariadb-10.5.9/storage/innobase/lock/lock0lock.cc:461, lock var 2
        mariadb_1                  |
        mariadb_1                  | 2021-04-15  3:17:06 0 [Warning] InnoDB: A long semaphore wait:
        mariadb_1                  | --Thread 140013451687680 has waited at btr0cur.cc line 6219 for 244.00 seconds the semaphore:
        mariadb_1                  | S-lock on RW-latch at 0x7f574c004478 created in file buf0buf.cc line 1221
        mariadb_1                  | a writer (thread id 140012871993088) has reserved it in mode  exclusive
        mariadb_1                  | number of readers 0, waiters flag 1, lock_word: 0
        mariadb_1                  | Last time write locked in file row0row.cc line 1301
        """;

    [Fact]
    public void Reads_named_mutexes_of_mariadb_105_through_a_log_prefix()
    {
        var w = InnodbSemaphores.Read(MariaDb105);
        Assert.Equal(2, w.Count);
        var mutex = w[0];
        Assert.Equal((2, 140013456709376UL, "lock0lock.cc", 3785, 244.0), (mutex.LineNumber, mutex.WaiterHandle, mutex.WaitedAtFile, mutex.WaitedAtLine, mutex.Seconds));
        Assert.Equal(("mutex", 0x5647f8fbbec0UL, "LOCK_SYS"), (mutex.Kind, mutex.Address!.Value, mutex.MutexName));
        Assert.Equal(("/home/buildbot/buildbot/build/mariadb-10.5.9/storage/innobase/lock/lock0lock.cc", 461), (mutex.CreatedFile, mutex.CreatedLine!.Value));
        Assert.Null(mutex.HolderHandle); // 10.5 prints no owner of a mutex
        var rw = w[1];
        Assert.Equal((6, 140013451687680UL, "rw-lock s", 0x7f574c004478UL), (rw.LineNumber, rw.WaiterHandle, rw.Kind, rw.Address!.Value));
        Assert.Equal(("buf0buf.cc", 1221, 140012871993088UL, "exclusive"), (rw.CreatedFile, rw.CreatedLine!.Value, rw.HolderHandle!.Value, rw.HolderMode));
        Assert.Equal(("row0row.cc", 1301), (rw.LastWriteLockedFile, rw.LastWriteLockedLine!.Value));
        Assert.Null(rw.LastReadLockedFile); // 10.5 prints no read-locked line
        Assert.Null(rw.LastReadLockedLine);
    }

    // MySQL 8.0 error log, whole seconds and SX-lock: http://m.blog.itpub.net/29863023/viewspace-2844506/
    // The second header is cut off on the page: an incomplete header is no wait.
    private const string Mysql80 = """
        [Warning] [MY-012985] [InnoDB] A long semaphore wait:
        --Thread 139932014196480 has waited at buf0flu.cc line 1357 for 784 seconds the semaphore:
        SX-lock on RW-latch at 0x7f439b4df988 created in file buf0buf.cc line 781
        a writer (thread id 139928049043200) has reserved it in mode exclusive
        2021-11-19T14:51:51.381694+08:00 0 [Warning] [MY-012985] [InnoDB] A long semaphore wait:
        --Thread 139928049043200 has waited at btr0cur.cc line 233 for 923 s
        """;

    [Fact]
    public void Reads_an_sx_lock_wait_of_mysql_80_with_whole_seconds()
    {
        var w = Assert.Single(InnodbSemaphores.Read(Mysql80));
        Assert.Equal((2, 139932014196480UL, "buf0flu.cc", 1357, 784.0), (w.LineNumber, w.WaiterHandle, w.WaitedAtFile, w.WaitedAtLine, w.Seconds));
        Assert.Equal(("rw-lock sx", 0x7f439b4df988UL, "buf0buf.cc", 781), (w.Kind, w.Address!.Value, w.CreatedFile, w.CreatedLine!.Value));
        Assert.Equal((139928049043200UL, "exclusive"), (w.HolderHandle!.Value, w.HolderMode));
        Assert.Null(w.Readers);
    }

    // Percona Server 5.7.14 error log as published with the file names lost (and one line broken in two):
    // https://ronggeng.net/2018/02/troubleshooting-mysql-crashes-webinar-qa/
    private const string Percona57FilesLost = """
        2018-01-19T20:38:43.381127Z 0 [Warning] InnoDB: A long semaphore wait:
        --Thread 139970010412800 has waited at line 3454 for 321.00 seconds the semaphore:
        S-lock on RW-latch at 0x7f4dde2ea310 created in file line 1453
        a writer (thread id 139965530261248) has reserved it in mode exclusive
        number of readers 0, waiters flag 1, lock_word: fffffffff0000000
        Last time read locked in file line 3454
        Last time write locked in file /mnt/workspace/percona-server-5.7-binaries-release/label_exp/
        debian-wheezy-x64/percona-server-5.7.14-8/storage/innobase/btr/ line 177
        2018-01-19T20:38:43.381143Z 0 [Warning] InnoDB: A long semaphore wait:
        """;

    [Fact]
    public void Keeps_the_wait_when_a_copy_lost_the_file_names()
    {
        var w = Assert.Single(InnodbSemaphores.Read(Percona57FilesLost));
        Assert.Equal((139970010412800UL, "", 3454, 321.0), (w.WaiterHandle, w.WaitedAtFile, w.WaitedAtLine, w.Seconds));
        Assert.Equal(("rw-lock s", 0x7f4dde2ea310UL, (string?)null, 1453), (w.Kind, w.Address!.Value, w.CreatedFile, w.CreatedLine!.Value));
        Assert.Equal(139965530261248UL, w.HolderHandle);
        Assert.Equal(((string?)null, 3454), (w.LastReadLockedFile, w.LastReadLockedLine!.Value));
        Assert.Null(w.LastWriteLockedLine); // its "line 177" is on the next line, without "Last time write locked"
    }

    // Percona Server 5.5.23 (XtraDB names its mutexes): https://bugs.launchpad.net/percona-server/+bug/1007268
    private const string Percona55 = """
        --Thread 1264978240 has waited at buf0flu.c line 1896 for 271.00 seconds the semaphore:
        Mutex at 0xb1b7728 '&buf_pool->mutex', lock var 1
        waiters flag 1
        InnoDB: Warning: a long semaphore wait:
        --Thread 1322592576 has waited at trx0trx.c line 441 for 271.00 seconds the semaphore:
        Mutex at 0x9cbaa48 '&kernel_mutex', lock var 1
        waiters flag 1
        InnoDB: ###### Starts InnoDB Monitor for 30 secs to print diagnostic info:
        """;

    [Fact]
    public void Reads_xtradb_mutex_names_of_percona_55()
    {
        var w = InnodbSemaphores.Read(Percona55);
        Assert.Equal(2, w.Count);
        Assert.Equal((1264978240UL, "buf0flu.c", 1896, "mutex", 0xb1b7728UL, "&buf_pool->mutex"), (w[0].WaiterHandle, w[0].WaitedAtFile, w[0].WaitedAtLine, w[0].Kind, w[0].Address!.Value, w[0].MutexName));
        Assert.Equal((1322592576UL, "trx0trx.c", 441, 0x9cbaa48UL, "&kernel_mutex"), (w[1].WaiterHandle, w[1].WaitedAtFile, w[1].WaitedAtLine, w[1].Address!.Value, w[1].MutexName));
        Assert.Null(w[0].CreatedFile);
    }

    // MySQL 5.0.37 error log: the writer is the waiter itself: https://bugs.mysql.com/bug.php?id=32157
    private const string Mysql50 = """
        InnoDB: Warning: a long semaphore wait:
        --Thread 1191237984 has waited at log0log.c line 2026 for 241.00 seconds the semaphore:
        S-lock on RW-latch at 0x2aaab1c17b78 created in file log0log.c line 810
        a writer (thread id 1191237984) has reserved it in mode  exclusive
        number of readers 0, waiters flag 1
        Last time read locked in file log0log.c line 2026
        Last time write locked in file log0log.c line 1821

        Status of the log background IO thread, note that 'ev set' is printed
        """;

    [Fact]
    public void Reads_a_self_held_latch_of_mysql_50()
    {
        var w = Assert.Single(InnodbSemaphores.Read(Mysql50));
        Assert.Equal(w.WaiterHandle, w.HolderHandle);
        Assert.Equal((1191237984UL, "log0log.c", 2026, 241.0, "rw-lock s"), (w.WaiterHandle, w.WaitedAtFile, w.WaitedAtLine, w.Seconds, w.Kind));
        Assert.Equal(("log0log.c", 810, "log0log.c", 1821), (w.CreatedFile, w.CreatedLine!.Value, w.LastWriteLockedFile, w.LastWriteLockedLine!.Value));
    }

    // Not published: the lines of sync_array_cell_print / sync_array_mutex_print of 8.0.2x
    // (storage/innobase/sync/sync0arr.cc), whose thread ids go through std::thread::id's operator<<,
    // which libc++ on FreeBSD prints as the pthread_t pointer, in hex.
    private const string Mysql80FreeBsd = """
        --Thread 0x8012a5e00 has waited at lock0lock.cc line 3785 for 244 seconds the semaphore:
        Mutex at 0x8024c1a40, Mutex LOCK_SYS created lock0lock.cc:461, locked by 0x80129c000

        --Thread 0x8012a7000 has waited at btr0cur.cc line 1008 for 12 seconds the semaphore:
        X-lock (wait_ex) on RW-latch at 0x80311f2c8 created in file dict0dict.cc line 2737
        a writer (thread id 0x8012a7000) has reserved it in mode wait exclusive
        number of readers 1 (thread id 0x80129c000), waiters flag 1, lock_word: ffffffffffffffff
        Last time read locked in file btr0cur.cc line 1008
        Last time write locked in file /usr/ports/databases/mysql80-server/work/mysql-8.0.36/storage/innobase/btr/btr0cur.cc line 976
        wait has ended
        """;

    [Fact]
    public void Reads_hex_handles_and_the_owner_and_single_reader_of_later_80()
    {
        var w = InnodbSemaphores.Read(Mysql80FreeBsd);
        Assert.Equal(2, w.Count);
        Assert.Equal((0x8012a5e00UL, "mutex", "LOCK_SYS", "lock0lock.cc", 461, 0x80129c000UL), (w[0].WaiterHandle, w[0].Kind, w[0].MutexName, w[0].CreatedFile, w[0].CreatedLine!.Value, w[0].HolderHandle!.Value));
        Assert.Null(w[0].HolderMode);
        Assert.Equal((0x8012a7000UL, "rw-lock x wait", 0x8012a7000UL, "wait exclusive"), (w[1].WaiterHandle, w[1].Kind, w[1].HolderHandle!.Value, w[1].HolderMode));
        Assert.Equal((1, 0x80129c000UL), (w[1].Readers!.Value, w[1].ReaderHandle!.Value));
        Assert.True(w[1].WaitHasEnded);
        Assert.False(w[0].WaitHasEnded);
    }

    [Fact]
    public void A_mutex_nobody_holds_has_no_holder()
    {
        var w = Assert.Single(InnodbSemaphores.Read(
            "--Thread 140 has waited at a.cc line 1 for 2 seconds the semaphore:\nMutex at 0x10, Mutex X created a.cc:1, locked by nobody\n"));
        Assert.Equal(("mutex", (ulong?)null), (w.Kind, w.HolderHandle));
    }

    [Fact]
    public void Reads_the_status_in_the_clients_batch_form()
    {
        // mysql -e writes the whole status as one escaped line after "InnoDB<TAB><TAB>".
        string batch = "Type\tName\tStatus\nInnoDB\t\t" + Mysql55.Replace("\\", "\\\\").Replace("\n", "\\n") + "\n";
        var w = Assert.Single(InnodbSemaphores.Read(batch));
        Assert.Equal((2, 140562108442368UL, 140562088974080UL), (w.LineNumber, w.WaiterHandle, w.HolderHandle!.Value));
    }

    [Fact]
    public void A_header_with_a_handle_past_64_bits_or_without_its_end_is_no_wait()
    {
        Assert.Empty(InnodbSemaphores.Read("--Thread 99999999999999999999 has waited at a.cc line 1 for 2.00 seconds the semaphore:\n"));
        Assert.Empty(InnodbSemaphores.Read("--Thread 0x1ffffffffffffffff has waited at a.cc line 1 for 2.00 seconds the semaphore:\n"));
        Assert.Empty(InnodbSemaphores.Read("--Thread 140 has waited at a.cc line 1 for"));
    }

    private static readonly string[] Fragments =
        [.. (Mysql55 + "\n" + Mysql56 + "\n" + MariaDb105 + "\n" + Mysql80 + "\n" + Percona55 + "\n" + Mysql80FreeBsd).Split('\n')];

    [Fact]
    public void Never_throws_on_damaged_or_foreign_lines()
    {
        // Real lines cut anywhere, digits runs of any length, and arbitrary text, in any order.
        var line = Gen.OneOf(
            Gen.Int[0, Fragments.Length - 1].SelectMany(i => Gen.Int[0, Fragments[i].Length].Select(n => Fragments[i][..n])),
            Gen.Int[0, Fragments.Length - 1].SelectMany(i => Gen.String[Gen.Char["0123456789abcdefx"], 0, 40].Select(d => Fragments[i].Replace("14", d))),
            Gen.String);
        line.Array[0, 40].Sample(lines =>
        {
            string text = string.Join('\n', lines);
            var waits = InnodbSemaphores.Read(text);
            Assert.All(waits, w => Assert.InRange(w.LineNumber, 1, text.Count(c => c == '\n') + 1));
        });
    }
}
