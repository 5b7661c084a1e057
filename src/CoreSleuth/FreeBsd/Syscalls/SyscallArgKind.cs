namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>How a syscall argument register is interpreted for display.</summary>
public enum SyscallArgKind
{
    /// <summary>No signature known: a pointer-sized value shown in hex.</summary>
    Raw,
    /// <summary>C <c>int</c>: the low 32 bits, signed.</summary>
    Int,
    /// <summary>C <c>long</c>: all 64 bits, signed (e.g. an LWP id).</summary>
    Long,
    /// <summary><c>size_t</c> or a count of bytes: unsigned decimal.</summary>
    Size,
    /// <summary><c>off_t</c>: signed 64-bit decimal.</summary>
    Offset,
    /// <summary>A user-space address: hex, or NULL.</summary>
    Pointer,
    /// <summary>A <c>const char *</c> path, read from the core when the memory is there.</summary>
    Path,
    /// <summary>A path for shm_open/shm_open2, where 1 means SHM_ANON.</summary>
    ShmPath,
    /// <summary>A file descriptor.</summary>
    Fd,
    /// <summary>The directory descriptor of an *at call: AT_FDCWD (−100) or a descriptor.</summary>
    DirFd,
    /// <summary>open/openat flags, access mode always named.</summary>
    OpenFlags,
    /// <summary>O_* status flags without an access mode (pipe2, fcntl F_SETFL).</summary>
    FileStatusFlags,
    /// <summary>A file mode, in octal.</summary>
    Mode,
    /// <summary>Pointer to a struct timespec/timeval; NULL means wait without a time limit.</summary>
    Timeout,
    /// <summary>poll's timeout in milliseconds; −1 (INFTIM) means wait without a time limit.</summary>
    TimeoutMs,
    /// <summary>Pointer to a sigset_t.</summary>
    SignalSet,
    /// <summary>A signal number.</summary>
    Signal,
    /// <summary>The operation of _umtx_op (UMTX_OP_*).</summary>
    UmtxOp,
    /// <summary>The command of fcntl (F_*).</summary>
    FcntlCmd,
    /// <summary>The third argument of fcntl, decoded according to the command.</summary>
    FcntlArg,
    /// <summary>lseek whence (SEEK_*).</summary>
    Whence,
    /// <summary>AT_* flags of the *at calls.</summary>
    AtFlags,
    /// <summary>access/faccessat mode (F_OK, R_OK, W_OK, X_OK).</summary>
    AccessMode,
    /// <summary>flock operation (LOCK_*).</summary>
    FlockOp,
    /// <summary>mmap/mprotect protection (PROT_*).</summary>
    MmapProt,
    /// <summary>mmap flags (MAP_*).</summary>
    MmapFlags,
    /// <summary>send/recv flags (MSG_*).</summary>
    MsgFlags,
    /// <summary>accept4 flags (SOCK_CLOEXEC, SOCK_NONBLOCK).</summary>
    SocketFlags,
    /// <summary>wait4/wait6 options (W*).</summary>
    WaitOptions,
    /// <summary>A clock id (CLOCK_*).</summary>
    ClockId,
    /// <summary>clock_nanosleep flags (TIMER_ABSTIME).</summary>
    TimerFlags,
    /// <summary>An ioctl request code.</summary>
    IoctlRequest,
}
