using CoreSleuth.FreeBsd;

namespace CoreSleuth.Analysis.Crash;

/// <summary>A decoded number: its C name and what it means; both null when the number is not known.</summary>
public sealed record CodeName(string? Name, string? Meaning);

/// <summary>
/// Names of <c>si_code</c> values (sys/sys/signal.h) and of amd64 trap numbers (sys/x86/include/trap.h).
/// Unknown values are named by nobody: the callers show the number alone.
/// </summary>
public static class SignalCodes
{
    // sys/sys/signal.h (freebsd-src 039ea811): codes every signal may carry.
    public const int SiNoinfo = 0, SiUser = 0x10001, SiQueue = 0x10002, SiTimer = 0x10003, SiAsyncio = 0x10004,
        SiMesgq = 0x10005, SiKernel = 0x10006, SiLwp = 0x10007;

    private static readonly Dictionary<int, (string, string)> Generic = new()
    {
        [SiNoinfo] = ("SI_NOINFO", "no signal information besides the number"),
        [SiUser] = ("SI_USER", "sent by kill()"),
        [SiQueue] = ("SI_QUEUE", "sent by sigqueue()"),
        [SiTimer] = ("SI_TIMER", "a timer set by timer_settime() expired"),
        [SiAsyncio] = ("SI_ASYNCIO", "an asynchronous I/O request completed"),
        [SiMesgq] = ("SI_MESGQ", "a message arrived on an empty message queue"),
        [SiKernel] = ("SI_KERNEL", "sent by the kernel"),
        // Newer signal.h: thr_kill(2) and pthread_kill(3), which abort() and raise() use.
        [SiLwp] = ("SI_LWP", "sent by thr_kill() to one thread (pthread_kill, raise, abort)"),
    };

    // sys/sys/signal.h, "si_code": codes for one signal each (and the newer SEGV_PKUERR, BUS_OOMERR, TRAP_CAP, FPE_FLTIDO).
    private static readonly Dictionary<(int Signal, int Code), (string, string)> PerSignal = new()
    {
        [(Signals.Sigill, 1)] = ("ILL_ILLOPC", "illegal opcode"),
        [(Signals.Sigill, 2)] = ("ILL_ILLOPN", "illegal operand"),
        [(Signals.Sigill, 3)] = ("ILL_ILLADR", "illegal addressing mode"),
        [(Signals.Sigill, 4)] = ("ILL_ILLTRP", "illegal trap"),
        [(Signals.Sigill, 5)] = ("ILL_PRVOPC", "privileged opcode"),
        [(Signals.Sigill, 6)] = ("ILL_PRVREG", "privileged register"),
        [(Signals.Sigill, 7)] = ("ILL_COPROC", "coprocessor error"),
        [(Signals.Sigill, 8)] = ("ILL_BADSTK", "internal stack error"),
        [(Signals.Sigbus, 1)] = ("BUS_ADRALN", "invalid address alignment"),
        [(Signals.Sigbus, 2)] = ("BUS_ADRERR", "nonexistent physical address"),
        [(Signals.Sigbus, 3)] = ("BUS_OBJERR", "object-specific hardware error"),
        [(Signals.Sigbus, 100)] = ("BUS_OOMERR", "no memory to page in"),
        [(Signals.Sigsegv, 1)] = ("SEGV_MAPERR", "address not mapped to object"),
        [(Signals.Sigsegv, 2)] = ("SEGV_ACCERR", "invalid permissions for mapped object"),
        [(Signals.Sigsegv, 100)] = ("SEGV_PKUERR", "protection key violation"),
        [(Signals.Sigfpe, 1)] = ("FPE_INTOVF", "integer overflow"),
        [(Signals.Sigfpe, 2)] = ("FPE_INTDIV", "integer divide by zero"),
        [(Signals.Sigfpe, 3)] = ("FPE_FLTDIV", "floating point divide by zero"),
        [(Signals.Sigfpe, 4)] = ("FPE_FLTOVF", "floating point overflow"),
        [(Signals.Sigfpe, 5)] = ("FPE_FLTUND", "floating point underflow"),
        [(Signals.Sigfpe, 6)] = ("FPE_FLTRES", "floating point inexact result"),
        [(Signals.Sigfpe, 7)] = ("FPE_FLTINV", "invalid floating point operation"),
        [(Signals.Sigfpe, 8)] = ("FPE_FLTSUB", "subscript out of range"),
        [(Signals.Sigfpe, 9)] = ("FPE_FLTIDO", "input denormal operation"),
        [(Signals.Sigtrap, 1)] = ("TRAP_BRKPT", "process breakpoint"),
        [(Signals.Sigtrap, 2)] = ("TRAP_TRACE", "process trace trap"),
        [(Signals.Sigtrap, 3)] = ("TRAP_DTRACE", "DTrace induced trap"),
        [(Signals.Sigtrap, 4)] = ("TRAP_CAP", "capability violation"),
    };

    /// <summary>T_PAGEFLT: the only trap whose si_addr is the data address (cr2); the others report rip.</summary>
    public const int PageFault = 12;

    // sys/x86/include/trap.h (freebsd-src 378534f1).
    private static readonly Dictionary<int, (string, string)> Traps = new()
    {
        [1] = ("T_PRIVINFLT", "privileged instruction"),
        [3] = ("T_BPTFLT", "breakpoint instruction"),
        [6] = ("T_ARITHTRAP", "arithmetic trap"),
        [9] = ("T_PROTFLT", "general protection fault"),
        [10] = ("T_TRCTRAP", "debug exception"),
        [12] = ("T_PAGEFLT", "page fault"),
        [14] = ("T_ALIGNFLT", "alignment fault"),
        [18] = ("T_DIVIDE", "integer divide fault"),
        [19] = ("T_NMI", "non-maskable trap"),
        [20] = ("T_OFLOW", "overflow trap"),
        [21] = ("T_BOUND", "bound instruction fault"),
        [22] = ("T_DNA", "device not available fault"),
        [23] = ("T_DOUBLEFLT", "double fault"),
        [24] = ("T_FPOPFLT", "FPU operand fetch fault"),
        [25] = ("T_TSSFLT", "invalid TSS fault"),
        [26] = ("T_SEGNPFLT", "segment not present fault"),
        [27] = ("T_STKFLT", "stack fault"),
        [28] = ("T_MCHK", "machine check trap"),
        [29] = ("T_XMMFLT", "SIMD floating-point exception"),
        [30] = ("T_RESERVED", "reserved (unknown)"),
        [32] = ("T_DTRACE_RET", "DTrace pid return"),
    };

    /// <summary>The name of <paramref name="code"/> for <paramref name="signal"/>: a signal's own codes (1…) first, then the codes any signal may carry (SI_*).</summary>
    public static CodeName Code(int signal, int code) =>
        PerSignal.TryGetValue((signal, code), out var own) ? new(own.Item1, own.Item2)
        : Generic.TryGetValue(code, out var any) ? new(any.Item1, any.Item2)
        : new(null, null);

    public static CodeName Trap(int trapno) => Traps.TryGetValue(trapno, out var t) ? new(t.Item1, t.Item2) : new(null, null);

    /// <summary>The signals a CPU fault raises, whose si_addr is the faulting address or instruction (sys/amd64/amd64/trap.c: trap).</summary>
    public static bool IsFault(int signal) => signal is Signals.Sigsegv or Signals.Sigbus or Signals.Sigill or Signals.Sigfpe;

    /// <summary>Codes a process or thread sends (kill, sigqueue, thr_kill): si_pid names the sender.</summary>
    public static bool IsSent(int code) => code is SiUser or SiQueue or SiLwp;
}
