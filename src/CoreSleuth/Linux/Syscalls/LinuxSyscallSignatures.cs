using System.Collections.Frozen;
using K = CoreSleuth.Linux.Syscalls.LinuxArgKind;

namespace CoreSleuth.Linux.Syscalls;

/// <summary>
/// How a Linux system call argument is shown. A separate enum from FreeBSD's
/// <c>SyscallArgKind</c> because the constants behind the flag kinds differ (O_*, MSG_*,
/// AT_*) and Linux has kinds FreeBSD has not (futex op, epoll/io_uring counts).
/// </summary>
public enum LinuxArgKind
{
    /// <summary>No signature known: hex.</summary>
    Raw,
    /// <summary>C int: the low 32 bits, signed.</summary>
    Int,
    /// <summary>size_t or a count of bytes: unsigned decimal.</summary>
    Size,
    /// <summary>loff_t: signed 64-bit decimal.</summary>
    Offset,
    /// <summary>A user-space address: hex, or NULL.</summary>
    Pointer,
    /// <summary>A const char * path, read from the core when the memory is there.</summary>
    Path,
    /// <summary>A file descriptor.</summary>
    Fd,
    /// <summary>The directory descriptor of an *at call: AT_FDCWD (−100) or a descriptor.</summary>
    DirFd,
    /// <summary>open/openat flags, access mode always named.</summary>
    OpenFlags,
    /// <summary>A file mode, in octal.</summary>
    Mode,
    /// <summary>Pointer to a struct timespec/timeval/__kernel_timespec; NULL means no time limit.</summary>
    Timeout,
    /// <summary>A timeout in milliseconds (poll, epoll_wait); negative means no time limit.</summary>
    TimeoutMs,
    /// <summary>Pointer to a sigset_t.</summary>
    SignalSet,
    /// <summary>A signal number.</summary>
    Signal,
    /// <summary>The op of futex(2).</summary>
    FutexOp,
    /// <summary>A 32-bit value (futex val, flag words): hex.</summary>
    Hex32,
}

/// <summary>One declared parameter of a Linux system call.</summary>
public readonly record struct LinuxSyscallParameter(string Name, LinuxArgKind Kind);

/// <summary>A hand-written prototype; the name repeats the table's so a test catches a wrong number.</summary>
public sealed record LinuxSyscallSignature(int Number, string Name, LinuxSyscallParameter[] Parameters);

/// <summary>
/// Argument kinds of the calls a hung server's threads block in, written from the
/// SYSCALL_DEFINEn prototypes of the kernel (fs/read_write.c, fs/open.c, fs/select.c,
/// fs/eventpoll.c, kernel/futex/syscalls.c, net/socket.c, fs/aio.c, io_uring/io_uring.c,
/// kernel/time/hrtimer.c, kernel/signal.c, kernel/exit.c, fs/locks.c, fs/fcntl.c, fs/sync.c).
/// Argument order is the register order rdi, rsi, rdx, r10, r8, r9.
/// </summary>
public static class LinuxSyscallSignatures
{
    private static readonly LinuxSyscallParameter FdArg = new("fd", K.Fd);

    private static LinuxSyscallSignature S(int number, string name, params LinuxSyscallParameter[] parameters) => new(number, name, parameters);
    private static LinuxSyscallParameter P(string name, LinuxArgKind kind) => new(name, kind);

    /// <summary>All hand-written signatures, in number order.</summary>
    public static readonly LinuxSyscallSignature[] All =
    [
        S(0, "read", FdArg, P("buf", K.Pointer), P("count", K.Size)),
        S(1, "write", FdArg, P("buf", K.Pointer), P("count", K.Size)),
        S(2, "open", P("filename", K.Path), P("flags", K.OpenFlags), P("mode", K.Mode)),
        S(3, "close", FdArg),
        S(7, "poll", P("ufds", K.Pointer), P("nfds", K.Int), P("timeout_msecs", K.TimeoutMs)),
        S(17, "pread64", FdArg, P("buf", K.Pointer), P("count", K.Size), P("pos", K.Offset)),
        S(18, "pwrite64", FdArg, P("buf", K.Pointer), P("count", K.Size), P("pos", K.Offset)),
        S(19, "readv", FdArg, P("vec", K.Pointer), P("vlen", K.Int)),
        S(20, "writev", FdArg, P("vec", K.Pointer), P("vlen", K.Int)),
        S(23, "select", P("n", K.Int), P("inp", K.Pointer), P("outp", K.Pointer), P("exp", K.Pointer), P("tvp", K.Timeout)),
        S(24, "sched_yield"),
        S(34, "pause"),
        S(35, "nanosleep", P("rqtp", K.Timeout), P("rmtp", K.Pointer)),
        S(42, "connect", FdArg, P("uservaddr", K.Pointer), P("addrlen", K.Int)),
        S(43, "accept", FdArg, P("upeer_sockaddr", K.Pointer), P("upeer_addrlen", K.Pointer)),
        S(44, "sendto", FdArg, P("buff", K.Pointer), P("len", K.Size), P("flags", K.Hex32), P("addr", K.Pointer), P("addr_len", K.Int)),
        S(45, "recvfrom", FdArg, P("ubuf", K.Pointer), P("size", K.Size), P("flags", K.Hex32), P("addr", K.Pointer), P("addr_len", K.Pointer)),
        S(46, "sendmsg", FdArg, P("msg", K.Pointer), P("flags", K.Hex32)),
        S(47, "recvmsg", FdArg, P("msg", K.Pointer), P("flags", K.Hex32)),
        S(61, "wait4", P("upid", K.Int), P("stat_addr", K.Pointer), P("options", K.Hex32), P("ru", K.Pointer)),
        S(62, "kill", P("pid", K.Int), P("sig", K.Signal)),
        S(72, "fcntl", FdArg, P("cmd", K.Int), P("arg", K.Raw)),
        S(73, "flock", FdArg, P("cmd", K.Int)),
        S(74, "fsync", FdArg),
        S(75, "fdatasync", FdArg),
        S(128, "rt_sigtimedwait", P("uthese", K.SignalSet), P("uinfo", K.Pointer), P("uts", K.Timeout), P("sigsetsize", K.Size)),
        S(130, "rt_sigsuspend", P("unewset", K.SignalSet), P("sigsetsize", K.Size)),
        S(200, "tkill", P("pid", K.Int), P("sig", K.Signal)),
        S(202, "futex", P("uaddr", K.Pointer), P("op", K.FutexOp), P("val", K.Hex32), P("utime", K.Timeout),
            P("uaddr2", K.Pointer), P("val3", K.Hex32)),
        S(208, "io_getevents", P("ctx_id", K.Raw), P("min_nr", K.Int), P("nr", K.Int), P("events", K.Pointer), P("timeout", K.Timeout)),
        S(209, "io_submit", P("ctx_id", K.Raw), P("nr", K.Int), P("iocbpp", K.Pointer)),
        S(230, "clock_nanosleep", P("which_clock", K.Int), P("flags", K.Hex32), P("rqtp", K.Timeout), P("rmtp", K.Pointer)),
        S(232, "epoll_wait", P("epfd", K.Fd), P("events", K.Pointer), P("maxevents", K.Int), P("timeout", K.TimeoutMs)),
        S(234, "tgkill", P("tgid", K.Int), P("pid", K.Int), P("sig", K.Signal)),
        S(257, "openat", P("dfd", K.DirFd), P("filename", K.Path), P("flags", K.OpenFlags), P("mode", K.Mode)),
        S(270, "pselect6", P("n", K.Int), P("inp", K.Pointer), P("outp", K.Pointer), P("exp", K.Pointer), P("tsp", K.Timeout), P("sig", K.Pointer)),
        S(271, "ppoll", P("ufds", K.Pointer), P("nfds", K.Int), P("tsp", K.Timeout), P("sigmask", K.SignalSet), P("sigsetsize", K.Size)),
        S(281, "epoll_pwait", P("epfd", K.Fd), P("events", K.Pointer), P("maxevents", K.Int), P("timeout", K.TimeoutMs),
            P("sigmask", K.SignalSet), P("sigsetsize", K.Size)),
        S(288, "accept4", FdArg, P("upeer_sockaddr", K.Pointer), P("upeer_addrlen", K.Pointer), P("flags", K.Hex32)),
        S(295, "preadv", FdArg, P("vec", K.Pointer), P("vlen", K.Int), P("pos_l", K.Raw), P("pos_h", K.Raw)),
        S(296, "pwritev", FdArg, P("vec", K.Pointer), P("vlen", K.Int), P("pos_l", K.Raw), P("pos_h", K.Raw)),
        S(333, "io_pgetevents", P("ctx_id", K.Raw), P("min_nr", K.Int), P("nr", K.Int), P("events", K.Pointer), P("timeout", K.Timeout),
            P("usig", K.Pointer)),
        S(426, "io_uring_enter", FdArg, P("to_submit", K.Int), P("min_complete", K.Int), P("flags", K.Hex32), P("argp", K.Pointer),
            P("argsz", K.Size)),
        S(437, "openat2", P("dfd", K.DirFd), P("filename", K.Path), P("how", K.Pointer), P("usize", K.Size)),
        S(441, "epoll_pwait2", P("epfd", K.Fd), P("events", K.Pointer), P("maxevents", K.Int), P("timeout", K.Timeout),
            P("sigmask", K.SignalSet), P("sigsetsize", K.Size)),
    ];

    private static readonly FrozenDictionary<int, LinuxSyscallSignature> ByNumber = All.ToFrozenDictionary(s => s.Number);

    public static LinuxSyscallSignature? For(long number) =>
        number is >= 0 and <= int.MaxValue && ByNumber.TryGetValue((int)number, out var s) ? s : null;
}
