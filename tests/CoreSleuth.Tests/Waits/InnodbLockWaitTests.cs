using CoreSleuth.Analysis.MySql;
using CsCheck;

namespace CoreSleuth.Tests.Waits;

/// <summary>
/// The TRANSACTIONS section's transaction lines and lock waits, on published outputs; each value
/// below read by hand off the quoted text.
/// </summary>
public class InnodbLockWaitTests
{
    // MySQL 5.5 (hex transaction ids and handles): https://github.com/owncloud/core/issues/20555
    // The last lock line is cut off where the published excerpt ends.
    private const string Mysql55 = """
        ------------
        TRANSACTIONS
        ------------
        ---TRANSACTION 3EF8F102, ACTIVE 9 sec fetching rows
        mysql tables in use 1, locked 1
        LOCK WAIT 1095 lock struct(s), heap size 129464, 1 row lock(s)
        MySQL thread id 13461, OS thread handle 0x7f7d8f728700, query id 4070622 localhost oc_admin updating
        DELETE FROM `oc_file_locks` WHERE `lock` = 0 AND `ttl` < '1447762304'
        ------- TRX HAS BEEN WAITING 9 SEC FOR THIS LOCK TO BE GRANTED:
        RECORD LOCKS space id 417 page no 2846 n bits 288 index `PRIMARY` of table `owncloud7`.`oc_file_locks` trx id 3EF8F102 lock_mode X locks rec but not gap waiting
        ------------------
        ---TRANSACTION 3EF8F06E, ACTIVE 10 sec fetching rows
        mysql tables in use 1, locked 1
        LOCK WAIT 1095 lock struct(s), heap size 129464, 1 row lock(s)
        MySQL thread id 13458, OS thread handle 0x7f7d8f6df700, query id 4070161 localhost oc_admin updating
        DELETE FROM `oc_file_locks` WHERE `lock` = 0 AND `ttl` < '1447762303'
        ------- TRX HAS BEEN WAITING 9 SEC FOR THIS LOCK TO BE GRANTED:
        RECORD LOCKS space id 417 p
        """;

    [Fact]
    public void Reads_the_transaction_and_record_lock_wait_of_mysql_55()
    {
        var s = MySqlSessions.ReadInnodbStatus(Mysql55).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal((13461L, 9L, 1, 1), (s[0].ThreadId, s[0].TrxActiveSeconds!.Value, s[0].TablesInUse!.Value, s[0].TablesLocked!.Value));
        var wait = s[0].LockWait!;
        Assert.Equal((9, 9L, "`owncloud7`.`oc_file_locks`", "PRIMARY", "lock_mode X locks rec but not gap waiting"),
            (wait.LineNumber, wait.Seconds, wait.Table, wait.Index, wait.Mode));
        Assert.False(wait.TableLock);
        Assert.Equal((13458L, 10L), (s[1].ThreadId, s[1].TrxActiveSeconds!.Value));
        // The wait is there; what it waits for was cut off.
        Assert.Equal((17, 9L, (string?)null, (string?)null), (s[1].LockWait!.LineNumber, s[1].LockWait!.Seconds, s[1].LockWait!.Table, s[1].LockWait!.Mode));
    }

    // MySQL 5.7 (decimal handles), copied out of a terminal 120 columns wide, which broke the lines:
    // https://github.com/google/trillian/issues/457 (the DELETE's parameter list shortened here).
    private const string Mysql57Wrapped = """
        ---TRANSACTION 6145170, ACTIVE 2 sec inserting
        190 lock struct(s), heap size 24784, 186 row lock(s), undo log entries 368
        MySQL thread id 53, OS thread handle 140179703359232, query id 532641006 trillian-log.c.trillian-test.internal 10.1
        32.0.5 test update
        INSERT INTO LeafData(TreeId,LeafIdentityHash,LeafValue,ExtraData)
                                VALUES(?,?,?,?)
        Trx read view will not see trx with id >= 6145170, sees < 6145169
        ---TRANSACTION 6145169, ACTIVE 4 sec
        mysql tables in use 1, locked 1
        LOCK WAIT 537 lock struct(s), heap size 57552, 1003 row lock(s), undo log entries 500
        MySQL thread id 54, OS thread handle 140179703891712, query id 532639905 trillian-log.c.trillian-test.internal 10.1
        32.0.5 test updating
        DELETE FROM Unsequenced WHERE LeafIdentityHash IN (?,?,?,?) AND TreeId = ?
        Trx read view will not see trx with id >= 6145169, sees < 6145167
        ------- TRX HAS BEEN WAITING 2 SEC FOR THIS LOCK TO BE GRANTED:
        RECORD LOCKS space id 119 page no 676 n bits 152 index PRIMARY of table `test`.`Unsequenced` trx id 6145169 lock_mo
        de X locks rec but not gap
        """;

    [Fact]
    public void Reads_a_wrapped_mysql_57_transaction_list()
    {
        var s = MySqlSessions.ReadInnodbStatus(Mysql57Wrapped).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal((53L, 2L), (s[0].ThreadId, s[0].TrxActiveSeconds!.Value));
        Assert.Null(s[0].TablesInUse); // no "mysql tables in use" line: no table in use
        Assert.Null(s[0].LockWait);    // the next transaction's wait is not this one's
        Assert.Equal((54L, 4L, 1, 1), (s[1].ThreadId, s[1].TrxActiveSeconds!.Value, s[1].TablesInUse!.Value, s[1].TablesLocked!.Value));
        var wait = s[1].LockWait!;
        Assert.Equal((15, 2L, "`test`.`Unsequenced`", "PRIMARY"), (wait.LineNumber, wait.Seconds, wait.Table, wait.Index));
        Assert.Null(wait.Mode); // "lock_mo" / "de X …": the line break cut the mode
    }

    // MySQL 8.0 LATEST DETECTED DEADLOCK: https://html-mysql.wekeepcoding.com/article/11452925/MySql+dead+lock+root+cause+Hibernate
    // A past deadlock is no current wait; the TRANSACTIONS section after it (not published with it)
    // shows what the session does now.
    private const string Mysql80Deadlock = """
        ------------------------
        LATEST DETECTED DEADLOCK
        ------------------------
        2022-03-24 00:05:03 0x16c113000
        *** (1) TRANSACTION:
        TRANSACTION 2000, ACTIVE 0 sec inserting
        mysql tables in use 1, locked 1
        LOCK WAIT 6 lock struct(s), heap size 1128, 3 row lock(s), undo log entries 2
        MySQL thread id 54, OS thread handle 6131019776, query id 976 localhost 127.0.0.1 root update
        /* mysql-connector-java-8.0.27 (Revision: e920b979015ae7117d60d72bcc8f077a839cd791 */ insert into SequenceId (invoice_id, post_processed_sequence_value, sequence_id, sequence_value) values (1648076703544, '79', '2000', 79)
        *** (1) HOLDS THE LOCK(S):
        RECORD LOCKS space id 3 page no 6 n bits 192 index invoice_id of table `sequenceid` trx id 2000 lock mode S
        Record lock, heap no 1 PHYSICAL RECORD: n_fields 1; compact format; info bits 0
        *** (1) WAITING FOR THIS LOCK TO BE GRANTED:
        RECORD LOCKS space id 3 page no 6 n bits 192 index invoice_id of table `sequenceid` trx id 2000 lock_mode X insert intention waiting
        ------------
        TRANSACTIONS
        ------------
        ---TRANSACTION 2010, ACTIVE 3 sec
        mysql tables in use 1, locked 1
        LOCK WAIT 2 lock struct(s), heap size 1136, 1 row lock(s)
        MySQL thread id 55, OS thread handle 6131019776, query id 990 localhost 127.0.0.1 root update
        insert into SequenceId (invoice_id) values (1)
        ------- TRX HAS BEEN WAITING 3 SEC FOR THIS LOCK TO BE GRANTED:
        TABLE LOCK table `test`.`SequenceId` trx id 2010 lock mode AUTO-INC waiting
        ------------------
        TABLE LOCK table `test`.`SequenceId` trx id 2010 lock mode IX
        """;

    [Fact]
    public void A_deadlock_report_is_no_current_wait_and_a_table_lock_wait_is_read()
    {
        var s = MySqlSessions.ReadInnodbStatus(Mysql80Deadlock).Sessions;
        Assert.Equal(2, s.Count);
        Assert.Equal(54L, s[0].ThreadId);
        Assert.Equal(((long?)null, (int?)null, (InnodbLockWait?)null), (s[0].TrxActiveSeconds, s[0].TablesInUse, s[0].LockWait));
        Assert.Equal((55L, 3L), (s[1].ThreadId, s[1].TrxActiveSeconds!.Value));
        var wait = s[1].LockWait!;
        Assert.Equal((24, 3L, "`test`.`SequenceId`", (string?)null, "lock mode AUTO-INC waiting"), (wait.LineNumber, wait.Seconds, wait.Table, wait.Index, wait.Mode));
        Assert.True(wait.TableLock);
    }

    [Fact]
    public void Fills_the_same_in_the_clients_batch_and_vertical_forms()
    {
        var raw = MySqlSessions.ReadInnodbStatus(Mysql55).Sessions;
        string batch = "Type\tName\tStatus\nInnoDB\t\t" + Mysql55.Replace("\\", "\\\\").Replace("\n", "\\n") + "\n";
        string vertical = "*************************** 1. row ***************************\n  Type: InnoDB\n  Name: \nStatus: \n" + Mysql55 + "\n1 row in set (0.00 sec)\n";
        foreach (var text in new[] { batch, vertical })
        {
            var s = MySqlSessions.ReadInnodbStatus(text).Sessions;
            Assert.Equal(raw.Select(r => (r.TrxActiveSeconds, r.TablesInUse, r.LockWait?.Table, r.LockWait?.Mode, r.LockWait?.Seconds)),
                s.Select(r => (r.TrxActiveSeconds, r.TablesInUse, r.LockWait?.Table, r.LockWait?.Mode, r.LockWait?.Seconds)));
        }
    }

    [Fact]
    public void A_session_without_a_transaction_line_has_none_of_it()
    {
        var one = Assert.Single(MySqlSessions.ReadInnodbStatus(
            "---TRANSACTION 421, not started\nMySQL thread id 7, OS thread handle 140, query id 9 localhost root\n").Sessions);
        Assert.Equal(((long?)null, (int?)null, (InnodbLockWait?)null), (one.TrxActiveSeconds, one.TablesInUse, one.LockWait));
    }

    private static readonly string[] Fragments = [.. (Mysql55 + "\n" + Mysql57Wrapped + "\n" + Mysql80Deadlock).Split('\n')];

    [Fact]
    public void Never_throws_on_damaged_lines()
    {
        var line = Gen.OneOf(
            Gen.Int[0, Fragments.Length - 1].SelectMany(i => Gen.Int[0, Fragments[i].Length].Select(n => Fragments[i][..n])),
            Gen.Int[0, Fragments.Length - 1].SelectMany(i => Gen.String[Gen.Char["0123456789"], 0, 30].Select(d => Fragments[i].Replace("9", d))),
            Gen.String);
        line.Array[0, 40].Sample(lines => { _ = MySqlSessions.ReadInnodbStatus(string.Join('\n', lines)); });
    }

    // MariaDB 10.11.19 (Debian 12), the TRANSACTIONS section of a real core's status (tests/linux/make-mariadb-core.sh):
    // "MariaDB thread id", decimal handles, the wait in microseconds. Session 6 updated row a=1 without committing,
    // then blocked in LOAD DATA; session 8's UPDATE waits for that row (the real-core test checks the same against
    // the live server's information_schema.INNODB_LOCK_WAITS).
    private const string MariaDb1011 = """
        ------------
        TRANSACTIONS
        ------------
        Trx id counter 25
        Purge done for trx's n:o < 23 undo n:o < 0 state: running but idle
        History list length 0
        LIST OF TRANSACTIONS FOR EACH SESSION:
        ---TRANSACTION 24, ACTIVE 2 sec starting index read
        mysql tables in use 1, locked 1
        LOCK WAIT 2 lock struct(s), heap size 1128, 1 row lock(s)
        MariaDB thread id 8, OS thread handle 139724950558400, query id 17 localhost root Updating
        UPDATE ghost.t SET b = 10 WHERE a = 1
        ------- TRX HAS BEEN WAITING 2245985 us FOR THIS LOCK TO BE GRANTED:
        RECORD LOCKS space id 5 page no 3 n bits 320 index PRIMARY of table `ghost`.`t` trx id 24 lock_mode X locks rec but not gap waiting
        Record lock, heap no 2 PHYSICAL RECORD: n_fields 4; compact format; info bits 0
         0: len 4; hex 80000001; asc     ;;
         1: len 6; hex 000000000017; asc       ;;
         2: len 7; hex 06000001360110; asc     6  ;;
         3: len 4; hex 80000001; asc     ;;

        ------------------
        ---TRANSACTION 23, ACTIVE 3 sec
        mysql tables in use 1, locked 1
        2 lock struct(s), heap size 1128, 1 row lock(s), undo log entries 1
        MariaDB thread id 6, OS thread handle 139724950251200, query id 11 localhost root Executing
        LOAD DATA INFILE '/tmp/mariadb-core-work.F5T4YY/fifo/ghost.fifo' INTO TABLE ghost.t
        --------
        FILE I/O
        --------
        """;

    [Fact]
    public void Reads_the_session_and_the_microsecond_wait_of_mariadb_1011()
    {
        var s = MySqlSessions.ReadInnodbStatus(MariaDb1011).Sessions[0];
        Assert.Equal((8L, 139724950558400UL, 17L), (s.ThreadId, s.OsThreadHandle!.Value, s.QueryId!.Value));
        var wait = s.LockWait!;
        Assert.Equal((2L, "`ghost`.`t`", "PRIMARY"), (wait.Seconds, wait.Table, wait.Index));
    }

    [Fact]
    public void Reads_the_transaction_ids_and_who_last_changed_the_waited_for_record_of_mariadb_1011()
    {
        var s = MySqlSessions.ReadInnodbStatus(MariaDb1011).Sessions;
        Assert.Equal([(8L, (ulong?)24), (6L, 23)], s.Select(x => (x.ThreadId, x.TransactionId)));
        var changed = s[0].LockWait!.LastChangedBy!;
        Assert.Equal((23UL, 1, 17), (changed.TransactionId, changed.Field, changed.LineNumber));
        Assert.Null(s[1].LockWait);
    }

    [Theory]
    // A secondary index's records carry no DB_TRX_ID.
    [InlineData("index PRIMARY of table", "index k_b of table")]
    // The dump of another record kind (the supremum) holds no 6-then-7-byte pair.
    [InlineData(" 1: len 6; hex 000000000017; asc       ;;", " 1: len 5; hex 0000000017; asc      ;;")]
    // Six bytes then seven as the first two fields are a key, not the system columns, which follow the key.
    [InlineData(" 0: len 4; hex 80000001; asc     ;;\n 1: len 6; hex 000000000017; asc       ;;\n 2: len 7;", " 0: len 6; hex 000000000017; asc       ;;\n 1: len 7;")]
    public void A_record_without_a_recognisable_db_trx_id_names_no_transaction(string from, string to)
    {
        var s = MySqlSessions.ReadInnodbStatus(MariaDb1011.Replace(from, to, StringComparison.Ordinal)).Sessions;
        Assert.NotNull(s[0].LockWait);
        Assert.Null(s[0].LockWait!.LastChangedBy);
    }

    [Fact]
    public void A_transaction_id_printed_in_hexadecimal_is_not_read_as_a_number()
    {
        Assert.Null(MySqlSessions.ReadInnodbStatus(Mysql55).Sessions[0].TransactionId);
    }
}
