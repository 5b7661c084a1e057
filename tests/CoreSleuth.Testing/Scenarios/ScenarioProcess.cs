using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using CoreSleuth.Testing.Images;
using ImageThreadSpec = CoreSleuth.Testing.Images.ThreadSpec;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>One live thread of a scenario after "FIRST-LAST" ranges are expanded.</summary>
/// <param name="Name">td_name; null = the command name (no thread was named).</param>
public sealed record ScenarioThread(int Lwp, ThreadModel Model, MysqldThreadRole? Role, string? Name, bool IsMain)
{
    public SessionModel? Session => Model.Session;
}

/// <summary>
/// A scenario turned into a process image: the mysqld, rtld, libthr and libc images of its
/// FreeBSD release, threads built from <see cref="MysqldProcessTemplate"/>'s roles (or explicit
/// call chains), sessions as THD-like records and statements in the heap.
/// </summary>
public sealed class ScenarioProcess
{
    /// <summary>Role names of the scenario format and the template roles they stand for.</summary>
    public static IReadOnlyDictionary<string, MysqldThreadRole> Roles { get; } = new Dictionary<string, MysqldThreadRole>
    {
        ["main"] = MysqldThreadRole.Main,
        ["signal-handler"] = MysqldThreadRole.SignalHandler,
        ["manager"] = MysqldThreadRole.Manager,
        ["io-handler"] = MysqldThreadRole.IoHandler,
        ["master"] = MysqldThreadRole.MasterThread,
        ["monitor"] = MysqldThreadRole.MonitorThread,
        ["error-monitor"] = MysqldThreadRole.ErrorMonitorThread,
        ["lock-wait-timeout"] = MysqldThreadRole.LockWaitTimeoutThread,
        ["dict-stats"] = MysqldThreadRole.DictStatsThread,
        ["purge-coordinator"] = MysqldThreadRole.PurgeCoordinator,
        ["page-cleaner"] = MysqldThreadRole.PageCleaner,
        ["buffer-dump"] = MysqldThreadRole.BufferDump,
        ["session-idle"] = MysqldThreadRole.SessionIdle,
        ["session-cached"] = MysqldThreadRole.SessionCached,
        ["load-data"] = MysqldThreadRole.LoadDataOpen,
    };

    /// <summary>A session reopening the general query log on a FIFO (SET GLOBAL general_log = ON): MYSQL_LOG::open → my_open → open(O_WRONLY|O_APPEND|O_CREAT).</summary>
    public const string GeneralLogRole = "general-log-open";

    // sql/set_var.cc, sql/sys_vars.cc, sql/log.cc (MySQL 5.6), names checked with c++filt.
    public const string SqlSetVariables = "_Z17sql_set_variablesP3THDP4ListI12set_var_baseE";
    public const string SetVarUpdate = "_ZN7set_var6updateEP3THD";
    public const string SysVarUpdate = "_ZN7sys_var6updateEP3THDP7set_var";
    public const string FixLogState = "_ZL13fix_log_stateP7sys_varP3THD13enum_var_type";
    public const string ActivateLogHandler = "_ZN6LOGGER20activate_log_handlerEP3THDj";
    public const string MysqlLogOpen = "_ZN9MYSQL_LOG4openEjPKc13enum_log_typeS1_10cache_type";

    /// <summary>The tag word of the THD-like heap records (as <see cref="MysqldProcessTemplate"/> writes them).</summary>
    public const ulong ThdTag = 0x7468645f6d61726bUL;

    private ScenarioProcess(Scenario scenario, FreeBsdVersion version, IReadOnlyList<ScenarioThread> threads, IReadOnlyList<ElfImage> images, ProcessImage image)
    {
        Scenario = scenario;
        Version = version;
        Threads = threads;
        Images = images;
        Image = image;
    }

    public Scenario Scenario { get; }
    public FreeBsdVersion Version { get; }

    /// <summary>Live threads in creation order (the same order as <see cref="ProcessImage.Threads"/>).</summary>
    public IReadOnlyList<ScenarioThread> Threads { get; }

    /// <summary>Every ELF image mapped (what a sysroot holds).</summary>
    public IReadOnlyList<ElfImage> Images { get; }

    public ProcessImage Image { get; }

    /// <summary>The pthread_t of a live thread.</summary>
    public ulong PthreadOf(int lwp) => Image.Labels[$"pthread:{lwp}"];

    /// <summary>Address of the path string a blocked open passes.</summary>
    public ulong OpenPathOf(int lwp) => Image.Labels[$"open-path:{lwp}"];

    /// <summary>A scenario's <c>images</c> entry applied to an image spec.</summary>
    private static ElfImageSpec Apply(ElfImageSpec spec, ImageModel m)
    {
        var missing = m.WithoutFde.Where(n => !spec.Functions.Any(f => f.AllNames.Contains(n))).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"images.{spec.FileName}.withoutFde: {spec.FileName} has no function {string.Join(", ", missing)}");
        return spec with
        {
            OmitFramePointers = m.OmitFramePointers ?? spec.OmitFramePointers,
            EhFrameHeader = m.EhFrameHeader,
            SyscallStubFdes = m.SyscallStubFdes ?? spec.SyscallStubFdes,
            Functions = [.. spec.Functions.Select(f => f.AllNames.Any(m.WithoutFde.Contains) ? f with { HasFde = false } : f)],
        };
    }

    public static FreeBsdVersion VersionOf(Scenario s)
    {
        var parts = s.Freebsd.Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int major) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int minor))
            throw new InvalidDataException($"freebsd \"{s.Freebsd}\" is not MAJOR.MINOR");
        var v = new FreeBsdVersion(major, minor);
        return s.Osreldate is int osrel ? v with { OsRelDate = osrel } : v;
    }

    public static ScenarioProcess Build(Scenario s)
    {
        var v = VersionOf(s);
        var threads = Expand(s);
        bool generalLog = threads.Any(t => t.Model.Role == GeneralLogRole);

        var mysqldSpec = MysqldImage.Spec(v, s.OmitFramePointers);
        if (generalLog) mysqldSpec = WithGeneralLog(mysqldSpec);
        var libcSpec = FreeBsdSystemImages.Libc(v);
        if (MysqldCrashPaths.Needed(threads.SelectMany(t => t.Model.Chain ?? [])))
        {
            mysqldSpec = MysqldCrashPaths.WithMysqldPaths(mysqldSpec);
            libcSpec = MysqldCrashPaths.WithLibcPaths(libcSpec);
        }
        mysqldSpec = WithFaultingLoads(mysqldSpec, threads);
        var libthrSpec = FreeBsdSystemImages.Libthr(v, s.HideLibthrSymbols);
        if (threads.Any(t => t.Model.Chain is { } c && MysqldLockPaths.UsedBy(c)))
        {
            mysqldSpec = MysqldLockPaths.WithLockPaths(mysqldSpec);
            libthrSpec = MysqldLockPaths.WithMutexLockCommon(libthrSpec);
        }
        var specs = new List<ElfImageSpec> { mysqldSpec, FreeBsdSystemImages.Rtld(v), libthrSpec, libcSpec };
        specs.AddRange(MysqldImage.FillerLibraries(v));
        var unknown = s.Images.Keys.Where(k => !specs.Any(x => x.FileName == k)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"images: no image is named {string.Join(", ", unknown)} (known: {string.Join(", ", specs.Select(x => x.FileName))})");
        var built = specs.Select(x => ElfImageBuilder.Build(s.Images.TryGetValue(x.FileName, out var m) ? Apply(x, m) : x)).ToList();
        var (mysqld, rtld, libthr, libc) = (built[0], built[1], built[2], built[3]);
        var fillers = built.Skip(4).ToList();

        var l = s.Layout;
        var layout = new ProcessLayoutOptions
        {
            StackLimit = l.StackLimit,
            ThreadStackSize = l.ThreadStack,
            ThreadStackResident = l.ThreadStackResident,
            MainStackSize = l.MainStack,
            DefaultHeapSize = l.Heap,
            RtldHeapSize = l.RtldHeap,
            ExtraHeapRegions = [.. l.HeapRegions.Select(h => new HeapRegionSpec(h.Start, h.Size))],
            TextNoCoreDump = s.Text switch
            {
                "core" => false,
                "sysroot" => true,
                _ => throw new InvalidDataException($"text \"{s.Text}\" is neither \"core\" nor \"sysroot\""),
            },
        };

        var args = s.Process.Arguments;
        if (args.Count == 0) throw new InvalidDataException("process.arguments needs at least argv[0], the executable path");
        var builder = new ProcessImageBuilder(v, layout)
            .SetExecutable(mysqld, args[0], args, s.Process.Environment)
            .SetRtld(rtld);
        foreach (var filler in fillers)
            builder.AddLibrary(filler, filler.FileName == "libc++.so.1" ? "/usr/lib/libc++.so.1" : "/lib/" + filler.FileName);
        builder.AddLibrary(libthr, "/lib/libthr.so.3");
        builder.AddLibrary(libc, "/lib/libc.so.7");

        // Exited threads go where their former LWP puts them in creation order.
        var exited = s.ExitedThreads.OrderBy(e => e.FormerLwp).ToList();
        var heap = new List<HeapData>();
        var mutexes = ScenarioMutexes.Build(s, v, threads);
        foreach (var t in threads)
        {
            while (exited.Count > 0 && exited[0].FormerLwp < t.Lwp && !t.IsMain)
            {
                builder.AddExitedThread(new ExitedThreadSpec { FormerLwp = exited[0].FormerLwp, PthreadAddress = exited[0].Pthread, InThreadList = false });
                exited.RemoveAt(0);
            }
            var spec = Thread(v, t, heap);
            if (mutexes.PthreadWords.TryGetValue(t.Lwp, out var words)) spec = spec with { PthreadWords = words };
            builder.AddThread(spec);
        }
        heap.AddRange(mutexes.Heap);
        foreach (var e in exited)
            builder.AddExitedThread(new ExitedThreadSpec { FormerLwp = e.FormerLwp, PthreadAddress = e.Pthread, InThreadList = false });
        foreach (var d in heap) builder.PlaceData(d);

        // Sessions: the statement text and a THD-like record (thread id, real_id = pthread_t, query).
        foreach (var t in threads.Where(t => t.Session is not null))
        {
            var session = t.Session!;
            if (session.Statement is { } statement) builder.PlaceString($"statement:{t.Lwp}", statement);
            builder.PlaceData(Thd(t.Lwp, session));
        }
        foreach (var str in s.Strings) builder.PlaceString(str.Label, str.Text, str.At);

        var image = builder.Build();
        return new ScenarioProcess(s, v, threads, [mysqld, rtld, libthr, libc, .. fillers], image);
    }

    /// <summary>Expands "FIRST-LAST" ranges and assigns default names (the template's role names).</summary>
    public static IReadOnlyList<ScenarioThread> Expand(Scenario s)
    {
        var list = new List<ScenarioThread>();
        int ioIndex = 0;
        foreach (var m in s.Threads)
        {
            var (first, last) = LwpRange(m.Lwp);
            MysqldThreadRole? role = m.Role is null || m.Role == GeneralLogRole ? null
                : Roles.TryGetValue(m.Role, out var r) ? r : throw new InvalidDataException($"LWP {first}: unknown role \"{m.Role}\"");
            if (m.Role is null && m.Chain is null) throw new InvalidDataException($"LWP {first}: a thread needs a role or a chain");
            if (first != last && (m.Pthread is not null || m.Open is not null || m.Session is not null))
                throw new InvalidDataException($"LWPs {first}-{last}: a range cannot share a pthread address, an open or a session");
            for (int lwp = first; lwp <= last; lwp++)
            {
                bool main = role == MysqldThreadRole.Main;
                string? name = !s.ThreadNames ? null : m.Name ?? DefaultName(role, m.Role, ref ioIndex);
                list.Add(new ScenarioThread(lwp, m, role, name, main));
            }
        }
        if (list.Count == 0 || !list[0].IsMain || list.Skip(1).Any(t => t.IsMain))
            throw new InvalidDataException("the first thread must be the only one with role \"main\"");
        return list;
    }

    private static (int First, int Last) LwpRange(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number) return (e.GetInt32(), e.GetInt32());
        if (e.ValueKind == JsonValueKind.String && e.GetString()!.Split('-') is [var a, var b]
            && int.TryParse(a, CultureInfo.InvariantCulture, out int first) && int.TryParse(b, CultureInfo.InvariantCulture, out int last) && first <= last)
            return (first, last);
        throw new InvalidDataException($"lwp {e} is neither a number nor \"FIRST-LAST\"");
    }

    private static string DefaultName(MysqldThreadRole? role, string? roleName, ref int ioIndex)
    {
        if (role == MysqldThreadRole.IoHandler)
        {
            int i = ioIndex++;
            return $"ib_io_{(i < 4 ? "rd" : i < 8 ? "wr" : i == 8 ? "ibuf" : "log")}";
        }
        var fromTemplate = MysqldProcessTemplate.Roles.FirstOrDefault(r => r.Role == role);
        if (role is not null && fromTemplate.Name is not null) return fromTemplate.Name;
        return roleName switch
        {
            "manager" => "manager",
            GeneralLogRole => "connection",
            _ => "mysqld",
        };
    }

    /// <summary>The image thread for one scenario thread; heap words it needs go to <paramref name="heap"/>.</summary>
    private static ImageThreadSpec Thread(FreeBsdVersion v, ScenarioThread t, List<HeapData> heap)
    {
        var m = t.Model;
        ImageThreadSpec spec;
        if (m.Chain is { } chain)
        {
            spec = new ImageThreadSpec(t.Lwp, chain) { SyscallArguments = ChainArguments(t, heap, out var frameData), FrameData = frameData, FaultBaseValue = m.Fault?.Value };
        }
        else if (m.Fault is not null)
        {
            throw new InvalidDataException($"LWP {t.Lwp}: \"fault\" needs a \"chain\" ending in the faulting function");
        }
        else if (m.Role == GeneralLogRole)
        {
            spec = new ImageThreadSpec(t.Lwp, GeneralLogChain(v));
            spec = WithOpen(v, spec, t, MysqlLogOpen);
        }
        else if (t.Role == MysqldThreadRole.LoadDataOpen)
        {
            spec = new ImageThreadSpec(t.Lwp, MysqldImage.Chain(v, MysqldThreadRole.LoadDataOpen));
            spec = WithOpen(v, spec, t, MysqldImage.MysqlLoad);
        }
        else if (t.Role == MysqldThreadRole.Manager)
        {
            // handle_manager → pthread_cond_wait: _umtx_op(&wake, UMTX_OP_WAIT_UINT_PRIVATE, 0, 0, NULL), as the template's cond waiters.
            heap.Add(new HeapData($"wake:{t.Lwp}", new byte[8]) { Alignment = 8 });
            spec = new ImageThreadSpec(t.Lwp, MysqldImage.Chain(v, MysqldThreadRole.Manager))
            {
                SyscallArguments = [ArgumentValue.AddressOf($"wake:{t.Lwp}"), 15, 0, 0, 0],
            };
        }
        else
        {
            spec = MysqldProcessTemplate.Thread(v, t.Role!.Value, t.Name ?? "mysqld", t.Lwp, new MysqldScenarioOptions { Version = v }, heap);
        }

        return spec with
        {
            Name = t.Name,
            PthreadName = t.IsMain ? null : t.Name,
            IsMainThread = t.IsMain,
            PthreadAddress = m.Pthread,
            StopState = ThreadStopState.InKernelSleep,
        };
    }

    private static ImageThreadSpec WithOpen(FreeBsdVersion v, ImageThreadSpec spec, ScenarioThread t, string frameFunction)
    {
        var open = t.Model.Open ?? throw new InvalidDataException($"LWP {t.Lwp}: role {t.Model.Role} needs \"open\"");
        string label = $"open-path:{t.Lwp}";
        int flags = OpenFlags.Parse(open.Flags);
        ulong mode = Convert.ToUInt64(open.Mode, 8);
        return spec with
        {
            FrameData = [FrameData.CString(label, frameFunction, open.Path, open.At)],
            // spec §7.4: 10.x libc calls open(path, flags, mode) = 5; 11+ openat(AT_FDCWD, path, flags, mode) = 499.
            SyscallArguments = v.OpenUsesOpenat
                ? [-100L, ArgumentValue.AddressOf(label), flags, mode]
                : [ArgumentValue.AddressOf(label), flags, mode],
        };
    }

    private static IReadOnlyList<ArgumentValue> ChainArguments(ScenarioThread t, List<HeapData> heap, out IReadOnlyList<FrameData> frameData)
    {
        var args = new List<ArgumentValue>();
        var frames = new List<FrameData>();
        var list = t.Model.Args ?? [];
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            string label = $"arg{i}:{t.Lwp}";
            if (a.ValueKind is JsonValueKind.Number or JsonValueKind.String)
            {
                args.Add(new ArgumentValue(ScenarioLoader.ParseAddress(a), null));
                continue;
            }
            if (a.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"LWP {t.Lwp}: argument {i} is {a.ValueKind}");
            string? frame = a.TryGetProperty("frame", out var f) ? f.GetString() : null;
            if (a.TryGetProperty("string", out var str))
            {
                ulong? at = a.TryGetProperty("at", out var atValue) ? ScenarioLoader.ParseAddress(atValue) : null;
                frames.Add(FrameData.CString(label, frame ?? throw new InvalidDataException($"LWP {t.Lwp}: argument {i} needs \"frame\""), str.GetString()!, at));
            }
            else if (a.TryGetProperty("frameWords", out var fw))
            {
                frames.Add(new FrameData(label, frame ?? throw new InvalidDataException($"LWP {t.Lwp}: argument {i} needs \"frame\""), Words(fw)));
            }
            else if (a.TryGetProperty("heapWords", out var hw))
            {
                heap.Add(new HeapData(label, Words(hw)) { Alignment = 8 });
            }
            else
            {
                throw new InvalidDataException($"LWP {t.Lwp}: argument {i} has none of string, frameWords, heapWords");
            }
            args.Add(ArgumentValue.AddressOf(label));
        }
        frameData = frames;
        return args;
    }

    private static byte[] Words(JsonElement array)
    {
        var words = array.EnumerateArray().Select(ScenarioLoader.ParseAddress).ToArray();
        var bytes = new byte[8 * words.Length];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * i), words[i]);
        return bytes;
    }

    private static HeapData Thd(int lwp, SessionModel session)
    {
        var bytes = new byte[MysqldProcessTemplate.ThdSize];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ThdTag);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MysqldProcessTemplate.ThdThreadIdOffset), (ulong)session.Id);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(MysqldProcessTemplate.ThdQueryLengthOffset), (ulong)(session.Statement?.Length ?? 0));
        var pointers = new List<(int, string)> { (MysqldProcessTemplate.ThdRealIdOffset, $"pthread:{lwp}") };
        if (session.Statement is not null) pointers.Add((MysqldProcessTemplate.ThdQueryOffset, $"statement:{lwp}"));
        return new HeapData($"thd:{lwp}", bytes) { Pointers = pointers };
    }

    /// <summary>mysqld with the faulting load of every thread's <c>fault</c> in the innermost function of its chain.</summary>
    private static ElfImageSpec WithFaultingLoads(ElfImageSpec spec, IReadOnlyList<ScenarioThread> threads)
    {
        foreach (var t in threads.Where(t => t.Model.Fault is not null))
        {
            var fault = t.Model.Fault!;
            string name = t.Model.Chain is [.., var last] ? last : throw new InvalidDataException($"LWP {t.Lwp}: \"fault\" needs a \"chain\"");
            var register = fault.Register switch
            {
                "rbx" => CalleeSavedRegister.Rbx,
                "rbp" => CalleeSavedRegister.Rbp,
                "r12" => CalleeSavedRegister.R12,
                "r13" => CalleeSavedRegister.R13,
                "r14" => CalleeSavedRegister.R14,
                "r15" => CalleeSavedRegister.R15,
                _ => throw new InvalidDataException($"LWP {t.Lwp}: fault.register \"{fault.Register}\" is not rbx, rbp, r12, r13, r14 or r15"),
            };
            var load = new FaultingLoad(register, fault.Displacement);
            if (!spec.Functions.Any(f => f.AllNames.Contains(name)))
                throw new InvalidDataException($"LWP {t.Lwp}: the faulting function {name} is not in mysqld");
            spec = spec with { Functions = [.. spec.Functions.Select(f => f.AllNames.Contains(name) ? f with { FaultingLoad = load } : f)] };
        }
        return spec;
    }

    /// <summary>The session chain of a general-log reopen, outermost first.</summary>
    public static IReadOnlyList<string> GeneralLogChain(FreeBsdVersion v) =>
    [
        "thread_start", "pfs_spawn_thread", MysqldImage.HandleOneConnection, MysqldImage.DoHandleOneConnection, MysqldImage.DoCommand,
        MysqldImage.DispatchCommand, MysqldImage.MysqlParse, MysqldImage.MysqlExecuteCommand, SqlSetVariables, SetVarUpdate, SysVarUpdate,
        FixLogState, ActivateLogHandler, MysqlLogOpen, MysqldImage.MyOpen, .. FreeBsdSystemImages.BlockingChain(v, "open"),
    ];

    /// <summary>The mysqld image plus the general-log path: mysql_execute_command also calls sql_set_variables.</summary>
    private static ElfImageSpec WithGeneralLog(ElfImageSpec spec)
    {
        static FunctionSpec NoFp(string name, int locals, string callee, bool exported = true) => new(name)
        {
            Frame = FrameStyle.NoFramePointer,
            LocalsSize = locals,
            SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14, CalleeSavedRegister.R15],
            Calls = [CallSite.To(callee)],
            Exported = exported,
        };

        var functions = spec.Functions
            .Select(f => f.Name == MysqldImage.MysqlExecuteCommand ? f with { Calls = [.. f.Calls, CallSite.To(SqlSetVariables)] } : f)
            .Concat(
            [
                NoFp(SqlSetVariables, 0x28, SetVarUpdate),
                NoFp(SetVarUpdate, 0x8, SysVarUpdate),
                NoFp(SysVarUpdate, 0x18, FixLogState),
                NoFp(FixLogState, 0x18, ActivateLogHandler, exported: false),
                NoFp(ActivateLogHandler, 0x28, MysqlLogOpen),
                // MYSQL_LOG::open formats the file name into a FN_REFLEN (512) buffer on its stack.
                NoFp(MysqlLogOpen, 0x238, MysqldImage.MyOpen),
            ]);
        return spec with { Functions = [.. functions] };
    }
}

/// <summary>FreeBSD open(2) flags (sys/fcntl.h).</summary>
public static class OpenFlags
{
    public const int ORdOnly = 0, OWrOnly = 1, ORdWr = 2, OAccMode = 3, ONonBlock = 4, OAppend = 8, OCreat = 0x200, OTrunc = 0x400, OExcl = 0x800,
        ONoFollow = 0x100, ODirectory = 0x20000, OCloExec = 0x100000;

    private static readonly Dictionary<string, int> Names = new()
    {
        ["O_RDONLY"] = ORdOnly, ["O_WRONLY"] = OWrOnly, ["O_RDWR"] = ORdWr, ["O_NONBLOCK"] = ONonBlock, ["O_APPEND"] = OAppend,
        ["O_CREAT"] = OCreat, ["O_TRUNC"] = OTrunc, ["O_EXCL"] = OExcl, ["O_NOFOLLOW"] = ONoFollow, ["O_DIRECTORY"] = ODirectory, ["O_CLOEXEC"] = OCloExec,
    };

    /// <summary>"O_WRONLY|O_APPEND|O_CREAT" → 0x209.</summary>
    public static int Parse(string text)
    {
        int flags = 0;
        foreach (var part in text.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            flags |= Names.TryGetValue(part, out int f) ? f : throw new InvalidDataException($"unknown open flag {part}");
        return flags;
    }
}
