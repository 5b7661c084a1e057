using System.Buffers.Binary;

namespace CoreSleuth.Testing.Images;

/// <summary>Parameters of the hung-mysqld process (spec §10): a LOAD DATA thread blocked opening a FIFO.</summary>
public sealed record MysqldScenarioOptions
{
    public FreeBsdVersion Version { get; init; } = FreeBsdVersion.V13_5;

    /// <summary>LWP id of the main thread; the others follow in creation order.</summary>
    public int FirstLwp { get; init; } = 100100;

    public string FifoPath { get; init; } = "/tmp/ghost.fifo";

    /// <summary>Where the path string sits on the LOAD DATA thread's stack (in mysql_load's frame); null = natural place.</summary>
    public ulong? FifoPathAddress { get; init; } = 0x7ffffd1a3c80;

    /// <summary>struct pthread of the LOAD DATA thread (its pthread_t, THD::real_id); null = allocated.</summary>
    public ulong? LoadDataPthread { get; init; } = 0x829e76000;

    public int LoadDataThreadId { get; init; } = 12;

    public string Statement { get; init; } = "LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t1";

    /// <summary>open flags passed by my_open (O_RDONLY; add O_CLOEXEC 0x100000 to taste).</summary>
    public int OpenFlags { get; init; }

    /// <summary>Stop state of the LOAD DATA thread (gcore: asleep; kernel core: restarting).</summary>
    public ThreadStopState LoadDataStopState { get; init; } = ThreadStopState.InKernelSleep;

    /// <summary>Stop state of the main thread (the one gcore's SIGSTOP interrupts).</summary>
    public ThreadStopState MainStopState { get; init; } = ThreadStopState.InKernelSleep;

    public bool OmitFramePointers { get; init; }

    /// <summary>Leave stale code addresses in stack locals (see <see cref="ThreadSpec.StaleStackValues"/>).</summary>
    public bool StaleStackValues { get; init; }

    public bool HideLibthrSymbols { get; init; }

    /// <summary>Add an exited connection thread (tid 1, recycled struct pthread) and a THD that still names it.</summary>
    public bool IncludeExitedThread { get; init; } = true;

    /// <summary>Address-space parameters. The default keeps RLIMIT_STACK at 32 MiB and MySQL's 256 KiB
    /// thread_stack, so that 0x7ffffd1a3c80 falls in a thread stack.</summary>
    public ProcessLayoutOptions Layout { get; init; } = new()
    {
        StackLimit = 0x2000000,
        ThreadStackSize = 0x40000,
        ThreadStackResident = 0x20000,
        ExtraHeapRegions = [new HeapRegionSpec(0x829e00000, 0x200000)],
    };
}

/// <summary>
/// A ready-made mysqld process with 23 threads (main, signal handler, 10 InnoDB I/O threads, the
/// other InnoDB background threads, a cached and an idle connection thread, and the LOAD DATA thread
/// blocked in open() on a FIFO), with the statement, an InnoDB-status excerpt and THD-like records
/// in the heap. Labels: "fifo-path", "statement", "innodb-status", "thd:&lt;lwp&gt;", "thd:exited",
/// "pthread:&lt;lwp&gt;", "tcb:&lt;lwp&gt;", "pthread:exited:&lt;former lwp&gt;".
/// </summary>
public static class MysqldProcessTemplate
{
    /// <summary>Layout of the THD-like heap records (invented for the samples): thread_id at 8,
    /// real_id (pthread_t) at 16, query string pointer at 24, query length at 32.</summary>
    public const int ThdThreadIdOffset = 8, ThdRealIdOffset = 16, ThdQueryOffset = 24, ThdQueryLengthOffset = 32, ThdSize = 64;

    public sealed record BuiltImages(ElfImage Mysqld, ElfImage Rtld, ElfImage Libthr, ElfImage Libc, IReadOnlyList<ElfImage> Fillers);

    public static BuiltImages BuildImages(MysqldScenarioOptions options)
    {
        var v = options.Version;
        return new BuiltImages(
            ElfImageBuilder.Build(MysqldImage.Spec(v, options.OmitFramePointers)),
            ElfImageBuilder.Build(FreeBsdSystemImages.Rtld(v) with { OmitFramePointers = options.OmitFramePointers }),
            ElfImageBuilder.Build(FreeBsdSystemImages.Libthr(v, options.HideLibthrSymbols) with { OmitFramePointers = options.OmitFramePointers }),
            ElfImageBuilder.Build(FreeBsdSystemImages.Libc(v) with { OmitFramePointers = options.OmitFramePointers }),
            [.. MysqldImage.FillerLibraries(v).Select(f => ElfImageBuilder.Build(f with { OmitFramePointers = options.OmitFramePointers }))]);
    }

    /// <summary>The thread roles in creation order (main first, the LOAD DATA thread last).</summary>
    public static IReadOnlyList<(MysqldThreadRole Role, string Name)> Roles =>
    [
        (MysqldThreadRole.Main, "mysqld"),
        .. Enumerable.Range(0, 10).Select(i => (MysqldThreadRole.IoHandler, $"ib_io_{(i < 4 ? "rd" : i < 8 ? "wr" : i == 8 ? "ibuf" : "log")}")),
        (MysqldThreadRole.LockWaitTimeoutThread, "ib_lock_timeout"),
        (MysqldThreadRole.ErrorMonitorThread, "ib_err_monitor"),
        (MysqldThreadRole.MonitorThread, "ib_srv_monitor"),
        (MysqldThreadRole.MasterThread, "ib_srv_master"),
        (MysqldThreadRole.PurgeCoordinator, "ib_purge_coord"),
        (MysqldThreadRole.PageCleaner, "ib_page_cleaner"),
        (MysqldThreadRole.DictStatsThread, "ib_dict_stats"),
        (MysqldThreadRole.BufferDump, "ib_buf_dump"),
        (MysqldThreadRole.SignalHandler, "signal_handler"),
        (MysqldThreadRole.SessionCached, "connection"),
        (MysqldThreadRole.SessionIdle, "connection"),
        (MysqldThreadRole.LoadDataOpen, "connection"),
    ];

    public static ProcessImage Build(MysqldScenarioOptions options)
    {
        var images = BuildImages(options);
        if (options.LoadDataPthread is null)
        {
            // The status text quotes the pthread_t: find where it lands, then build again with it pinned.
            var first = CreateBuilder(options, images).Build();
            var lwp = options.FirstLwp + Roles.Count - 1;
            return CreateBuilder(options with { LoadDataPthread = first.Labels[$"pthread:{lwp}"] }, images).Build();
        }

        return CreateBuilder(options, images).Build();
    }

    /// <summary>A builder holding the whole scenario; add threads or data before <see cref="ProcessImageBuilder.Build"/>.</summary>
    public static ProcessImageBuilder CreateBuilder(MysqldScenarioOptions options, BuiltImages images)
    {
        var v = options.Version;
        var builder = new ProcessImageBuilder(v, options.Layout)
            .SetExecutable(images.Mysqld, MysqldImage.Path, [MysqldImage.Path, "--defaults-extra-file=/usr/local/etc/mysql/my.cnf", "--user=mysql"], ["PATH=/sbin:/bin:/usr/sbin:/usr/bin", "HOME=/var/db/mysql", "USER=mysql"])
            .SetRtld(images.Rtld);
        foreach (var filler in images.Fillers)
        {
            builder.AddLibrary(filler, LibraryPath(filler.FileName));
        }

        builder.AddLibrary(images.Libthr, "/lib/libthr.so.3");
        builder.AddLibrary(images.Libc, "/lib/libc.so.7");

        var roles = Roles;
        var loadDataLwp = options.FirstLwp + roles.Count - 1;
        for (var i = 0; i < roles.Count; i++)
        {
            var (role, name) = roles[i];
            var lwp = options.FirstLwp + i;
            if (options.IncludeExitedThread && role == MysqldThreadRole.SessionCached)
            {
                builder.AddExitedThread(new ExitedThreadSpec { InThreadList = false, FormerLwp = lwp + 1000 });
            }

            var heap = new List<HeapData>();
            builder.AddThread(Thread(v, role, name, lwp, options, heap));
            foreach (var data in heap)
            {
                builder.PlaceData(data);
            }
        }

        // Heap: the statement, an InnoDB status excerpt quoting the LOAD DATA thread, THD-like records.
        builder.PlaceString("statement", options.Statement);
        var handle = options.LoadDataPthread is ulong h ? $"0x{h:x}" : "0x0";
        builder.PlaceString(
            "innodb-status",
            $"---TRANSACTION 1234567, ACTIVE 42 sec inserting\nmysql tables in use 1, locked 1\n" +
            $"MySQL thread id {options.LoadDataThreadId}, OS thread handle {handle}, query id 4711 localhost root executing\n{options.Statement}\n");
        builder.PlaceData(Thd($"thd:{loadDataLwp}", options.LoadDataThreadId, $"pthread:{loadDataLwp}", "statement", options.Statement.Length));
        builder.PlaceData(Thd($"thd:{loadDataLwp - 1}", options.LoadDataThreadId - 1, $"pthread:{loadDataLwp - 1}", null, 0));
        if (options.IncludeExitedThread)
        {
            // A THD whose OS thread has gone: its real_id points at a recycled struct pthread (tid 1).
            var cached = options.FirstLwp + roles.ToList().FindIndex(r => r.Role == MysqldThreadRole.SessionCached);
            builder.PlaceData(Thd("thd:exited", options.LoadDataThreadId - 2, $"pthread:exited:{cached + 1000}", null, 0));
        }
        return builder;
    }

    private static HeapData Thd(string label, int threadId, string pthreadLabel, string? queryLabel, int queryLength)
    {
        var bytes = new byte[ThdSize];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 0x7468645f6d61726bUL); // a recognisable tag
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(ThdThreadIdOffset), (ulong)threadId);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(ThdQueryLengthOffset), (ulong)queryLength);
        var pointers = new List<(int, string)> { (ThdRealIdOffset, pthreadLabel) };
        if (queryLabel is not null)
        {
            pointers.Add((ThdQueryOffset, queryLabel));
        }

        return new HeapData(label, bytes) { Pointers = pointers };
    }

    private static string LibraryPath(string soName) => soName == "libc++.so.1" ? "/usr/lib/libc++.so.1" : "/lib/" + soName;

    /// <summary>The thread of one role, with its syscall arguments; heap words it needs go to <paramref name="heap"/>.</summary>
    public static ThreadSpec Thread(FreeBsdVersion v, MysqldThreadRole role, string name, int lwp, MysqldScenarioOptions o, List<HeapData> heap)
    {
        var spec = new ThreadSpec(lwp, MysqldImage.Chain(v, role))
        {
            Name = name,
            PthreadName = role == MysqldThreadRole.Main ? null : name,
            IsMainThread = role == MysqldThreadRole.Main,
            StaleStackValues = o.StaleStackValues,
        };

        static byte[] U64s(params ulong[] values)
        {
            var bytes = new byte[8 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return bytes;
        }

        var condTimed = role is MysqldThreadRole.MonitorThread or MysqldThreadRole.ErrorMonitorThread or MysqldThreadRole.LockWaitTimeoutThread or MysqldThreadRole.DictStatsThread;
        var condWait = condTimed || role is MysqldThreadRole.IoHandler or MysqldThreadRole.PurgeCoordinator or MysqldThreadRole.BufferDump or MysqldThreadRole.SessionCached;
        if (condWait)
        {
            // _umtx_op(&curthread->wake_addr->value, UMTX_OP_WAIT_UINT_PRIVATE, 0, size, timeout)
            var wake = $"wake:{lwp}";
            var frameData = new List<FrameData>();
            ArgumentValue size = 0, timeout = 0;
            if (condTimed)
            {
                // struct _umtx_time { struct timespec _timeout; uint32_t _flags (UMTX_ABSTIME); uint32_t _clockid; }
                var umtxTime = U64s(1700000000, 500000000, 1);
                frameData.Add(new FrameData($"umtx-time:{lwp}", "_thr_umtx_timedwait_uint", umtxTime));
                size = 24;
                timeout = ArgumentValue.AddressOf($"umtx-time:{lwp}");
            }

            heap.Add(new HeapData(wake, new byte[8]) { Alignment = 8 });
            return spec with
            {
                SyscallArguments = [ArgumentValue.AddressOf(wake), 15, 0, size, timeout],
                FrameData = frameData,
            };
        }

        return role switch
        {
            MysqldThreadRole.Main => spec with
            {
                StopState = o.MainStopState,
                FrameData = [new FrameData($"pollfds:{lwp}", MysqldImage.HandleConnectionsSockets, [12, 0, 0, 0, 1, 0, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0])],
                SyscallArguments = [ArgumentValue.AddressOf($"pollfds:{lwp}"), 2, 0xffffffffUL],
            },
            MysqldThreadRole.SignalHandler => spec with
            {
                // sigset_t with SIGHUP, SIGQUIT, SIGTERM, SIGTSTP (bit sig-1); int sig.
                FrameData = [new FrameData($"sigset:{lwp}", MysqldImage.SignalHand, U64s((1UL << 0) | (1UL << 2) | (1UL << 14) | (1UL << 17), 0)), new FrameData($"sig:{lwp}", MysqldImage.SignalHand, [0, 0, 0, 0]) { OffsetInLocals = 48 }],
                SyscallArguments = [ArgumentValue.AddressOf($"sigset:{lwp}"), ArgumentValue.AddressOf($"sig:{lwp}")],
            },
            MysqldThreadRole.MasterThread or MysqldThreadRole.PageCleaner => spec with
            {
                FrameData = [new FrameData($"timespec:{lwp}", MysqldImage.OsThreadSleep, U64s(role == MysqldThreadRole.MasterThread ? 1UL : 0UL, role == MysqldThreadRole.MasterThread ? 0UL : 999000000UL)) { OffsetInLocals = 0 }],
                SyscallArguments = [ArgumentValue.AddressOf($"timespec:{lwp}"), 0],
            },
            MysqldThreadRole.SessionIdle => spec with
            {
                FrameData = [new FrameData($"pollfd:{lwp}", "vio_io_wait", [25, 0, 0, 0, 3, 0, 0, 0])],
                SyscallArguments = [ArgumentValue.AddressOf($"pollfd:{lwp}"), 1, 28800000],
            },
            MysqldThreadRole.LoadDataOpen => spec with
            {
                StopState = o.LoadDataStopState,
                PthreadAddress = o.LoadDataPthread,
                FrameData = [FrameData.CString("fifo-path", MysqldImage.MysqlLoad, o.FifoPath, o.FifoPathAddress)],
                SyscallArguments = v.OpenUsesOpenat
                    ? [-100L, ArgumentValue.AddressOf("fifo-path"), o.OpenFlags, 0x1b0]
                    : [ArgumentValue.AddressOf("fifo-path"), o.OpenFlags, 0x1b0],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }

}
