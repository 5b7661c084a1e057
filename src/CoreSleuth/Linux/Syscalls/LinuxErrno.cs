namespace CoreSleuth.Linux.Syscalls;

/// <summary>
/// Linux errno names: 1–133 of include/uapi/asm-generic/errno-base.h and errno.h (x86-64 uses
/// the generic values; 41 and 58 are unassigned, EWOULDBLOCK and EDEADLOCK are aliases), and
/// the kernel-internal codes 512–516 of include/linux/errno.h, which user space never sees
/// as errno but which a dumped thread's rax can hold (see <see cref="LinuxSyscallState"/>).
/// </summary>
public static class LinuxErrno
{
    public const int EINTR = 4, EAGAIN = 11, ENOSYS = 38, ETIMEDOUT = 110;

    /// <summary>The largest errno value the kernel can return to user space (include/linux/err.h MAX_ERRNO).</summary>
    public const int MaxErrno = 4095;

    /// <summary>Kernel-internal: restart the call after the signal if SA_RESTART is set (else EINTR).</summary>
    public const int ERESTARTSYS = 512;
    /// <summary>Kernel-internal: always restart the call after the signal.</summary>
    public const int ERESTARTNOINTR = 513;
    /// <summary>Kernel-internal: restart the call if no signal handler ran (else EINTR).</summary>
    public const int ERESTARTNOHAND = 514;
    /// <summary>Kernel-internal: the ioctl command is not handled here (never reaches user space).</summary>
    public const int ENOIOCTLCMD = 515;
    /// <summary>Kernel-internal: restart through restart_syscall(2) with the saved restart_block (sleeps with a timeout).</summary>
    public const int ERESTART_RESTARTBLOCK = 516;

    public const int Last = 133;

    private static readonly string[] Names =
    [
        "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD", "EAGAIN", "ENOMEM",
        "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE",
        "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK",
        "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT",
        "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "",
        "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
        "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
        "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE",
        "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT",
        "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS",
        "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
        "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM",
        "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE",
        "ERFKILL", "EHWPOISON",
    ];

    /// <summary>True for the kernel-internal restart codes 512, 513, 514 and 516.</summary>
    public static bool IsRestart(long value) =>
        value is ERESTARTSYS or ERESTARTNOINTR or ERESTARTNOHAND or ERESTART_RESTARTBLOCK;

    /// <summary>"EINTR" for 4, "ERESTARTSYS" for 512; "errno N" for a value no header names.</summary>
    public static string Name(long value) => value switch
    {
        > 0 and <= Last when Names[value].Length > 0 => Names[value],
        ERESTARTSYS => "ERESTARTSYS",
        ERESTARTNOINTR => "ERESTARTNOINTR",
        ERESTARTNOHAND => "ERESTARTNOHAND",
        ENOIOCTLCMD => "ENOIOCTLCMD",
        ERESTART_RESTARTBLOCK => "ERESTART_RESTARTBLOCK",
        _ => $"errno {value}",
    };
}
