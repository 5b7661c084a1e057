namespace CoreSleuth.Testing.Images;

/// <summary>
/// The code paths of sessions that wait for a lock: a pthread mutex (two sessions in an AB-BA
/// deadlock) and MySQL's table-level lock (sessions queued behind a LOAD DATA that holds table
/// t). They are added to the mysqld and libthr images only when a scenario's threads use them
/// (<see cref="UsedBy"/>), so the other samples keep their images byte for byte.
/// </summary>
public static class MysqldLockPaths
{
    // sql/sql_show.cc, sql/sql_class.cc, sql/sql_parse.cc (MySQL 5.7), names checked with c++filt.
    public const string MysqldListProcesses = "_Z21mysqld_list_processesP3THDPKcb";
    public const string SqlKill = "_ZL8sql_killP3THDjb";
    public const string ThdAwake = "_ZN3THD5awakeENS_12killed_stateE";

    /// <summary>include/mysql/psi/mysql_thread.h: <c>static inline int inline_mysql_mutex_lock(mysql_mutex_t *that, const char *src_file, uint src_line)</c>
    /// (mysql_mutex_t is <c>struct st_mysql_mutex</c>); static, so no .dynsym entry.</summary>
    public const string InlineMysqlMutexLock = "_ZL23inline_mysql_mutex_lockP14st_mysql_mutexPKcj";

    // sql/sql_base.cc, sql/lock.cc (C++); mysys/thr_lock.c (C in 5.7: plain names).
    public const string OpenAndLockTables = "_Z20open_and_lock_tablesP3THDP10TABLE_LISTjP19Prelocking_strategy";
    public const string LockTables = "_Z11lock_tablesP3THDP10TABLE_LISTjj";
    public const string MysqlLockTables = "_Z17mysql_lock_tablesP3THDPP5TABLEjj";
    public const string ThrMultiLock = "thr_multi_lock";
    public const string ThrLock = "thr_lock";
    /// <summary>mysys/thr_lock.c: <c>static enum enum_thr_lock_result wait_for_lock(struct st_lock_list *wait, THR_LOCK_DATA *data, THR_LOCK_INFO *owner, ulong lock_wait_timeout)</c>.</summary>
    public const string WaitForLock = "wait_for_lock";
    /// <summary>The C copy of mysql_thread.h's static inline wrapper (thr_lock.c is C in 5.7).</summary>
    public const string InlineMysqlCondTimedwait = "inline_mysql_cond_timedwait";

    /// <summary>lib/libthr/thread/thr_mutex.c (13.x): <c>__pthread_mutex_lock</c> → static inline <c>mutex_lock_common</c>
    /// (kept as a frame here) → static <c>mutex_lock_sleep</c> → thr_umtx.c's <c>__thr_umutex_lock</c> →
    /// <c>_umtx_op_err(mtx, UMTX_OP_MUTEX_WAIT, 0, 0, 0)</c>.</summary>
    public const string MutexLockCommon = "mutex_lock_common";

    private static readonly string[] MysqldNames =
        [MysqldListProcesses, SqlKill, ThdAwake, InlineMysqlMutexLock, OpenAndLockTables, LockTables, MysqlLockTables, ThrMultiLock, ThrLock, WaitForLock, InlineMysqlCondTimedwait];

    /// <summary>Whether a call chain goes through one of these paths.</summary>
    public static bool UsedBy(IEnumerable<string> chain) => chain.Any(n => MysqldNames.Contains(n) || n == MutexLockCommon);

    /// <summary>The mysqld image plus the lock paths: mysql_execute_command also calls mysqld_list_processes, sql_kill and open_and_lock_tables.</summary>
    public static ElfImageSpec WithLockPaths(ElfImageSpec mysqld)
    {
        var rbx = CalleeSavedRegister.Rbx;
        var r12 = CalleeSavedRegister.R12;
        var r14 = CalleeSavedRegister.R14;
        var r15 = CalleeSavedRegister.R15;
        static FunctionSpec NoFp(string name, int locals, string[] calls, params CalleeSavedRegister[] saved) =>
            new(name) { Frame = FrameStyle.NoFramePointer, LocalsSize = locals, SavedRegisters = saved, Calls = [.. calls.Select(CallSite.To)] };

        var functions = mysqld.Functions
            .Select(f => f.Name == MysqldImage.MysqlExecuteCommand
                ? f with { Calls = [.. f.Calls, CallSite.To(MysqldListProcesses), CallSite.To(SqlKill), CallSite.To(OpenAndLockTables)] }
                : f)
            .Concat(
            [
                NoFp(MysqldListProcesses, 0x78, [InlineMysqlMutexLock], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
                NoFp(SqlKill, 0x18, [ThdAwake], r15, r14, rbx) with { Exported = false },
                NoFp(ThdAwake, 0x28, [InlineMysqlMutexLock], r15, r14, r12, rbx),
                NoFp(InlineMysqlMutexLock, 0x8, ["pthread_mutex_lock"], r14, rbx) with { Exported = false },
                NoFp(OpenAndLockTables, 0x38, [LockTables], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
                NoFp(LockTables, 0x48, [MysqlLockTables], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
                NoFp(MysqlLockTables, 0x28, [ThrMultiLock], r15, r14, r12, rbx),
                NoFp(ThrMultiLock, 0x18, [ThrLock], CalleeSavedRegister.Rbp, r15, r14, rbx),
                NoFp(ThrLock, 0x18, [WaitForLock], r15, r14, r12, rbx),
                // wait_for_lock's struct timespec wait_timeout is in its frame.
                NoFp(WaitForLock, 0x28, [InlineMysqlCondTimedwait], r15, r14, r12, rbx) with { Exported = false },
                NoFp(InlineMysqlCondTimedwait, 0x8, ["pthread_cond_timedwait"], r14, rbx) with { Exported = false },
            ]);
        return mysqld with { Functions = [.. functions] };
    }

    /// <summary>libthr with <c>mutex_lock_common</c> between <c>__pthread_mutex_lock</c> and <c>mutex_lock_sleep</c>.</summary>
    public static ElfImageSpec WithMutexLockCommon(ElfImageSpec libthr)
    {
        var entry = FreeBsdSystemImages.MutexLockChain[0];
        if (!libthr.Functions.Any(f => f.Name == entry)) throw new InvalidOperationException($"{libthr.FileName} has no {entry}");
        var functions = libthr.Functions
            .Select(f => f.Name == entry ? f with { Calls = [CallSite.To(MutexLockCommon)] } : f)
            .Append(new FunctionSpec(MutexLockCommon)
            {
                Exported = false,
                SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14, CalleeSavedRegister.R15],
                LocalsSize = 0x8,
                Calls = [CallSite.To("mutex_lock_sleep")],
            });
        return libthr with { Functions = [.. functions] };
    }
}
