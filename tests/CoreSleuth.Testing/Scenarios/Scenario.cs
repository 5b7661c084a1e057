using System.Text.Json;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// A sample process described as data (samples/scenarios/NAME.json, format in samples/README.md):
/// a mysqld built on <see cref="Images.MysqldProcessTemplate"/>'s thread roles, the producer that
/// captured it, and what a DBA would have next to the core (SHOW ENGINE INNODB STATUS). Member
/// names are the JSON names in camelCase.
/// </summary>
public sealed record Scenario
{
    /// <summary>A scenario file (relative to this one) whose members this one overrides: objects merge, lists and values replace.</summary>
    public string? Base { get; init; }

    public string? Description { get; init; }

    /// <summary>FreeBSD release "MAJOR.MINOR" (libthr layout, syscall numbers, stack top).</summary>
    public string Freebsd { get; init; } = "13.5";

    /// <summary>__FreeBSD_version when it is not MAJOR·100000 + MINOR·1000 (14.0 is 1400097).</summary>
    public int? Osreldate { get; init; }

    /// <summary>gcore, kernel or gdb (spec preamble, §7.3).</summary>
    public string Producer { get; init; } = "gcore";

    public ProcessModel Process { get; init; } = new();

    /// <summary>False: no thread was named (MySQL 5.6), so td_name is the command name for all.</summary>
    public bool ThreadNames { get; init; } = true;

    /// <summary>Build mysqld as clang -O2 does, without frame pointers, so that only CFI can unwind it.</summary>
    public bool OmitFramePointers { get; init; }

    /// <summary>Live threads in creation order, the main thread first.</summary>
    public IReadOnlyList<ThreadModel> Threads { get; init; } = [];

    /// <summary>Exited threads whose struct pthread is still in memory with tid 1 (TID_TERMINATED).</summary>
    public IReadOnlyList<ExitedThreadModel> ExitedThreads { get; init; } = [];

    /// <summary>Extra strings placed in the heap (or at a fixed heap address).</summary>
    public IReadOnlyList<StringModel> Strings { get; init; } = [];

    /// <summary>NT_PROCSTAT_FILES, in order (spec §5).</summary>
    public IReadOnlyList<OpenFileModel> OpenFiles { get; init; } = [];

    /// <summary>The InnoDB status text written beside the core (NAME.innodb.txt), from the threads' sessions.</summary>
    public InnodbModel? InnodbStatus { get; init; }

    /// <summary>SHOW FULL PROCESSLIST as the DBA captured it beside the core (NAME.processlist.txt), from the threads' sessions.</summary>
    public ProcesslistModel? Processlist { get; init; }

    /// <summary>libthr mutexes (struct pthread_mutex) in the heap, each held by a thread (samples/README.md).</summary>
    public IReadOnlyList<MutexModel> Mutexes { get; init; } = [];

    /// <summary>kernel producer: the thread that took the fatal signal and which signal.</summary>
    public SignalModel? Signal { get; init; }

    /// <summary>gcore/gdb: the LWP that received the attach SIGSTOP (default: the main thread, spec §7.3).</summary>
    public int? StopReceiver { get; init; }

    /// <summary>Drop libthr's thread_db symbols from its .dynsym (symbol-free pthread mapping, spec §9.4).</summary>
    public bool HideLibthrSymbols { get; init; }

    /// <summary>"core": read-only text dumped (self-contained); "sysroot": text NOCOREDUMP as in real cores (spec §1.3), binaries written to samples/sysroot-NAME/.</summary>
    public string Text { get; init; } = "core";

    public LayoutModel Layout { get; init; } = new();

    /// <summary>Per-image build options, keyed by the image's file name ("mysqld", "libc.so.7", "libthr.so.3", "ld-elf.so.1", …).</summary>
    public IReadOnlyDictionary<string, ImageModel> Images { get; init; } = new Dictionary<string, ImageModel>();

    /// <summary>gdb producer: note name of PRPSINFO/PRSTATUS/FPREGSET ("CORE" or "FreeBSD", spec doubt #2).</summary>
    public string? GdbNoteName { get; init; }
}

public sealed record ProcessModel
{
    public int Pid { get; init; } = 1234;
    public int Ppid { get; init; } = 1;
    public int? Pgid { get; init; }
    public int? Sid { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public IReadOnlyList<uint>? Groups { get; init; }
    public string Login { get; init; } = "root";

    /// <summary>argv; argv[0] is the executable path (the mysqld image lives at /usr/local/libexec/mysqld).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = ["/usr/local/libexec/mysqld"];

    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>Process start time, UTC, ISO 8601.</summary>
    public DateTimeOffset Start { get; init; } = new(2015, 3, 2, 9, 0, 0, TimeSpan.Zero);

    /// <summary>pid of gcore/gdb (ki_tracer) or of the process that sent the fatal signal.</summary>
    public int Tracer { get; init; }
}

/// <summary>One thread, or several with <see cref="Lwp"/> "FIRST-LAST".</summary>
public sealed record ThreadModel
{
    /// <summary>An LWP id, or "FIRST-LAST" for consecutive threads of the same role.</summary>
    public JsonElement Lwp { get; init; }

    /// <summary>A thread role (samples/README.md); or null with <see cref="Chain"/>.</summary>
    public string? Role { get; init; }

    /// <summary>td_name (NT_THRMISC, ki_tdname) and the pthread name; default from the role.</summary>
    public string? Name { get; init; }

    /// <summary>Fixed address of its struct pthread (= pthread_t); default: allocated.</summary>
    public ulong? Pthread { get; init; }

    /// <summary>Call chain, outermost first, down to a syscall stub (instead of a role).</summary>
    public IReadOnlyList<string>? Chain { get; init; }

    /// <summary>Syscall arguments for <see cref="Chain"/>: numbers, "0x…", {"string": …, "frame": …, "at": …}, {"frameWords": […], "frame": …}, {"heapWords": […]}.</summary>
    public IReadOnlyList<JsonElement>? Args { get; init; }

    /// <summary>The blocking open of a load-data or general-log thread.</summary>
    public OpenModel? Open { get; init; }

    /// <summary>Wait message while asleep; default from the syscall (spec §8).</summary>
    public string? Wait { get; init; }

    /// <summary>False: an uninterruptible sleep (no TDF_SINTR), kept by the kernel's thread_single (spec §7.3).</summary>
    public bool Interruptible { get; init; } = true;

    /// <summary>Overrides what the producer left: "asleep", "restart" (rip at the syscall), "eintr", or "returned" (the call completed with 0: a thread not asleep, e.g. in thr_kill).</summary>
    public string? Stop { get; init; }

    /// <summary>ki_slptime in seconds (time since the thread last went to sleep); default 512 asleep, 0 otherwise.</summary>
    public uint? Slptime { get; init; }

    /// <summary>The thread stopped on a faulting load in the innermost function of its <see cref="Chain"/> (not in a system call).</summary>
    public FaultModel? Fault { get; init; }

    /// <summary>The MySQL session this thread runs (THD in the heap, InnoDB status).</summary>
    public SessionModel? Session { get; init; }
}

/// <summary>A page fault on <c>mov rax, qword ptr [Register+Displacement]</c> with Register = Value: the fault address is Value + Displacement.</summary>
public sealed record FaultModel
{
    /// <summary>The base register: rbx, rbp, r12, r13, r14 or r15 (one the function keeps a pointer in).</summary>
    public string Register { get; init; } = "rbx";
    public ulong Value { get; init; }
    public int Displacement { get; init; }
}

public sealed record OpenModel
{
    public string Path { get; init; } = "";

    /// <summary>Fixed address of the path string in the caller's stack frame.</summary>
    public ulong? At { get; init; }

    /// <summary>open(2) flags, e.g. "O_RDONLY|O_CLOEXEC" or "O_WRONLY|O_APPEND|O_CREAT".</summary>
    public string Flags { get; init; } = "O_RDONLY";

    /// <summary>The mode argument (octal as a string, "0660").</summary>
    public string Mode { get; init; } = "0660";
}

public sealed record SessionModel
{
    /// <summary>MySQL thread id (THD::thread_id).</summary>
    public long Id { get; init; }
    public long QueryId { get; init; }
    public string Host { get; init; } = "localhost";
    public string User { get; init; } = "root";
    public string? State { get; init; }
    public string? Statement { get; init; }

    /// <summary>InnoDB transaction id; 0 with "not started".</summary>
    public long TrxId { get; init; }

    /// <summary>"ACTIVE 512 sec inserting", "not started", …</summary>
    public string Trx { get; init; } = "not started";

    /// <summary>Lines printed between the transaction line and the MySQL thread line.</summary>
    public IReadOnlyList<string> TrxLines { get; init; } = [];

    /// <summary>The processlist's Command column ("Query", "Sleep", …).</summary>
    public string Command { get; init; } = "Query";

    /// <summary>The processlist's Time column: seconds in the current state.</summary>
    public long Time { get; init; }

    /// <summary>The processlist's db column (null: NULL).</summary>
    public string? Db { get; init; }
}

public sealed record ProcesslistModel
{
    /// <summary>"batch" (mysql -e, tab-separated) or "table" (an interactive mysql&gt; session).</summary>
    public string Format { get; init; } = "batch";
}

/// <summary>A struct pthread_mutex (lib/libthr/thread/thr_private.h) held by a thread.</summary>
public sealed record MutexModel
{
    /// <summary>A name for the record ("M1"), not stored in memory.</summary>
    public string Label { get; init; } = "";

    /// <summary>Fixed address (what pthread_mutex_t points to), in a heap region.</summary>
    public ulong At { get; init; }

    /// <summary>LWP of the owning thread (it needs a fixed "pthread").</summary>
    public int Owner { get; init; }

    /// <summary>"errorcheck", "recursive", "normal" or "adaptive" (enum pthread_mutextype).</summary>
    public string Type { get; init; } = "adaptive";
}

public sealed record ExitedThreadModel
{
    public int FormerLwp { get; init; }
    public ulong? Pthread { get; init; }
}

public sealed record StringModel
{
    public string Label { get; init; } = "";
    public string Text { get; init; } = "";
    public ulong? At { get; init; }
}

public sealed record OpenFileModel
{
    /// <summary>A descriptor number, or "text", "cwd", "root", "ctty".</summary>
    public JsonElement Fd { get; init; }

    /// <summary>file, dir, chr, fifo, socket, pipe, kqueue.</summary>
    public string Type { get; init; } = "file";

    public string Path { get; init; } = "";

    /// <summary>r, w, rw, wa (write+append), rwa.</summary>
    public string Mode { get; init; } = "r";

    public long Offset { get; init; }

    /// <summary>Sockets: tcp4, tcp6, unix.</summary>
    public string? Socket { get; init; }

    /// <summary>Sockets: "ADDR:PORT" or a unix path.</summary>
    public string? Local { get; init; }
    public string? Peer { get; init; }
}

public sealed record InnodbModel
{
    /// <summary>"5.6" (hex handles, spec §10) or "8.0" (decimal).</summary>
    public string Format { get; init; } = "5.6";
    public long TrxIdCounter { get; init; } = 1;

    /// <summary>The SEMAPHORES section (5.7 format) printed before TRANSACTIONS; null = none.</summary>
    public SemaphoresModel? Semaphores { get; init; }
}

/// <summary>SEMAPHORES of SHOW ENGINE INNODB STATUS: one rw-latch, its writer and the threads waiting for it (sync0arr.cc).</summary>
public sealed record SemaphoresModel
{
    public long ReservationCount { get; init; }
    public long SignalCount { get; init; }
    public RwLatchModel Latch { get; init; } = new();
    public IReadOnlyList<SemaphoreWaiterModel> Waiters { get; init; } = [];
    /// <summary>[spins, rounds, OS waits] of RW-shared, RW-excl and RW-sx (sync_print_wait_info).</summary>
    public IReadOnlyList<long> RwShared { get; init; } = [0, 0, 0];
    public IReadOnlyList<long> RwExcl { get; init; } = [0, 0, 0];
    public IReadOnlyList<long> RwSx { get; init; } = [0, 0, 0];
}

public sealed record RwLatchModel
{
    public ulong Address { get; init; }
    public string CreatedFile { get; init; } = "";
    public int CreatedLine { get; init; }
    /// <summary>The LWP whose pthread_t is rw_lock_t::writer_thread; null = not write-locked.</summary>
    public int? WriterLwp { get; init; }
    /// <summary>"exclusive", "SX" or "wait exclusive".</summary>
    public string WriterMode { get; init; } = "exclusive";
    public long Readers { get; init; }
    public long LockWord { get; init; }
    public string LastReadFile { get; init; } = "";
    public int LastReadLine { get; init; }
    /// <summary>Printed as stored (5.7 does not shorten it to the base name).</summary>
    public string LastWriteFile { get; init; } = "";
    public int LastWriteLine { get; init; }
}

public sealed record SemaphoreWaiterModel
{
    public int Lwp { get; init; }
    public string File { get; init; } = "";
    public int Line { get; init; }
    public double Seconds { get; init; }
    /// <summary>"X", "X-wait", "SX" or "S".</summary>
    public string Request { get; init; } = "X";
}

public sealed record SignalModel
{
    public int Lwp { get; init; }
    public int Signo { get; init; } = 6;
    /// <summary>si_code: SI_USER (0x10001) for kill(2), SI_LWP (0x10007) for thr_kill(2), SEGV_MAPERR (1) …</summary>
    public int Code { get; init; } = 0x10001;
    public int SenderPid { get; init; }
    /// <summary>si_uid (the sender's real uid for kill/thr_kill).</summary>
    public uint SenderUid { get; init; }
    /// <summary>si_addr: the faulting address; default: the signalled thread's fault address (or 0).</summary>
    public ulong? Address { get; init; }
    /// <summary>si_trapno; default T_PAGEFLT (12) for a thread stopped on a fault, else 0.</summary>
    public int? Trapno { get; init; }
}

public sealed record LayoutModel
{
    public ulong StackLimit { get; init; } = 0x2000000;
    public ulong ThreadStack { get; init; } = 0x40000;
    public ulong ThreadStackResident { get; init; } = 0x8000;
    public ulong MainStack { get; init; } = 0x8000;
    public ulong Heap { get; init; } = 0x40000;
    public ulong RtldHeap { get; init; } = 0x10000;
    public IReadOnlyList<HeapRegionModel> HeapRegions { get; init; } = [];
}

/// <summary>How one ELF image is built (its unwind information and code shape).</summary>
public sealed record ImageModel
{
    /// <summary>Build every frame-pointer function without one (clang -O2 -fomit-frame-pointer); null = the default (false; for mysqld the top-level omitFramePointers).</summary>
    public bool? OmitFramePointers { get; init; }

    /// <summary>False: no PT_GNU_EH_FRAME and no .eh_frame_hdr; .eh_frame only through the section headers.</summary>
    public bool EhFrameHeader { get; init; } = true;

    /// <summary>Whether the syscall stubs have FDEs; null = as the release's real libraries (13+: yes, ≤ 12: no).</summary>
    public bool? SyscallStubFdes { get; init; }

    /// <summary>Functions (by name or alias) emitted with code and symbol but no FDE.</summary>
    public IReadOnlyList<string> WithoutFde { get; init; } = [];
}

public sealed record HeapRegionModel
{
    public ulong Start { get; init; }
    public ulong Size { get; init; }
}
