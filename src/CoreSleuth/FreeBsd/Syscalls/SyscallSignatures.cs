using System.Collections.Frozen;
using K = CoreSleuth.FreeBsd.Syscalls.SyscallArgKind;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>One declared parameter of a syscall.</summary>
internal readonly record struct SyscallParameter(string Name, SyscallArgKind Kind);

/// <summary>A hand-written prototype: the table's name is repeated so tests can catch a wrong number.</summary>
internal sealed record SyscallSignature(int Number, string Name, SyscallParameter[] Parameters);

/// <summary>
/// Argument kinds of the syscalls a post-mortem meets, written from the prototypes in
/// <c>sys/kern/syscalls.master</c>. Argument order is the register order of spec §7.1
/// (rdi, rsi, rdx, r10, r8, r9, then the user stack). Compat entries have their own
/// prototypes where the old call's arguments differ (e.g. the pad argument of COMPAT6 pread).
/// </summary>
internal static class SyscallSignatures
{
    private static readonly SyscallParameter FdArg = new("fd", K.Fd);
    private static readonly SyscallParameter PathArg = new("path", K.Path);
    private static readonly SyscallParameter DirFdArg = new("fd", K.DirFd);

    private static SyscallSignature S(int number, string name, params SyscallParameter[] parameters) =>
        new(number, name, parameters);

    private static SyscallParameter P(string name, SyscallArgKind kind) => new(name, kind);

    /// <summary>All hand-written signatures, in number order.</summary>
    internal static readonly SyscallSignature[] All =
    [
        S(1, "exit", P("rval", K.Int)),
        S(3, "read", FdArg, P("buf", K.Pointer), P("nbyte", K.Size)),
        S(4, "write", FdArg, P("buf", K.Pointer), P("nbyte", K.Size)),
        S(5, "open", PathArg, P("flags", K.OpenFlags), P("mode", K.Mode)),
        S(6, "close", FdArg),
        S(7, "wait4", P("pid", K.Int), P("status", K.Pointer), P("options", K.WaitOptions), P("rusage", K.Pointer)),
        S(8, "creat", PathArg, P("mode", K.Mode)),
        S(9, "link", PathArg, P("link", K.Path)),
        S(10, "unlink", PathArg),
        S(12, "chdir", PathArg),
        S(13, "fchdir", FdArg),
        S(15, "chmod", PathArg, P("mode", K.Mode)),
        S(19, "lseek", FdArg, P("offset", K.Offset), P("whence", K.Whence)),
        S(27, "recvmsg", P("s", K.Fd), P("msg", K.Pointer), P("flags", K.MsgFlags)),
        S(28, "sendmsg", P("s", K.Fd), P("msg", K.Pointer), P("flags", K.MsgFlags)),
        S(29, "recvfrom", P("s", K.Fd), P("buf", K.Pointer), P("len", K.Size), P("flags", K.MsgFlags),
            P("from", K.Pointer), P("fromlenaddr", K.Pointer)),
        S(30, "accept", P("s", K.Fd), P("name", K.Pointer), P("anamelen", K.Pointer)),
        S(33, "access", PathArg, P("amode", K.AccessMode)),
        S(37, "kill", P("pid", K.Int), P("signum", K.Signal)),
        S(38, "stat", PathArg, P("ub", K.Pointer)),
        S(40, "lstat", PathArg, P("ub", K.Pointer)),
        S(41, "dup", FdArg),
        S(54, "ioctl", FdArg, P("com", K.IoctlRequest), P("data", K.Pointer)),
        S(57, "symlink", PathArg, P("link", K.Path)),
        S(58, "readlink", PathArg, P("buf", K.Pointer), P("count", K.Size)),
        S(59, "execve", P("fname", K.Path), P("argv", K.Pointer), P("envv", K.Pointer)),
        S(62, "fstat", FdArg, P("sb", K.Pointer)),
        S(73, "munmap", P("addr", K.Pointer), P("len", K.Size)),
        S(74, "mprotect", P("addr", K.Pointer), P("len", K.Size), P("prot", K.MmapProt)),
        S(90, "dup2", P("from", K.Fd), P("to", K.Fd)),
        S(92, "fcntl", FdArg, P("cmd", K.FcntlCmd), P("arg", K.FcntlArg)),
        S(93, "select", P("nd", K.Int), P("in", K.Pointer), P("ou", K.Pointer), P("ex", K.Pointer), P("tv", K.Timeout)),
        S(95, "fsync", FdArg),
        S(98, "connect", P("s", K.Fd), P("name", K.Pointer), P("namelen", K.Size)),
        S(120, "readv", FdArg, P("iovp", K.Pointer), P("iovcnt", K.Int)),
        S(121, "writev", FdArg, P("iovp", K.Pointer), P("iovcnt", K.Int)),
        S(128, "rename", P("from", K.Path), P("to", K.Path)),
        S(131, "flock", FdArg, P("how", K.FlockOp)),
        S(132, "mkfifo", PathArg, P("mode", K.Mode)),
        S(133, "sendto", P("s", K.Fd), P("buf", K.Pointer), P("len", K.Size), P("flags", K.MsgFlags),
            P("to", K.Pointer), P("tolen", K.Size)),
        S(136, "mkdir", PathArg, P("mode", K.Mode)),
        S(137, "rmdir", PathArg),
        S(156, "getdirentries", FdArg, P("buf", K.Pointer), P("count", K.Size), P("basep", K.Pointer)),
        S(173, "pread", FdArg, P("buf", K.Pointer), P("nbyte", K.Size), P("pad", K.Int), P("offset", K.Offset)),
        S(174, "pwrite", FdArg, P("buf", K.Pointer), P("nbyte", K.Size), P("pad", K.Int), P("offset", K.Offset)),
        S(188, "stat", PathArg, P("ub", K.Pointer)),
        S(189, "fstat", FdArg, P("sb", K.Pointer)),
        S(190, "lstat", PathArg, P("ub", K.Pointer)),
        S(196, "getdirentries", FdArg, P("buf", K.Pointer), P("count", K.Size), P("basep", K.Pointer)),
        S(197, "mmap", P("addr", K.Pointer), P("len", K.Size), P("prot", K.MmapProt), P("flags", K.MmapFlags),
            FdArg, P("pad", K.Int), P("pos", K.Offset)),
        S(199, "lseek", FdArg, P("pad", K.Int), P("offset", K.Offset), P("whence", K.Whence)),
        S(209, "poll", P("fds", K.Pointer), P("nfds", K.Int), P("timeout", K.TimeoutMs)),
        S(240, "nanosleep", P("rqtp", K.Timeout), P("rmtp", K.Pointer)),
        S(244, "clock_nanosleep", P("clock_id", K.ClockId), P("flags", K.TimerFlags), P("rqtp", K.Timeout),
            P("rmtp", K.Pointer)),
        S(272, "getdents", FdArg, P("buf", K.Pointer), P("count", K.Size)),
        S(278, "nstat", PathArg, P("ub", K.Pointer)),
        S(279, "nfstat", FdArg, P("sb", K.Pointer)),
        S(280, "nlstat", PathArg, P("ub", K.Pointer)),
        S(289, "preadv", FdArg, P("iovp", K.Pointer), P("iovcnt", K.Int), P("offset", K.Offset)),
        S(290, "pwritev", FdArg, P("iovp", K.Pointer), P("iovcnt", K.Int), P("offset", K.Offset)),
        S(315, "aio_suspend", P("aiocbp", K.Pointer), P("nent", K.Int), P("timeout", K.Timeout)),
        S(336, "sendfile", FdArg, P("s", K.Fd), P("offset", K.Offset), P("nbytes", K.Size), P("hdtr", K.Pointer),
            P("sbytes", K.Pointer), P("flags", K.Raw)),
        S(340, "sigprocmask", P("how", K.Int), P("set", K.SignalSet), P("oset", K.Pointer)),
        S(341, "sigsuspend", P("sigmask", K.SignalSet)),
        S(345, "sigtimedwait", P("set", K.SignalSet), P("info", K.Pointer), P("timeout", K.Timeout)),
        S(346, "sigwaitinfo", P("set", K.SignalSet), P("info", K.Pointer)),
        S(359, "aio_waitcomplete", P("aiocbp", K.Pointer), P("timeout", K.Timeout)),
        S(363, "kevent", FdArg, P("changelist", K.Pointer), P("nchanges", K.Int), P("eventlist", K.Pointer),
            P("nevents", K.Int), P("timeout", K.Timeout)),
        S(376, "eaccess", PathArg, P("amode", K.AccessMode)),
        S(393, "sendfile", FdArg, P("s", K.Fd), P("offset", K.Offset), P("nbytes", K.Size), P("hdtr", K.Pointer),
            P("sbytes", K.Pointer), P("flags", K.Raw)),
        S(396, "statfs", PathArg, P("buf", K.Pointer)),
        S(397, "fstatfs", FdArg, P("buf", K.Pointer)),
        S(429, "sigwait", P("set", K.SignalSet), P("sig", K.Pointer)),
        S(431, "thr_exit", P("state", K.Pointer)),
        S(433, "thr_kill", P("id", K.Long), P("sig", K.Signal)),
        S(442, "thr_suspend", P("timeout", K.Timeout)),
        S(443, "thr_wake", P("id", K.Long)),
        S(454, "_umtx_op", P("obj", K.Pointer), P("op", K.UmtxOp), P("val", K.Raw), P("uaddr1", K.Pointer),
            P("uaddr2", K.Pointer)),
        S(475, "pread", FdArg, P("buf", K.Pointer), P("nbyte", K.Size), P("offset", K.Offset)),
        S(476, "pwrite", FdArg, P("buf", K.Pointer), P("nbyte", K.Size), P("offset", K.Offset)),
        S(477, "mmap", P("addr", K.Pointer), P("len", K.Size), P("prot", K.MmapProt), P("flags", K.MmapFlags),
            FdArg, P("pos", K.Offset)),
        S(478, "lseek", FdArg, P("offset", K.Offset), P("whence", K.Whence)),
        S(481, "thr_kill2", P("pid", K.Int), P("id", K.Long), P("sig", K.Signal)),
        S(482, "shm_open", P("path", K.ShmPath), P("flags", K.OpenFlags), P("mode", K.Mode)),
        S(489, "faccessat", DirFdArg, PathArg, P("amode", K.AccessMode), P("flag", K.AtFlags)),
        S(493, "fstatat", DirFdArg, PathArg, P("buf", K.Pointer), P("flag", K.AtFlags)),
        S(496, "mkdirat", DirFdArg, PathArg, P("mode", K.Mode)),
        S(497, "mkfifoat", DirFdArg, PathArg, P("mode", K.Mode)),
        S(498, "mknodat", DirFdArg, PathArg, P("mode", K.Mode), P("dev", K.Raw)),
        S(499, "openat", DirFdArg, PathArg, P("flag", K.OpenFlags), P("mode", K.Mode)),
        S(501, "renameat", P("oldfd", K.DirFd), P("old", K.Path), P("newfd", K.DirFd), P("new", K.Path)),
        S(503, "unlinkat", DirFdArg, PathArg, P("flag", K.AtFlags)),
        S(522, "pselect", P("nd", K.Int), P("in", K.Pointer), P("ou", K.Pointer), P("ex", K.Pointer),
            P("ts", K.Timeout), P("sm", K.SignalSet)),
        S(532, "wait6", P("idtype", K.Int), P("id", K.Long), P("status", K.Pointer), P("options", K.WaitOptions),
            P("wrusage", K.Pointer), P("info", K.Pointer)),
        S(541, "accept4", P("s", K.Fd), P("name", K.Pointer), P("anamelen", K.Pointer), P("flags", K.SocketFlags)),
        S(542, "pipe2", P("fildes", K.Pointer), P("flags", K.FileStatusFlags)),
        S(545, "ppoll", P("fds", K.Pointer), P("nfds", K.Int), P("ts", K.Timeout), P("set", K.SignalSet)),
        S(550, "fdatasync", FdArg),
        S(551, "fstat", FdArg, P("sb", K.Pointer)),
        S(552, "fstatat", DirFdArg, PathArg, P("buf", K.Pointer), P("flag", K.AtFlags)),
        S(554, "getdirentries", FdArg, P("buf", K.Pointer), P("count", K.Size), P("basep", K.Pointer)),
        S(555, "statfs", PathArg, P("buf", K.Pointer)),
        S(556, "fstatfs", FdArg, P("buf", K.Pointer)),
        S(559, "mknodat", DirFdArg, PathArg, P("mode", K.Mode), P("dev", K.Raw)),
        S(560, "kevent", FdArg, P("changelist", K.Pointer), P("nchanges", K.Int), P("eventlist", K.Pointer),
            P("nevents", K.Int), P("timeout", K.Timeout)),
        S(568, "funlinkat", P("dfd", K.DirFd), PathArg, FdArg, P("flag", K.AtFlags)),
        S(571, "shm_open2", P("path", K.ShmPath), P("flags", K.OpenFlags), P("mode", K.Mode),
            P("shmflags", K.Raw), P("name", K.Path)),
        S(575, "close_range", P("lowfd", K.Int), P("highfd", K.Int), P("flags", K.Raw)),
    ];

    private static readonly FrozenDictionary<int, SyscallSignature> ByNumber =
        All.ToFrozenDictionary(s => s.Number);

    public static SyscallSignature? For(long number) =>
        number is >= 0 and <= int.MaxValue && ByNumber.TryGetValue((int)number, out var s) ? s : null;
}
