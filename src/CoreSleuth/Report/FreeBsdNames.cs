using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>FreeBSD names for numbers a core holds (signals, file flags, auxv value formats).</summary>
public static class FreeBsdNames
{
    // sys/sys/signal.h: numbers 1–33; 65–126 are the realtime signals SIGRTMIN..SIGRTMAX.
    private static readonly (string Name, string Description)[] SignalTable =
    [
        ("", ""), ("SIGHUP", "Hangup"), ("SIGINT", "Interrupt"), ("SIGQUIT", "Quit"), ("SIGILL", "Illegal instruction"),
        ("SIGTRAP", "Trace/breakpoint trap"), ("SIGABRT", "Aborted"), ("SIGEMT", "Emulation trap"),
        ("SIGFPE", "Arithmetic exception"), ("SIGKILL", "Killed"), ("SIGBUS", "Bus error"), ("SIGSEGV", "Segmentation fault"),
        ("SIGSYS", "Bad system call"), ("SIGPIPE", "Broken pipe"), ("SIGALRM", "Alarm clock"), ("SIGTERM", "Terminated"),
        ("SIGURG", "Urgent I/O condition"), ("SIGSTOP", "Stopped (signal)"), ("SIGTSTP", "Stopped (user)"),
        ("SIGCONT", "Continued"), ("SIGCHLD", "Child status changed"), ("SIGTTIN", "Stopped (tty input)"),
        ("SIGTTOU", "Stopped (tty output)"), ("SIGIO", "I/O possible"), ("SIGXCPU", "CPU time limit exceeded"),
        ("SIGXFSZ", "File size limit exceeded"), ("SIGVTALRM", "Virtual timer expired"), ("SIGPROF", "Profiling timer expired"),
        ("SIGWINCH", "Window size changed"), ("SIGINFO", "Information request"), ("SIGUSR1", "User defined signal 1"),
        ("SIGUSR2", "User defined signal 2"), ("SIGTHR", "Thread interrupt (libthr)"), ("SIGLIBRT", "Real-time library interrupt"),
    ];

    /// <summary>"SIGSEGV" for 11; "SIGRTMIN+2" for 67; "signal N" otherwise; null for 0.</summary>
    public static string? SignalName(int signal) => signal switch
    {
        0 => null,
        > 0 and < 34 => SignalTable[signal].Name,
        65 => "SIGRTMIN",
        126 => "SIGRTMAX",
        > 65 and < 126 => $"SIGRTMIN+{signal - 65}",
        _ => $"signal {signal}",
    };

    public static string? SignalDescription(int signal) => signal is > 0 and < 34 ? SignalTable[signal].Description
        : signal is >= 65 and <= 126 ? "Real-time signal" : null;

    /// <summary>
    /// gdb's nine-letter descriptor flags of <c>info proc files</c> (fbsd-tdep.c): r(ead) w(rite)
    /// x (exec) a(ppend) s (async) f(sync) n(onblock) d(irect) l (has lock); kf_flags bits of spec §5.
    /// </summary>
    public static string FileFlagLetters(int flags)
    {
        ReadOnlySpan<(int Bit, char Letter)> letters =
            [(0x1, 'r'), (0x2, 'w'), (0x4000, 'x'), (0x4, 'a'), (0x8, 's'), (0x10, 'f'), (0x20, 'n'), (0x40, 'd'), (0x80, 'l')];
        var chars = new char[letters.Length];
        for (int i = 0; i < letters.Length; i++) chars[i] = (flags & letters[i].Bit) != 0 ? letters[i].Letter : '-';
        return new string(chars);
    }

    /// <summary>How gdb's <c>info auxv</c> shows an entry's value on FreeBSD (gdb's default and fbsd print_auxv_entry formats).</summary>
    public static AuxvValueFormat AuxvFormat(long type) => type switch
    {
        15 => AuxvValueFormat.String,                                  // AT_EXECPATH
        2 or 4 or 5 or 6 or 10 or 11 or 12 or 13 or 14 => AuxvValueFormat.Decimal, // EXECFD PHENT PHNUM PAGESZ NOTELF UID EUID GID EGID
        17 or 18 or 19 or 21 or 28 or 30 or 36 => AuxvValueFormat.Decimal,  // CANARYLEN OSRELDATE NCPUS PAGESIZESLEN ARGC ENVC USRSTACKLIM
        _ => AuxvValueFormat.Hex,
    };

    internal static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
    internal static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}

public enum AuxvValueFormat
{
    Hex,
    Decimal,
    String,
}
