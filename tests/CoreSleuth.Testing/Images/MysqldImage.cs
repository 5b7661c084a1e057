namespace CoreSleuth.Testing.Images;

/// <summary>The kinds of threads a MySQL 5.6-style server has (spec §10).</summary>
public enum MysqldThreadRole
{
    /// <summary>main → mysqld_main → handle_connections_sockets → poll.</summary>
    Main,
    /// <summary>signal_hand → sigwait.</summary>
    SignalHandler,
    /// <summary>handle_manager → pthread_cond_wait.</summary>
    Manager,
    /// <summary>InnoDB io_handler_thread → fil_aio_wait → … → pthread_cond_wait.</summary>
    IoHandler,
    /// <summary>srv_master_thread → os_thread_sleep → nanosleep.</summary>
    MasterThread,
    /// <summary>srv_monitor_thread → os_event_wait_time_low → pthread_cond_timedwait.</summary>
    MonitorThread,
    ErrorMonitorThread,
    LockWaitTimeoutThread,
    DictStatsThread,
    /// <summary>srv_purge_coordinator_thread → os_event_wait_low → pthread_cond_wait.</summary>
    PurgeCoordinator,
    /// <summary>buf_flush_page_cleaner_thread → os_thread_sleep → nanosleep.</summary>
    PageCleaner,
    /// <summary>buf_dump_thread → os_event_wait_low → pthread_cond_wait.</summary>
    BufferDump,
    /// <summary>A connection waiting for the client: do_command → my_net_read → vio_io_wait → poll.</summary>
    SessionIdle,
    /// <summary>A cached thread waiting for a new connection: block_until_new_connection → pthread_cond_wait.</summary>
    SessionCached,
    /// <summary>LOAD DATA INFILE blocked opening a FIFO: mysql_load → my_open → open.</summary>
    LoadDataOpen,
}

/// <summary>
/// The mysqld executable: C++ functions under Itanium-mangled names (as MySQL 5.6/5.7 has them),
/// C functions (InnoDB threads, vio, PFS) under plain names, static functions without a .dynsym
/// entry. Most functions are compiled without frame pointers, as clang -O2 emits them.
/// </summary>
public static class MysqldImage
{
    public const string Path = "/usr/local/libexec/mysqld";

    public const string MysqldMain = "_Z11mysqld_mainiPPc";
    public const string HandleConnectionsSockets = "_Z26handle_connections_socketsv";
    public const string HandleOneConnection = "_Z21handle_one_connectionPv";
    public const string DoHandleOneConnection = "_Z24do_handle_one_connectionP3THD";
    public const string DoCommand = "_Z10do_commandP3THD";
    public const string DispatchCommand = "_Z16dispatch_command19enum_server_commandP3THDPcj";
    public const string MysqlParse = "_Z11mysql_parseP3THDPcjP12Parser_state";
    public const string MysqlExecuteCommand = "_Z21mysql_execute_commandP3THD";
    public const string MysqlLoad = "_Z10mysql_loadP3THDP12sql_exchangeP10TABLE_LISTR4ListI4ItemES8_S8_15enum_duplicatesbb";
    public const string MyOpen = "_Z7my_openPKcim";
    public const string MyNetRead = "_Z11my_net_readP6st_net";
    public const string OneThreadPerConnectionEnd = "_Z29one_thread_per_connection_endP3THDb";
    public const string BlockUntilNewConnection = "_ZL26block_until_new_connectionv";
    public const string SignalHand = "_Z11signal_handPv";
    public const string HandleManager = "_Z14handle_managerPv";
    public const string FilAioWait = "_Z12fil_aio_waitm";
    public const string OsAioSimulatedHandle = "_Z23os_aio_simulated_handlemPP10fil_node_tPPvPm";
    public const string OsEventWaitLow = "_Z17os_event_wait_lowP8os_eventl";
    public const string OsEventWaitLowMember = "_ZN8os_event8wait_lowEl";
    public const string OsEventWaitTimeLow = "_Z22os_event_wait_time_lowP8os_eventml";
    public const string OsEventWaitTimeLowMember = "_ZN8os_event13wait_time_lowEml";
    public const string OsEventTimedWait = "_ZN8os_event10timed_waitEPK8timespec";
    public const string SrvMasterSleep = "_ZL16srv_master_sleepv";
    public const string OsThreadSleep = "_Z15os_thread_sleepm";
    public const string PurgeCoordinatorSuspend = "_ZL29srv_purge_coordinator_suspendP10srv_slot_tm";
    public const string PageCleanerSleepIfNeeded = "_ZL28page_cleaner_sleep_if_neededm";

    private static readonly CalleeSavedRegister[] AllSaved =
        [CalleeSavedRegister.Rbp, CalleeSavedRegister.R15, CalleeSavedRegister.R14, CalleeSavedRegister.R13, CalleeSavedRegister.R12, CalleeSavedRegister.Rbx];

    private static FunctionSpec NoFp(string name, int locals, IReadOnlyList<string> calls, params CalleeSavedRegister[] saved) =>
        new(name) { Frame = FrameStyle.NoFramePointer, LocalsSize = locals, SavedRegisters = saved, Calls = [.. calls.Select(CallSite.To)] };

    private static FunctionSpec Fp(string name, int locals, IReadOnlyList<string> calls, params CalleeSavedRegister[] saved) =>
        new(name) { Frame = FrameStyle.FramePointer, LocalsSize = locals, SavedRegisters = saved, Calls = [.. calls.Select(CallSite.To)] };

    /// <summary>The shared libraries mysqld needs, in the order rtld loads them (as in the corpus' 14.x core).</summary>
    public static IReadOnlyList<string> Needed => ["libc++.so.1", "libcxxrt.so.1", "libm.so.5", "libgcc_s.so.1", "libthr.so.3", "libc.so.7"];

    public static ElfImageSpec Spec(FreeBsdVersion version, bool omitFramePointers = false)
    {
        var rbx = CalleeSavedRegister.Rbx;
        var r12 = CalleeSavedRegister.R12;
        var r14 = CalleeSavedRegister.R14;
        var r15 = CalleeSavedRegister.R15;
        FunctionSpec[] functions =
        [
            // crt1: the outermost frame of the main thread; .cfi_undefined rip ends the chain.
            Fp("_start", 0, ["main"], rbx) with { TerminatesCallChain = true },
            Fp("main", 0, [MysqldMain]),
            NoFp(MysqldMain, 0x1a8, [HandleConnectionsSockets], AllSaved),
            NoFp(HandleConnectionsSockets, 0x78, ["poll", "accept"], AllSaved),
            // storage/perfschema/pfs.cc: pfs_spawn_thread runs the instrumented thread's start routine.
            Fp("pfs_spawn_thread", 0x10, [HandleOneConnection, SignalHand, HandleManager], rbx, r14),
            NoFp(HandleOneConnection, 0, [DoHandleOneConnection], rbx),
            NoFp(DoHandleOneConnection, 0x38, [DoCommand, OneThreadPerConnectionEnd], AllSaved),
            NoFp(DoCommand, 0x48, [MyNetRead, DispatchCommand], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
            Fp(DispatchCommand, 0x1b8, [MysqlParse], r15, r14, CalleeSavedRegister.R13, r12, rbx),
            NoFp(MysqlParse, 0x58, [MysqlExecuteCommand], AllSaved),
            Fp(MysqlExecuteCommand, 0x2a8, [MysqlLoad], r15, r14, CalleeSavedRegister.R13, r12, rbx),
            // sql_load.cc: READ_INFO and the file name buffers live in mysql_load's frame.
            Fp(MysqlLoad, 0x1128, [MyOpen, "malloc"], r15, r14, CalleeSavedRegister.R13, r12, rbx),
            NoFp(MyOpen, 0x8, ["open"], r15, r14, r12, rbx),
            NoFp(MyNetRead, 0x18, ["vio_read"], CalleeSavedRegister.Rbp, r15, r14, rbx),
            NoFp("vio_read", 0x8, ["vio_io_wait"], r15, r14, rbx),
            NoFp("vio_io_wait", 0x28, ["poll"], r14, rbx),
            NoFp(OneThreadPerConnectionEnd, 0x18, [BlockUntilNewConnection], AllSaved),
            NoFp(BlockUntilNewConnection, 0x8, ["pthread_cond_wait"], r14, rbx) with { Exported = false },
            Fp(SignalHand, 0x98, ["sigwait"], r15, r14, r12, rbx),
            NoFp(HandleManager, 0x28, ["pthread_cond_wait", "pthread_cond_timedwait"], r15, r14, r12, rbx),
            // InnoDB threads are created by os_thread_create → pthread_create directly (C linkage).
            NoFp("io_handler_thread", 0x8, [FilAioWait], r14, rbx),
            NoFp(FilAioWait, 0x28, [OsAioSimulatedHandle], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
            NoFp(OsAioSimulatedHandle, 0x1f8, [OsEventWaitLow], AllSaved),
            NoFp(OsEventWaitLow, 0, [OsEventWaitLowMember], rbx),
            NoFp(OsEventWaitLowMember, 0x8, ["pthread_cond_wait", "pthread_mutex_lock"], r15, r14, rbx),
            NoFp(OsEventWaitTimeLow, 0, [OsEventWaitTimeLowMember], rbx),
            NoFp(OsEventWaitTimeLowMember, 0x28, [OsEventTimedWait], CalleeSavedRegister.Rbp, r15, r14, r12, rbx),
            NoFp(OsEventTimedWait, 0x8, ["pthread_cond_timedwait"], r14, rbx),
            NoFp("srv_master_thread", 0x48, [SrvMasterSleep], AllSaved),
            NoFp(SrvMasterSleep, 0x8, [OsThreadSleep], rbx) with { Exported = false },
            NoFp(OsThreadSleep, 0x18, ["nanosleep"], rbx),
            NoFp("srv_monitor_thread", 0x58, [OsEventWaitTimeLow], AllSaved),
            NoFp("srv_error_monitor_thread", 0x38, [OsEventWaitTimeLow], AllSaved),
            NoFp("lock_wait_timeout_thread", 0x28, [OsEventWaitTimeLow], AllSaved),
            NoFp("dict_stats_thread", 0x18, [OsEventWaitTimeLow], r15, r14, rbx),
            NoFp("srv_purge_coordinator_thread", 0x38, [PurgeCoordinatorSuspend], AllSaved),
            NoFp(PurgeCoordinatorSuspend, 0x18, [OsEventWaitLow], r15, r14, r12, rbx) with { Exported = false },
            NoFp("buf_flush_page_cleaner_thread", 0x28, [PageCleanerSleepIfNeeded], AllSaved),
            NoFp(PageCleanerSleepIfNeeded, 0x8, [OsThreadSleep], rbx) with { Exported = false },
            NoFp("buf_dump_thread", 0x18, [OsEventWaitLow], r14, rbx),
        ];

        return new ElfImageSpec(ElfImageKind.Executable, "mysqld")
        {
            Needed = Needed,
            OsRelDate = version.OsRelDate,
            Functions = functions,
            EntryFunction = "_start",
            OmitFramePointers = omitFramePointers,
            DataObjects =
            [
                new DataObjectSpec("server_version", 60) { InitialValue = "5.6.51"u8.ToArray() },
                DataObjectSpec.Int32("thread_count", 0),
                new DataObjectSpec("LOCK_thread_count", 64) { Uninitialized = true },
            ],
        };
    }

    /// <summary>The call chain of a thread role, outermost first, down to the syscall stub.</summary>
    public static IReadOnlyList<string> Chain(FreeBsdVersion version, MysqldThreadRole role)
    {
        IReadOnlyList<string> Blocking(string call) => FreeBsdSystemImages.BlockingChain(version, call);
        var condWait = FreeBsdSystemImages.CondWaitChain(false);
        var condTimedWait = FreeBsdSystemImages.CondWaitChain(true);
        string[] spawn = ["thread_start", "pfs_spawn_thread"];
        string[] session = [.. spawn, HandleOneConnection, DoHandleOneConnection];
        string[] timedWaiter(string thread) => ["thread_start", thread, OsEventWaitTimeLow, OsEventWaitTimeLowMember, OsEventTimedWait, .. condTimedWait];
        return role switch
        {
            MysqldThreadRole.Main => ["_start", "main", MysqldMain, HandleConnectionsSockets, .. Blocking("poll")],
            MysqldThreadRole.SignalHandler => [.. spawn, SignalHand, .. Blocking("sigwait")],
            MysqldThreadRole.Manager => [.. spawn, HandleManager, .. condWait],
            MysqldThreadRole.IoHandler => ["thread_start", "io_handler_thread", FilAioWait, OsAioSimulatedHandle, OsEventWaitLow, OsEventWaitLowMember, .. condWait],
            MysqldThreadRole.MasterThread => ["thread_start", "srv_master_thread", SrvMasterSleep, OsThreadSleep, .. Blocking("nanosleep")],
            MysqldThreadRole.MonitorThread => timedWaiter("srv_monitor_thread"),
            MysqldThreadRole.ErrorMonitorThread => timedWaiter("srv_error_monitor_thread"),
            MysqldThreadRole.LockWaitTimeoutThread => timedWaiter("lock_wait_timeout_thread"),
            MysqldThreadRole.DictStatsThread => timedWaiter("dict_stats_thread"),
            MysqldThreadRole.PurgeCoordinator => ["thread_start", "srv_purge_coordinator_thread", PurgeCoordinatorSuspend, OsEventWaitLow, OsEventWaitLowMember, .. condWait],
            MysqldThreadRole.PageCleaner => ["thread_start", "buf_flush_page_cleaner_thread", PageCleanerSleepIfNeeded, OsThreadSleep, .. Blocking("nanosleep")],
            MysqldThreadRole.BufferDump => ["thread_start", "buf_dump_thread", OsEventWaitLow, OsEventWaitLowMember, .. condWait],
            MysqldThreadRole.SessionIdle => [.. session, DoCommand, MyNetRead, "vio_read", "vio_io_wait", .. Blocking("poll")],
            MysqldThreadRole.SessionCached => [.. session, OneThreadPerConnectionEnd, BlockUntilNewConnection, .. condWait],
            MysqldThreadRole.LoadDataOpen => [.. session, DoCommand, DispatchCommand, MysqlParse, MysqlExecuteCommand, MysqlLoad, MyOpen, .. Blocking("open")],
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }

    /// <summary>The libraries mysqld needs besides libthr and libc, as small stand-ins.</summary>
    public static IReadOnlyList<ElfImageSpec> FillerLibraries(FreeBsdVersion version) =>
    [
        FreeBsdSystemImages.FillerLibrary(version, "libc++.so.1", ["_ZNSt3__112basic_stringIcNS_11char_traitsIcEENS_9allocatorIcEEED1Ev", "_ZNSt3__16chrono12steady_clock3nowEv"], ["libcxxrt.so.1", "libm.so.5", "libc.so.7"]),
        FreeBsdSystemImages.FillerLibrary(version, "libcxxrt.so.1", ["__cxa_throw", "__cxa_begin_catch", "__cxa_end_catch"]),
        FreeBsdSystemImages.FillerLibrary(version, "libm.so.5", ["floor", "log10", "pow"]),
        FreeBsdSystemImages.FillerLibrary(version, "libgcc_s.so.1", ["_Unwind_RaiseException", "_Unwind_Resume", "_Unwind_Backtrace"]),
    ];
}
