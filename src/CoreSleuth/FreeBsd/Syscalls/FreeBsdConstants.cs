using System.Collections.Frozen;
using System.Globalization;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// Names of the FreeBSD constants that syscall arguments carry, with the values of the
/// FreeBSD headers (sys/sys/fcntl.h, umtx.h, signal.h, unistd.h, mman.h, socket.h, wait.h,
/// time.h, ioccom.h). Values not listed decode as numbers or hex, never as a wrong name.
/// </summary>
internal static class FreeBsdConstants
{
    /// <summary>AT_FDCWD: "use the current directory" in the dirfd of the *at calls.</summary>
    public const int AT_FDCWD = -100;

    /// <summary>SHM_ANON: the path argument of shm_open2 for an anonymous object.</summary>
    public const ulong SHM_ANON = 1;

    public static readonly FlagName[] AtFlags =
    [
        new(0x100, "AT_EACCESS"),
        new(0x200, "AT_SYMLINK_NOFOLLOW"),
        new(0x400, "AT_SYMLINK_FOLLOW"),
        new(0x800, "AT_REMOVEDIR"),
        new(0x2000, "AT_RESOLVE_BENEATH"),
        new(0x4000, "AT_EMPTY_PATH"),
    ];

    public static readonly FrozenDictionary<long, string> FcntlCommands = Table(
        (0, "F_DUPFD"), (1, "F_GETFD"), (2, "F_SETFD"), (3, "F_GETFL"), (4, "F_SETFL"),
        (5, "F_GETOWN"), (6, "F_SETOWN"), (7, "F_OGETLK"), (8, "F_OSETLK"), (9, "F_OSETLKW"),
        (10, "F_DUP2FD"), (11, "F_GETLK"), (12, "F_SETLK"), (13, "F_SETLKW"),
        (14, "F_SETLK_REMOTE"), (15, "F_READAHEAD"), (16, "F_RDAHEAD"),
        (17, "F_DUPFD_CLOEXEC"), (18, "F_DUP2FD_CLOEXEC"), (19, "F_ADD_SEALS"),
        (20, "F_GET_SEALS"), (21, "F_ISUNIONSTACK"), (22, "F_KINFO"));

    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_OGETLK = 7;
    public const int F_OSETLKW = 9;
    public const int F_GETLK = 11;
    public const int F_SETLKW = 13;
    public const int F_SETLK_REMOTE = 14;

    /// <summary>_umtx_op operations (sys/sys/umtx.h); 0 and 1 were the old lock/unlock.</summary>
    public static readonly FrozenDictionary<long, string> UmtxOps = Table(
        (0, "UMTX_OP_RESERVED0"), (1, "UMTX_OP_RESERVED1"), (2, "UMTX_OP_WAIT"),
        (3, "UMTX_OP_WAKE"), (4, "UMTX_OP_MUTEX_TRYLOCK"), (5, "UMTX_OP_MUTEX_LOCK"),
        (6, "UMTX_OP_MUTEX_UNLOCK"), (7, "UMTX_OP_SET_CEILING"), (8, "UMTX_OP_CV_WAIT"),
        (9, "UMTX_OP_CV_SIGNAL"), (10, "UMTX_OP_CV_BROADCAST"), (11, "UMTX_OP_WAIT_UINT"),
        (12, "UMTX_OP_RW_RDLOCK"), (13, "UMTX_OP_RW_WRLOCK"), (14, "UMTX_OP_RW_UNLOCK"),
        (15, "UMTX_OP_WAIT_UINT_PRIVATE"), (16, "UMTX_OP_WAKE_PRIVATE"),
        (17, "UMTX_OP_MUTEX_WAIT"), (18, "UMTX_OP_MUTEX_WAKE"), (19, "UMTX_OP_SEM_WAIT"),
        (20, "UMTX_OP_SEM_WAKE"), (21, "UMTX_OP_NWAKE_PRIVATE"), (22, "UMTX_OP_MUTEX_WAKE2"),
        (23, "UMTX_OP_SEM2_WAIT"), (24, "UMTX_OP_SEM2_WAKE"), (25, "UMTX_OP_SHM"),
        (26, "UMTX_OP_ROBUST_LISTS"));

    /// <summary>Signal numbers (sys/sys/signal.h); 65–126 are the realtime signals.</summary>
    public static readonly FrozenDictionary<long, string> Signals = Table(
        (1, "SIGHUP"), (2, "SIGINT"), (3, "SIGQUIT"), (4, "SIGILL"), (5, "SIGTRAP"),
        (6, "SIGABRT"), (7, "SIGEMT"), (8, "SIGFPE"), (9, "SIGKILL"), (10, "SIGBUS"),
        (11, "SIGSEGV"), (12, "SIGSYS"), (13, "SIGPIPE"), (14, "SIGALRM"), (15, "SIGTERM"),
        (16, "SIGURG"), (17, "SIGSTOP"), (18, "SIGTSTP"), (19, "SIGCONT"), (20, "SIGCHLD"),
        (21, "SIGTTIN"), (22, "SIGTTOU"), (23, "SIGIO"), (24, "SIGXCPU"), (25, "SIGXFSZ"),
        (26, "SIGVTALRM"), (27, "SIGPROF"), (28, "SIGWINCH"), (29, "SIGINFO"),
        (30, "SIGUSR1"), (31, "SIGUSR2"), (32, "SIGTHR"), (33, "SIGLIBRT"));

    public static string SignalName(int signal)
    {
        if (Signals.TryGetValue(signal, out var name)) return name;
        if (signal == 65) return "SIGRTMIN";
        if (signal > 65 && signal <= 126) return "SIGRTMIN+" + (signal - 65).ToString(CultureInfo.InvariantCulture);
        return signal.ToString(CultureInfo.InvariantCulture);
    }

    public static readonly FrozenDictionary<long, string> Whence = Table(
        (0, "SEEK_SET"), (1, "SEEK_CUR"), (2, "SEEK_END"), (3, "SEEK_DATA"), (4, "SEEK_HOLE"));

    public static readonly FlagName[] FlockOps =
        [new(0x1, "LOCK_SH"), new(0x2, "LOCK_EX"), new(0x4, "LOCK_NB"), new(0x8, "LOCK_UN")];

    /// <summary>access/faccessat mode; 0 is F_OK.</summary>
    public static readonly FlagName[] AccessModes =
        [new(0x4, "R_OK"), new(0x2, "W_OK"), new(0x1, "X_OK")];

    public static readonly FlagName[] MmapProt =
        [new(0x1, "PROT_READ"), new(0x2, "PROT_WRITE"), new(0x4, "PROT_EXEC")];

    /// <summary>mmap flags; bits 24–31 hold MAP_ALIGNED(n) and are shown separately.</summary>
    public static readonly FlagName[] MmapFlags =
    [
        new(0x1, "MAP_SHARED"), new(0x2, "MAP_PRIVATE"), new(0x10, "MAP_FIXED"),
        new(0x200, "MAP_HASSEMAPHORE"), new(0x400, "MAP_STACK"), new(0x800, "MAP_NOSYNC"),
        new(0x1000, "MAP_ANON"), new(0x2000, "MAP_GUARD"), new(0x4000, "MAP_EXCL"),
        new(0x20000, "MAP_NOCORE"), new(0x40000, "MAP_PREFAULT_READ"), new(0x80000, "MAP_32BIT"),
    ];

    public static readonly FlagName[] MsgFlags =
    [
        new(0x1, "MSG_OOB"), new(0x2, "MSG_PEEK"), new(0x4, "MSG_DONTROUTE"), new(0x8, "MSG_EOR"),
        new(0x10, "MSG_TRUNC"), new(0x20, "MSG_CTRUNC"), new(0x40, "MSG_WAITALL"),
        new(0x80, "MSG_DONTWAIT"), new(0x100, "MSG_EOF"), new(0x20000, "MSG_NOSIGNAL"),
        new(0x40000, "MSG_CMSG_CLOEXEC"), new(0x80000, "MSG_WAITFORONE"),
    ];

    /// <summary>accept4 flags (SOCK_CLOEXEC / SOCK_NONBLOCK, sys/sys/socket.h).</summary>
    public static readonly FlagName[] SocketFlags =
        [new(0x10000000, "SOCK_CLOEXEC"), new(0x20000000, "SOCK_NONBLOCK")];

    public static readonly FlagName[] WaitOptions =
    [
        new(0x1, "WNOHANG"), new(0x2, "WUNTRACED"), new(0x4, "WCONTINUED"), new(0x8, "WNOWAIT"),
        new(0x10, "WEXITED"), new(0x20, "WTRAPPED"),
    ];

    public static readonly FrozenDictionary<long, string> ClockIds = Table(
        (0, "CLOCK_REALTIME"), (1, "CLOCK_VIRTUAL"), (2, "CLOCK_PROF"), (4, "CLOCK_MONOTONIC"),
        (5, "CLOCK_UPTIME"), (7, "CLOCK_UPTIME_PRECISE"), (8, "CLOCK_UPTIME_FAST"),
        (9, "CLOCK_REALTIME_PRECISE"), (10, "CLOCK_REALTIME_FAST"),
        (11, "CLOCK_MONOTONIC_PRECISE"), (12, "CLOCK_MONOTONIC_FAST"), (13, "CLOCK_SECOND"),
        (14, "CLOCK_THREAD_CPUTIME_ID"), (15, "CLOCK_PROCESS_CPUTIME_ID"));

    /// <summary>clock_nanosleep flags.</summary>
    public static readonly FlagName[] TimerFlags = [new(0x1, "TIMER_ABSTIME")];

    /// <summary>Well-known ioctl requests; others are decoded from the _IOC encoding.</summary>
    public static readonly FrozenDictionary<long, string> IoctlNames = Table(
        (0x20006601, "FIOCLEX"), (0x20006602, "FIONCLEX"), (0x8004667d, "FIOASYNC"),
        (0x8004667e, "FIONBIO"), (0x4004667f, "FIONREAD"), (0x402c7413, "TIOCGETA"),
        (0x40087468, "TIOCGWINSZ"));

    /// <summary>
    /// An ioctl request: a known name, else the sys/sys/ioccom.h encoding
    /// (IOC_VOID 0x20000000, IOC_OUT 0x40000000, IOC_IN 0x80000000, length in bits 16–28,
    /// group character in bits 8–15, number in bits 0–7), e.g. <c>_IOW('t',20,44)</c>.
    /// </summary>
    public static string IoctlRequest(ulong request)
    {
        var hex = FlagFormatter.Hex(request);
        if (request > uint.MaxValue) return hex;
        var value = (uint)request;
        if (IoctlNames.TryGetValue(value, out var name)) return name;
        var direction = value & 0xE0000000;
        var macro = direction switch
        {
            0x20000000 => "_IO",
            0x40000000 => "_IOR",
            0x80000000 => "_IOW",
            0xC0000000 => "_IOWR",
            _ => null,
        };
        var group = (char)((value >> 8) & 0xFF);
        if (macro is null || group < 0x20 || group > 0x7E) return hex;
        var length = (value >> 16) & 0x1FFF;
        var number = value & 0xFF;
        var inv = CultureInfo.InvariantCulture;
        // The group is printable ASCII here; a quote or backslash is still shown plainly.
        return macro == "_IO"
            ? string.Create(inv, $"{hex} {macro}('{group}',{number})")
            : string.Create(inv, $"{hex} {macro}('{group}',{number},{length})");
    }

    private static FrozenDictionary<long, string> Table(params (long Value, string Name)[] entries) =>
        entries.ToFrozenDictionary(e => e.Value, e => e.Name);
}
