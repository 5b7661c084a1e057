namespace CoreSleuth.FreeBsd;

/// <summary>FreeBSD's signal numbers and names (sys/sys/signal.h): 1–33, and the realtime signals 65–126.</summary>
public static class Signals
{
    public const int Sigill = 4, Sigtrap = 5, Sigabrt = 6, Sigfpe = 8, Sigbus = 10, Sigsegv = 11;

    private static readonly (string Name, string Description)[] Table =
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
    public static string? Name(int signal) => signal switch
    {
        0 => null,
        > 0 and < 34 => Table[signal].Name,
        65 => "SIGRTMIN",
        126 => "SIGRTMAX",
        > 65 and < 126 => $"SIGRTMIN+{signal - 65}",
        _ => $"signal {signal}",
    };

    public static string? Description(int signal) => signal is > 0 and < 34 ? Table[signal].Description
        : signal is >= 65 and <= 126 ? "Real-time signal" : null;
}
