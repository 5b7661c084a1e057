namespace CoreSleuth.Testing.Images;

/// <summary>
/// Specs of the FreeBSD base objects a threaded process needs — libc.so.7, libthr.so.3 and
/// /libexec/ld-elf.so.1 — for one release, with the symbol names, versions and call structure of
/// the real ones (checked against the 13.5 binaries of the corpus) and syscall numbers from spec §7.4.
/// Only the functions the thread chains need are present, plus a few common neighbours.
/// </summary>
public static class FreeBsdSystemImages
{
    public const string Private = "FBSDprivate_1.0";
    public const string Fbsd10 = "FBSD_1.0";

    /// <summary>A blocking call libc/libthr provide, by its public name.</summary>
    public sealed record BlockingCall(string Name, string SyscallName, int Number);

    /// <summary>The blocking calls covered, with their amd64 syscall numbers (spec §7.4, syscalls CSV).</summary>
    public static IReadOnlyList<BlockingCall> BlockingCalls(FreeBsdVersion version) =>
    [
        version.OpenUsesOpenat ? new("open", "openat", 499) : new("open", "open", 5),
        new("poll", "poll", 209),
        new("select", "select", 93),
        new("nanosleep", "nanosleep", 240),
        new("sigwait", "sigwait", 429),
        new("read", "read", 3),
        new("accept", "accept", 30),
        new("kevent", "kevent", version.KeventSyscall),
    ];

    /// <summary>Index of each interposed call in libc's <c>__libc_interposing</c> table
    /// (order of lib/libc/include/libc_private.h's INTERPOS_* enum, reconstructed).</summary>
    public static int InterposingIndex(string syscallName) => syscallName switch
    {
        "accept" => 0,
        "nanosleep" => 9,
        "openat" => 10,
        "poll" => 11,
        "read" => 13,
        "select" => 17,
        "sigwait" => 24,
        "kevent" => 36,
        _ => throw new ArgumentOutOfRangeException(nameof(syscallName)),
    };

    private const int InterposingSlots = 45;

    private static IReadOnlyList<string> LibcVersions(FreeBsdVersion v) => Versions(v.Major switch { <= 10 => 3, 11 => 4, 12 => 5, _ => 7 });

    private static IReadOnlyList<string> LibthrVersions(FreeBsdVersion v) => Versions(v.Major switch { <= 10 => 2, 11 => 4, 12 => 5, _ => 8 });

    private static List<string> Versions(int last) => [.. Enumerable.Range(0, last + 1).Select(i => $"FBSD_1.{i}"), Private];

    private static FunctionSpec Leaf(string name, string? version = Fbsd10) => new(name) { Version = version };

    /// <summary>
    /// Whether the release's assembly syscall stubs (libc's <c>__sys_X</c> from lib/libc/amd64/SYS.h, libthr's
    /// <c>_umtx_op_err</c> from arch/amd64/amd64/_umtx_op_err.S) are covered by an FDE. What the corpus shows
    /// (llvm-dwarfdump --eh-frame against readelf -W --dyn-syms):
    /// <list type="bullet">
    /// <item>../shared/corpus/binaries/freebsd13.5/libc.so.7: every stub has a 17-byte FDE with only DW_CFA_nop
    /// (CFA = rsp+8 from the CIE): __sys_open 0x138620..0x138631, __sys_openat 0x138640..0x138651,
    /// _poll/__sys_poll 0x138680..0x138691, __sys_nanosleep, __sys_read, __sys_select, __sys_sigwait,
    /// __sys_kevent, __sys__umtx_op 0x1375a0..0x1375b1 (4401 FDEs in all).</item>
    /// <item>../shared/corpus/binaries/freebsd13.5/libthr.so.3: the static _umtx_op_err (no symbol; found as
    /// <c>48 c7 c0 c6 01 00 00 49 89 ca 0f 05 c3</c> at 0xdd00) has the FDE 0xdd00..0xdd0d.</item>
    /// <item>../shared/corpus/binaries/freebsd12.0/libc.so.7: no stub has an FDE (__sys_open 0x1b24f0,
    /// __sys_openat 0x145820, _poll 0x1581e0, __sys_nanosleep 0x145840, __sys_read 0x1b7070,
    /// __sys__umtx_op 0xbbaf0 all fall between FDEs; 3659 FDEs for the C code).</item>
    /// <item>The freebsd10.0 files are hello programs: their C code (crt1's _start, main, finalizer) has FDEs,
    /// crtbegin's assembly helpers do not; no 10.x libc is in the corpus. FreeBSD 10's SYS.h has no CFI.</item>
    /// </list>
    /// So 13 and later have FDEs for the stubs; 12 and earlier (10.x, 11.x, 12.x: assumed like 12.0, no 11.x
    /// or 12.4 library was checked) have none.
    /// </summary>
    public static bool SyscallStubsHaveCfi(FreeBsdVersion version) => version.Major >= 13;

    /// <summary>
    /// libc.so.7: syscall stubs <c>__sys_X</c> (+ <c>_X</c>) ending in <c>jb .cerror</c>; on 11+ the public
    /// names are wrappers calling through <c>__libc_interposing</c> (libthr fills the slots), on 10.x
    /// they are weak aliases of the stubs (libthr interposes them by symbol lookup).
    /// </summary>
    public static ElfImageSpec Libc(FreeBsdVersion version)
    {
        var functions = new List<FunctionSpec>
        {
            new(".cerror") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx], Calls = [CallSite.To("__error")] },
            Leaf("__error"),
        };

        foreach (var call in BlockingCalls(version))
        {
            var stub = "__sys_" + call.SyscallName;
            var aliases = new List<SymbolAlias> { new("_" + call.SyscallName, SymbolBinding.Weak, Private) };
            if (!version.OpenUsesOpenat)
            {
                aliases.Add(new SymbolAlias(call.Name, SymbolBinding.Weak, Fbsd10));
            }

            functions.Add(FunctionSpec.SyscallStub(stub, call.Number, ".cerror", [.. aliases]) with { Version = Private });
            if (version.OpenUsesOpenat)
            {
                // lib/libc/sys/<call>.c: return (INTERPOS_SYS(<call>, …)); `open` is variadic, hence its larger frame
                // (the real 13.5 `open`: push rbp; mov rbp,rsp; push rbx; sub rsp,0xd8).
                functions.Add(new FunctionSpec(call.Name)
                {
                    Binding = SymbolBinding.Weak,
                    Version = Fbsd10,
                    SavedRegisters = [CalleeSavedRegister.Rbx],
                    LocalsSize = call.Name == "open" ? 0xd8 : 0x8,
                    Calls = [CallSite.ThroughSlot("__libc_interposing", InterposingIndex(call.SyscallName))],
                });
            }
        }

        if (version.OpenUsesOpenat)
        {
            // libc keeps the old open(2) stub too (the real 13.5 libc exports __sys_open).
            functions.Add(FunctionSpec.SyscallStub("__sys_open", 5, ".cerror", new SymbolAlias("_open", SymbolBinding.Weak, Private)) with { Version = Private });
        }

        functions.Add(FunctionSpec.SyscallStub("__sys__umtx_op", 454, ".cerror", new SymbolAlias("_umtx_op", SymbolBinding.Weak, Fbsd10)) with { Version = Private });
        functions.Add(FunctionSpec.SyscallStub("__sys_sigtimedwait", 345, ".cerror", new SymbolAlias("_sigtimedwait", SymbolBinding.Weak, Private)) with { Version = Private });
        functions.Add(FunctionSpec.SyscallStub("__sys_thr_kill", 433, ".cerror", new SymbolAlias("thr_kill", SymbolBinding.Weak, Fbsd10)) with { Version = Private });
        functions.Add(FunctionSpec.SyscallStub("__sys_write", 4, ".cerror", new SymbolAlias("_write", SymbolBinding.Weak, Private)) with { Version = Private });
        foreach (var name in new[] { "malloc", "calloc", "free", "memcpy", "memset", "strlen", "abort", "exit" })
        {
            functions.Add(Leaf(name));
        }

        return new ElfImageSpec(ElfImageKind.SharedLibrary, "libc.so.7")
        {
            SoName = "libc.so.7",
            OsRelDate = version.OsRelDate,
            SyscallStubFdes = SyscallStubsHaveCfi(version),
            VersionDefinitions = LibcVersions(version),
            Functions = functions,
            DataObjects =
            [
                new DataObjectSpec("__libc_interposing", 8 * InterposingSlots) { Version = Private },
                new DataObjectSpec("environ", 8) { Version = Fbsd10 },
                new DataObjectSpec("__progname", 8) { Version = Fbsd10 },
                new DataObjectSpec("__stack_chk_guard", 64) { Version = Fbsd10 },
                DataObjectSpec.Int32("errno", 0, Fbsd10),
                DataObjectSpec.Int32("__isthreaded", 0, Fbsd10),
            ],
        };
    }

    /// <summary>The libthr functions a cond-var wait goes through, innermost last (thr_cond.c, thr_umtx.c).</summary>
    public static IReadOnlyList<string> CondWaitChain(bool timed) =>
        [timed ? "__pthread_cond_timedwait" : "__pthread_cond_wait", "cond_wait_common", "cond_wait_user", "_thr_sleep", "_thr_umtx_timedwait_uint", "_umtx_op_err"];

    /// <summary>The libthr functions a contended pthread_mutex_lock goes through (thr_mutex.c).</summary>
    public static IReadOnlyList<string> MutexLockChain => ["__pthread_mutex_lock", "mutex_lock_sleep", "__thr_umutex_lock", "_umtx_op_err"];

    /// <summary>
    /// The chain from a call of the public function <paramref name="call"/> down to the syscall stub,
    /// as it appears on a stack (without the caller). 11+: libc wrapper → libthr's interposer
    /// (static __thr_X) → libc __sys_X; 10.x: libthr's exported X (__X) → libc __sys_X.
    /// </summary>
    public static IReadOnlyList<string> BlockingChain(FreeBsdVersion version, string call)
    {
        var c = BlockingCalls(version).SingleOrDefault(b => b.Name == call) ?? throw new ArgumentOutOfRangeException(nameof(call));
        return version.OpenUsesOpenat
            ? [$"libc.so.7!{c.Name}", $"__thr_{c.SyscallName}", $"__sys_{c.SyscallName}"]
            : [$"libthr.so.3!{c.Name}", $"__sys_{c.SyscallName}"];
    }

    /// <summary>
    /// libthr.so.3 with thread_start, the syscall interposers, the cond-var and mutex sleep paths,
    /// and the thread_db debugger symbols of thr_symbols.c (names, types, sizes and version as in the
    /// real 13.5 libthr.so.3). <paramref name="hideDebuggerSymbols"/> keeps the data but drops the
    /// names from .dynsym (for tests of symbol-free pthread mapping, spec §9.4).
    /// </summary>
    public static ElfImageSpec Libthr(FreeBsdVersion version, bool hideDebuggerSymbols = false)
    {
        var layout = version.Libthr;
        var functions = new List<FunctionSpec>
        {
            // thr_create.c: thread_start(curthread) … _pthread_exit(curthread->start_routine(curthread->arg)).
            new("thread_start")
            {
                Exported = false,
                SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14],
                LocalsSize = 0x18,
                Calls = [CallSite.ThroughThreadPointer(layout.StartRoutine), CallSite.To("_pthread_exit")],
            },
            new("_pthread_exit") { Binding = SymbolBinding.Weak, Version = Private, Aliases = [new("pthread_exit", SymbolBinding.Weak, Fbsd10)] },
            new("_thr_cancel_enter") { Exported = false },
            new("_thr_cancel_leave") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx] },
        };

        foreach (var call in BlockingCalls(version))
        {
            var sysName = "__sys_" + call.SyscallName;
            var body = new List<CallSite> { CallSite.To("_thr_cancel_enter"), CallSite.To(sysName), CallSite.To("_thr_cancel_leave") };
            var saved = new List<CalleeSavedRegister> { CalleeSavedRegister.Rbx, CalleeSavedRegister.R12, CalleeSavedRegister.R14, CalleeSavedRegister.R15 };
            if (version.OpenUsesOpenat)
            {
                // thr_syscalls.c: static __thr_X(), installed in libc's __libc_interposing table.
                functions.Add(new FunctionSpec("__thr_" + call.SyscallName) { Exported = false, SavedRegisters = saved, LocalsSize = 0x18, Calls = body });
            }
            else
            {
                // 10.x: libthr exports the public name (weak) and __X, interposing libc's stubs.
                functions.Add(new FunctionSpec("__" + call.Name)
                {
                    Version = Private,
                    Aliases = [new(call.Name, SymbolBinding.Weak, Fbsd10)],
                    SavedRegisters = saved,
                    LocalsSize = 0x18,
                    Calls = body,
                });
            }
        }

        var condWait = CondWaitChain(false);
        var condTimedWait = CondWaitChain(true);
        functions.AddRange(
        [
            new(condWait[0])
            {
                Version = Private,
                Aliases = [new("pthread_cond_wait", SymbolBinding.Weak, Fbsd10), new("_pthread_cond_wait", SymbolBinding.Weak, Private)],
                Calls = [CallSite.To("cond_wait_common")],
            },
            new(condTimedWait[0])
            {
                Version = Private,
                Aliases = [new("pthread_cond_timedwait", SymbolBinding.Weak, Fbsd10), new("_pthread_cond_timedwait", SymbolBinding.Weak, Private)],
                Calls = [CallSite.To("cond_wait_common")],
            },
            new("cond_wait_common") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R12, CalleeSavedRegister.R13, CalleeSavedRegister.R14, CalleeSavedRegister.R15], LocalsSize = 0x18, Calls = [CallSite.To("cond_wait_user")] },
            new("cond_wait_user") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R12, CalleeSavedRegister.R13, CalleeSavedRegister.R14, CalleeSavedRegister.R15], LocalsSize = 0x28, Calls = [CallSite.To("_thr_sleep")] },
            new("_thr_sleep") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14], LocalsSize = 0x20, Calls = [CallSite.To("_thr_umtx_timedwait_uint")] },
            new("_thr_umtx_timedwait_uint") { Exported = false, LocalsSize = 0x28, Calls = [CallSite.To("_umtx_op_err")] },
            new(MutexLockChain[0])
            {
                Version = Private,
                Aliases = [new("pthread_mutex_lock", SymbolBinding.Weak, Fbsd10), new("_pthread_mutex_lock", SymbolBinding.Weak, Private)],
                SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14],
                Calls = [CallSite.To("mutex_lock_sleep")],
            },
            new("mutex_lock_sleep") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R12, CalleeSavedRegister.R13, CalleeSavedRegister.R14, CalleeSavedRegister.R15], LocalsSize = 0x18, Calls = [CallSite.To("__thr_umutex_lock")] },
            new("__thr_umutex_lock") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx], LocalsSize = 0x8, Calls = [CallSite.To("_umtx_op_err")] },
            // arch/amd64/amd64/_umtx_op_err.S: like a libc stub, but returns the error in rax itself.
            FunctionSpec.SyscallStub("_umtx_op_err", 454, null) with { Exported = false },
            new("_pthread_create") { Version = Private, Aliases = [new("pthread_create", SymbolBinding.Weak, Fbsd10)], SavedRegisters = [CalleeSavedRegister.Rbx], Calls = [CallSite.To("malloc")] },
            new("_pthread_self") { Binding = SymbolBinding.Weak, Version = Private, Aliases = [new("pthread_self", SymbolBinding.Weak, Fbsd10)] },
            new("_pthread_join") { Binding = SymbolBinding.Weak, Version = Private, Aliases = [new("pthread_join", SymbolBinding.Weak, Fbsd10)] },
            // thr_event.c: empty functions the debugger puts breakpoints on (6 bytes in the real library).
            new("_thread_bp_create") { Version = Private, Exported = !hideDebuggerSymbols },
            new("_thread_bp_death") { Version = Private, Exported = !hideDebuggerSymbols },
        ]);

        DataObjectSpec Debugger(DataObjectSpec d) => d with { Version = Private, Exported = !hideDebuggerSymbols };

        var data = new List<DataObjectSpec>
        {
            Debugger(new DataObjectSpec("_thread_list", 16)),
            Debugger(new DataObjectSpec("_thread_active_threads", 4) { InitialValue = BitConverter.GetBytes(1), Alignment = 4 }),
            Debugger(new DataObjectSpec("_thread_keytable", 16 * layout.MaxKeys) { Uninitialized = true, Alignment = 64 }),
            Debugger(new DataObjectSpec("_thread_last_event", 8) { Uninitialized = true }),
            Debugger(DataObjectSpec.Int32("_thread_event_mask", 0)),
            Debugger(DataObjectSpec.Int32("_libthr_debug", 0)),
        };
        data.AddRange(layout.DebuggerOffsets.Select(o => Debugger(DataObjectSpec.Int32(o.Name, o.Value))));

        return new ElfImageSpec(ElfImageKind.SharedLibrary, "libthr.so.3")
        {
            SoName = "libthr.so.3",
            Needed = ["libc.so.7"],
            OsRelDate = version.OsRelDate,
            SyscallStubFdes = SyscallStubsHaveCfi(version),
            VersionDefinitions = LibthrVersions(version),
            Functions = functions,
            DataObjects = data,
        };
    }

    /// <summary>/libexec/ld-elf.so.1 with r_debug/r_debug_state (found through the executable's DT_DEBUG)
    /// and the _rtld_* entry points libthr uses.</summary>
    public static ElfImageSpec Rtld(FreeBsdVersion version) => new(ElfImageKind.SharedLibrary, "ld-elf.so.1")
    {
        SoName = "ld-elf.so.1",
        OsRelDate = version.OsRelDate,
        VersionDefinitions = [Fbsd10, Private],
        Functions =
        [
            new(".rtld_start") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx], Calls = [CallSite.To("_rtld")] },
            new("_rtld") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R12, CalleeSavedRegister.R13, CalleeSavedRegister.R14, CalleeSavedRegister.R15], LocalsSize = 0x98 },
            new("_rtld_bind_start") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx], Calls = [CallSite.To("_rtld_bind")] },
            new("_rtld_bind") { Exported = false, SavedRegisters = [CalleeSavedRegister.Rbx, CalleeSavedRegister.R14], LocalsSize = 0x28 },
            new("r_debug_state") { Version = Private },
            new("dlopen") { Version = Fbsd10, SavedRegisters = [CalleeSavedRegister.Rbx] },
            new("dlsym") { Version = Fbsd10, SavedRegisters = [CalleeSavedRegister.Rbx] },
            new("dlclose") { Version = Fbsd10 },
            new("_rtld_allocate_tls") { Version = Private, SavedRegisters = [CalleeSavedRegister.Rbx] },
            new("_rtld_free_tls") { Version = Private },
            new("_rtld_thread_init") { Version = Private },
            new("__tls_get_addr") { Version = Fbsd10 },
        ],
        DataObjects =
        [
            // struct r_debug { int r_version; struct link_map *r_map; void (*r_brk)(); int r_state; void *r_ldbase; }
            new DataObjectSpec("r_debug", 40) { Version = Private },
        ],
    };

    /// <summary>A small library that only has to be mapped (libm, libc++, libcxxrt, libgcc_s …).</summary>
    public static ElfImageSpec FillerLibrary(FreeBsdVersion version, string soName, IReadOnlyList<string> functions, IReadOnlyList<string>? needed = null) =>
        new(ElfImageKind.SharedLibrary, soName)
        {
            SoName = soName,
            Needed = needed ?? ["libc.so.7"],
            OsRelDate = version.OsRelDate,
            Functions = [.. functions.Select(f => new FunctionSpec(f) { SavedRegisters = [CalleeSavedRegister.Rbx], LocalsSize = 8 })],
        };
}
