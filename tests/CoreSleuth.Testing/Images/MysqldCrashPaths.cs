namespace CoreSleuth.Testing.Images;

/// <summary>
/// Code paths of MySQL 5.7 that only the crash samples need, added to the mysqld and libc images
/// when a thread's chain names one of their functions (so the other samples' images stay as they
/// are): InnoDB's long-semaphore-wait abort (srv_error_monitor_thread → ib::fatal::~fatal →
/// ut_dbg_assertion_failed → abort → raise → thr_kill), DDL sessions waiting for an rw-latch in
/// sync_array_wait_event, a DROP TABLE reading a page with pread(2), and a SELECT through
/// handle_query and JOIN::optimize (where a scenario can put a faulting load). Names are the
/// Itanium manglings of the 5.7 declarations (checked with c++filt); static functions have no
/// .dynsym entry; frames between the ones listed are taken as inlined.
/// </summary>
public static class MysqldCrashPaths
{
    // storage/innobase: ut0ut.cc (ib::fatal), ut0dbg.cc, row0mysql.cc, sync0rw.cc, sync0arr.cc, que0que.cc,
    // row0upd.cc, btr0cur.cc, buf0buf.cc, buf0rea.cc, fil0fil.cc, os0file.cc; sql: sql_table.cc, handler.cc, sql_parse.cc,
    // sql_select.cc, sql_optimizer.cc, sql_planner.cc.
    public const string IbFatalDestructor = "_ZN2ib5fatalD1Ev";
    public const string UtDbgAssertionFailed = "_Z23ut_dbg_assertion_failedPKcS0_m";
    public const string MysqlCreateTable = "_Z18mysql_create_tableP3THDP10TABLE_LISTP14HA_CREATE_INFOP10Alter_info";
    public const string MysqlCreateTableNoLock = "_Z26mysql_create_table_no_lockP3THDPKcS2_P14HA_CREATE_INFOP10Alter_infojPb";
    public const string HaCreateTable = "_Z15ha_create_tableP3THDPKcS2_S2_P14HA_CREATE_INFObb";
    public const string HandlerHaCreate = "_ZN7handler9ha_createEPKcP5TABLEP14HA_CREATE_INFO";
    public const string HaInnobaseCreate = "_ZN11ha_innobase6createEPKcP5TABLEP14HA_CREATE_INFO";
    public const string RowMysqlLockDataDictionary = "_Z35row_mysql_lock_data_dictionary_funcP5trx_tPKcm";
    public const string RwLockXLock = "_Z19rw_lock_x_lock_funcP9rw_lock_tmPKcm";
    public const string SyncArrayWaitEvent = "_Z21sync_array_wait_eventP12sync_array_tRP11sync_cell_t";
    public const string MysqlRmTable = "_Z14mysql_rm_tableP3THDP10TABLE_LISTcc";
    public const string MysqlRmTableNoLocks = "_Z23mysql_rm_table_no_locksP3THDP10TABLE_LISTbbbb";
    public const string HaDeleteTable = "_Z15ha_delete_tableP3THDP10handlertonPKcS4_S4_b";
    public const string HandlerHaDeleteTable = "_ZN7handler15ha_delete_tableEPKc";
    public const string HaInnobaseDeleteTable = "_ZN11ha_innobase12delete_tableEPKc";
    public const string RowDropTableForMysql = "_Z24row_drop_table_for_mysqlPKcP5trx_tbbP12dict_table_t";
    public const string QueEvalSql = "_Z12que_eval_sqlP11pars_info_tPKcmP5trx_t";
    public const string QueRunThreads = "_Z15que_run_threadsP9que_thr_t";
    public const string RowUpdStep = "_Z12row_upd_stepP9que_thr_t";
    public const string BtrCurSearchToNthLevel = "_Z27btr_cur_search_to_nth_levelP12dict_index_tmPK8dtuple_t15page_cur_mode_tmP9btr_cur_tmPKcmP5mtr_t";
    public const string BufPageGetGen = "_Z16buf_page_get_genRK9page_id_tRK11page_size_tmP11buf_block_tmPKcmP5mtr_tb";
    public const string BufReadPage = "_Z13buf_read_pageRK9page_id_tRK11page_size_t";
    public const string BufReadPageLow = "_ZL17buf_read_page_lowP7dberr_tbmmRK9page_id_tRK11page_size_tb";
    public const string FilIo = "_Z6fil_ioRK9IORequestbRK9page_id_tRK11page_size_tmmPvS8_";
    public const string OsAioFunc = "_Z11os_aio_funcR9IORequestmPKciPvmmbP10fil_node_tS3_";
    public const string OsFileReadPage = "_ZL17os_file_read_pageR9IORequestiPvmmPmb";
    public const string OsFilePread = "_ZL13os_file_preadR9IORequestiPvmmP7dberr_t";
    public const string ExecuteSqlcomSelect = "_ZL21execute_sqlcom_selectP3THDP10TABLE_LIST";
    public const string HandleQuery = "_Z12handle_queryP3THDP3LEXP12Query_resultyy";
    public const string JoinOptimize = "_ZN4JOIN8optimizeEv";
    public const string JoinMakeJoinPlan = "_ZN4JOIN14make_join_planEv";

    private static readonly CalleeSavedRegister[] AllSaved =
        [CalleeSavedRegister.Rbp, CalleeSavedRegister.R15, CalleeSavedRegister.R14, CalleeSavedRegister.R13, CalleeSavedRegister.R12, CalleeSavedRegister.Rbx];

    private static FunctionSpec NoFp(string name, int locals, string[] calls, bool exported = true) => new(name)
    {
        Frame = FrameStyle.NoFramePointer,
        LocalsSize = locals,
        SavedRegisters = AllSaved,
        Calls = [.. calls.Select(CallSite.To)],
        Exported = exported,
    };

    /// <summary>The mysqld functions of these paths (callers first).</summary>
    public static IReadOnlyList<FunctionSpec> MysqldFunctions =>
    [
        // srv0srv.cc: srv_error_monitor_thread: ib::fatal() << "Semaphore wait has lasted > …"; the temporary's
        // destructor prints the message and calls ut_error (ut_dbg_assertion_failed), which calls abort().
        NoFp(IbFatalDestructor, 0x18, [UtDbgAssertionFailed]),
        NoFp(UtDbgAssertionFailed, 0x8, ["abort"]),
        // CREATE TABLE: ha_innobase::create takes dict_operation_lock in X mode (row_mysql_lock_data_dictionary).
        NoFp(MysqlCreateTable, 0x68, [MysqlCreateTableNoLock]),
        NoFp(MysqlCreateTableNoLock, 0x98, [HaCreateTable]),
        NoFp(HaCreateTable, 0x4f8, [HandlerHaCreate]),
        NoFp(HandlerHaCreate, 0x8, [HaInnobaseCreate]),
        NoFp(HaInnobaseCreate, 0x2a8, [RowMysqlLockDataDictionary]),
        NoFp(RowMysqlLockDataDictionary, 0x8, [RwLockXLock]),
        NoFp(RwLockXLock, 0x28, [SyncArrayWaitEvent]),
        NoFp(SyncArrayWaitEvent, 0x18, [MysqldImage.OsEventWaitLow]),
        // DROP TABLE: row_drop_table_for_mysql holds dict_operation_lock X while its internal SQL deletes the
        // SYS_* rows, whose B-tree search reads a page synchronously (os_file_pread → pread).
        NoFp(MysqlRmTable, 0x38, [MysqlRmTableNoLocks]),
        NoFp(MysqlRmTableNoLocks, 0x4d8, [HaDeleteTable]),
        NoFp(HaDeleteTable, 0x468, [HandlerHaDeleteTable]),
        NoFp(HandlerHaDeleteTable, 0x8, [HaInnobaseDeleteTable]),
        NoFp(HaInnobaseDeleteTable, 0x1a8, [RowDropTableForMysql]),
        NoFp(RowDropTableForMysql, 0x168, [QueEvalSql]),
        NoFp(QueEvalSql, 0x18, [QueRunThreads]),
        NoFp(QueRunThreads, 0x28, [RowUpdStep]),
        NoFp(RowUpdStep, 0x48, [BtrCurSearchToNthLevel]),
        NoFp(BtrCurSearchToNthLevel, 0x2f8, [BufPageGetGen]),
        NoFp(BufPageGetGen, 0x88, [BufReadPage]),
        NoFp(BufReadPage, 0x18, [BufReadPageLow]),
        NoFp(BufReadPageLow, 0x58, [FilIo], exported: false),
        NoFp(FilIo, 0x98, [OsAioFunc]),
        NoFp(OsAioFunc, 0x48, [OsFileReadPage]),
        NoFp(OsFileReadPage, 0x28, [OsFilePread], exported: false),
        NoFp(OsFilePread, 0x18, ["pread"], exported: false),
        // SELECT: sql_parse.cc's static execute_sqlcom_select → handle_query → JOIN::optimize → JOIN::make_join_plan.
        NoFp(ExecuteSqlcomSelect, 0x58, [HandleQuery], exported: false),
        NoFp(HandleQuery, 0x48, [JoinOptimize]),
        NoFp(JoinOptimize, 0x88, [JoinMakeJoinPlan]),
        NoFp(JoinMakeJoinPlan, 0x68, ["malloc"]),
    ];

    /// <summary>Whether a chain needs these paths (it names one of their functions, in mysqld or libc).</summary>
    public static bool Needed(IEnumerable<string> chainNames)
    {
        var names = MysqldFunctions.Select(f => f.Name).Concat(["raise", "__raise", "pread", "__sys_pread", "__sys_thr_kill", "thr_kill"]).ToHashSet();
        return chainNames.Any(n => names.Contains(n[(n.IndexOf('!', StringComparison.Ordinal) + 1)..]));
    }

    /// <summary>mysqld with the paths: mysql_execute_command reaches the DDL and SELECT paths, the error monitor ib::fatal.</summary>
    public static ElfImageSpec WithMysqldPaths(ElfImageSpec spec)
    {
        var functions = spec.Functions.Select(f => f.Name switch
        {
            MysqldImage.MysqlExecuteCommand => f with { Calls = [.. f.Calls, CallSite.To(MysqlCreateTable), CallSite.To(MysqlRmTable), CallSite.To(ExecuteSqlcomSelect)] },
            "srv_error_monitor_thread" => f with { Calls = [.. f.Calls, CallSite.To(IbFatalDestructor)] },
            _ => f,
        });
        return spec with { Functions = [.. functions, .. MysqldFunctions] };
    }

    /// <summary>
    /// libc with abort's path and pread: lib/libc/stdlib/abort.c unblocks SIGABRT (__libc_sigprocmask) and
    /// calls raise(SIGABRT); lib/libc/gen/raise.c's __raise (weak raise, _raise) is
    /// <c>__sys_thr_self(&amp;id); return (__sys_thr_kill(id, s));</c>; pread is the plain stub __sys_pread (475).
    /// </summary>
    public static ElfImageSpec WithLibcPaths(ElfImageSpec spec)
    {
        const string Private = FreeBsdSystemImages.Private, Fbsd10 = FreeBsdSystemImages.Fbsd10;
        var functions = spec.Functions
            .Select(f => f.Name == "abort"
                ? f with { SavedRegisters = [CalleeSavedRegister.Rbx], LocalsSize = 0x98, Calls = [CallSite.To("__libc_sigprocmask"), CallSite.To("__raise")] }
                : f)
            .Concat(
            [
                new FunctionSpec("__libc_sigprocmask") { Version = Private },
                new FunctionSpec("__raise")
                {
                    Version = Private,
                    Aliases = [new("raise", SymbolBinding.Weak, Fbsd10), new("_raise", SymbolBinding.Weak, Private)],
                    SavedRegisters = [CalleeSavedRegister.Rbx],
                    LocalsSize = 0x8,
                    Calls = [CallSite.To("__sys_thr_self"), CallSite.To("__sys_thr_kill")],
                },
                FunctionSpec.SyscallStub("__sys_thr_self", 432, ".cerror", new SymbolAlias("thr_self", SymbolBinding.Weak, Fbsd10)) with { Version = Private },
                FunctionSpec.SyscallStub("__sys_pread", 475, ".cerror", new SymbolAlias("pread", SymbolBinding.Weak, Fbsd10), new SymbolAlias("_pread", SymbolBinding.Weak, Private)) with { Version = Private },
            ]);
        return spec with { Functions = [.. functions] };
    }
}
