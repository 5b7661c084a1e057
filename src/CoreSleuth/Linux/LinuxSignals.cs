namespace CoreSleuth.Linux;

/// <summary>
/// x86-64 Linux signal numbers (arch/x86/include/uapi/asm/signal.h) and the si_code values of
/// include/uapi/asm-generic/siginfo.h. They differ from FreeBSD's past SIGTRAP/SIGABRT.
/// </summary>
public static class LinuxSignals
{
    public const int Sigill = 4, Sigtrap = 5, Sigabrt = 6, Sigbus = 7, Sigfpe = 8, Sigkill = 9, Sigsegv = 11, Sigstop = 19;

    /// <summary>SIGRTMIN as the kernel numbers it; glibc keeps 32 and 33 for itself and calls 34 SIGRTMIN.</summary>
    public const int KernelSigRtMin = 32, SigRtMax = 64;

    private static readonly string[] Names =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>"SIGSEGV" for 11; "SIGRTMIN+2" for 34 (kernel numbering); "signal N" out of range; null for 0.</summary>
    public static string? Name(int signal) => signal switch
    {
        0 => null,
        > 0 and < KernelSigRtMin => Names[signal],
        KernelSigRtMin => "SIGRTMIN",
        > KernelSigRtMin and <= SigRtMax => $"SIGRTMIN+{signal - KernelSigRtMin}",
        _ => $"signal {signal}",
    };

    /// <summary>The name of a si_code: generic SI_* codes (≤ 0 and SI_KERNEL), else per signal.</summary>
    public static string CodeName(int signal, int code) => code switch
    {
        0 => "SI_USER",
        0x80 => "SI_KERNEL",
        -1 => "SI_QUEUE",
        -2 => "SI_TIMER",
        -3 => "SI_MESGQ",
        -4 => "SI_ASYNCIO",
        -5 => "SI_SIGIO",
        -6 => "SI_TKILL",
        -7 => "SI_DETHREAD",
        -60 => "SI_ASYNCNL",
        _ => (signal, code) switch
        {
            (Sigsegv, 1) => "SEGV_MAPERR",
            (Sigsegv, 2) => "SEGV_ACCERR",
            (Sigsegv, 3) => "SEGV_BNDERR",
            (Sigsegv, 4) => "SEGV_PKUERR",
            (Sigsegv, 5) => "SEGV_ACCADI",
            (Sigsegv, 6) => "SEGV_ADIDERR",
            (Sigsegv, 7) => "SEGV_ADIPERR",
            (Sigsegv, 8) => "SEGV_MTEAERR",
            (Sigsegv, 9) => "SEGV_MTESERR",
            (Sigsegv, 10) => "SEGV_CPERR",
            (Sigbus, 1) => "BUS_ADRALN",
            (Sigbus, 2) => "BUS_ADRERR",
            (Sigbus, 3) => "BUS_OBJERR",
            (Sigbus, 4) => "BUS_MCEERR_AR",
            (Sigbus, 5) => "BUS_MCEERR_AO",
            _ => $"si_code {code}",
        },
    };
}
