using System.Collections.Frozen;
using C = CoreSleuth.FreeBsd.WaitMessages.WaitCategory;
using S = CoreSleuth.FreeBsd.WaitMessages.WaitMessageSource;

namespace CoreSleuth.FreeBsd.WaitMessages;

/// <summary>
/// The wait messages a post-mortem of a FreeBSD user process meets (spec §8.1–§8.2), with a
/// plain-language meaning. Keys are the 8-character form stored in <c>ki_wmesg</c>.
/// </summary>
public static class WaitMessageCatalogue
{
    /// <summary>WMESGLEN: ki_wmesg keeps at most this many characters (spec §4, §8).</summary>
    public const int MaxLength = 8;

    private static readonly string[] FifoOpen = ["open", "openat"];
    private static readonly string[] UmtxOp = ["_umtx_op"];
    private static readonly string[] ReadCalls = ["read", "readv", "pread", "preadv"];
    private static readonly string[] WriteCalls = ["write", "writev", "pwrite", "pwritev"];
    private static readonly string[] PipeRead = ["read", "readv"];
    private static readonly string[] PipeWrite = ["write", "writev"];
    private static readonly string[] FileCalls =
        ["open", "openat", "stat", "fstatat", "read", "write", "fsync", "unlink", "unlinkat", "rename", "getdirentries"];
    private static readonly string[] SyncCalls = ["fsync", "fdatasync", "write"];

    private static WaitMessageInfo E(string wmesg, string meaning, C category, bool? interruptible, S source,
        string[] syscalls, string? fullName = null) =>
        new(wmesg, fullName, meaning, category, interruptible, source, syscalls);

    /// <summary>Every catalogue entry, the empty "not sleeping" entry first.</summary>
    public static IReadOnlyList<WaitMessageInfo> All { get; } =
    [
        E("", "Not sleeping: running, runnable, or suspended at the user boundary (ps shows \"-\").",
            C.NotSleeping, null, S.Verified, []),

        // spec §8.1: fifo_open sleeps with PCATCH, no timeout.
        E("fifoor", "Opening a FIFO (named pipe) for reading; waits until some process opens it for writing.",
            C.Fifo, true, S.Verified, FifoOpen),
        E("fifoow", "Opening a FIFO (named pipe) for writing; waits until some process opens it for reading.",
            C.Fifo, true, S.Verified, FifoOpen),

        E("piperd", "Reading from a pipe or FIFO that is empty; waits for the writer to write or close it.",
            C.Pipe, true, S.Verified, PipeRead),
        E("pipewr", "Writing to a pipe or FIFO whose buffer is full; waits for the reader to drain it.",
            C.Pipe, true, S.NotRechecked, PipeWrite),
        E("pipbww", "Writing to a pipe or FIFO; waits for the pipe's I/O lock (another transfer is in progress).",
            C.Pipe, true, S.NotRechecked, PipeWrite),
        E("pipdww", "Large (direct) write to a pipe or FIFO; waits for an earlier direct write to finish.",
            C.Pipe, true, S.NotRechecked, PipeWrite),
        E("pipdwc", "Large (direct) write to a pipe or FIFO; waits for the reader to take the data.",
            C.Pipe, true, S.NotRechecked, PipeWrite),
        E("pipdwt", "Large (direct) write to a pipe or FIFO; waits for the reader to take the data.",
            C.Pipe, true, S.NotRechecked, PipeWrite),

        E("select", "Waiting in select/poll for one of several descriptors to become ready (maybe with a time limit).",
            C.Poll, true, S.Verified, ["select", "pselect", "poll", "ppoll"]),
        E("kqread", "Waiting in kevent for events on a kqueue (an idle event loop).",
            C.Poll, true, S.Verified, ["kevent"]),

        E("sbwait", "Socket I/O: receiving with no data yet, or sending with the send buffer full (the peer is not reading).",
            C.Socket, true, S.Verified, ["read", "readv", "recvfrom", "recvmsg", "write", "writev", "sendto", "sendmsg", "sendfile"]),
        E("accept", "Listening socket waiting for an incoming connection.",
            C.Socket, true, S.NotRechecked, ["accept", "accept4"]),
        E("connec", "Blocking connect() waiting for the connection to be established.",
            C.Socket, true, S.NotRechecked, ["connect"]),

        E("nanslp", "Sleeping for a set time (sleep, usleep, nanosleep).",
            C.Sleep, true, S.Verified, ["nanosleep", "clock_nanosleep"]),

        E("uwait", "Waiting on a user-space sleep queue: a pthread condition variable, pthread_join, a barrier or another libthr wait.",
            C.ThreadSync, true, S.Verified, UmtxOp),
        E("ucond", "Waiting on a process-shared (kernel-assisted) pthread condition variable.",
            C.ThreadSync, true, S.Verified, UmtxOp),
        E("umtxn", "Waiting to lock a pthread mutex that another thread holds.",
            C.ThreadSync, true, S.Verified, UmtxOp),
        E("umtxpi", "Waiting to lock a priority-inheritance pthread mutex that another thread holds.",
            C.ThreadSync, true, S.NotRechecked, UmtxOp),
        E("umtxpp", "Waiting to lock a priority-protect pthread mutex that another thread holds.",
            C.ThreadSync, true, S.NotRechecked, UmtxOp),
        E("urdlck", "Waiting to read-lock a pthread read-write lock (a writer holds or waits for it).",
            C.ThreadSync, true, S.NotRechecked, UmtxOp),
        E("uwrlck", "Waiting to write-lock a pthread read-write lock (other threads hold it).",
            C.ThreadSync, true, S.NotRechecked, UmtxOp),
        E("usem", "Waiting on a POSIX semaphore (sem_wait).",
            C.ThreadSync, true, S.NotRechecked, UmtxOp),
        E("lthr", "Thread suspended itself (thr_suspend) until another thread wakes it.",
            C.ThreadSync, true, S.NotRechecked, ["thr_suspend"]),

        E("pause", "Waiting for a signal in sigsuspend() or pause().",
            C.Signal, true, S.Verified, ["sigsuspend"]),
        E("sigwait", "Waiting for a signal in sigwait/sigtimedwait/sigwaitinfo (often a dedicated signal thread).",
            C.Signal, true, S.NotRechecked, ["sigwait", "sigtimedwait", "sigwaitinfo"]),

        E("wait", "Waiting for a child process to exit (wait, waitpid, wait4, wait6).",
            C.Child, true, S.NotRechecked, ["wait4", "wait6"]),
        E("ppwait", "Parent of vfork() waiting for the child to exec or exit.",
            C.Child, null, S.NotRechecked, ["vfork"]),

        E("lockf", "Waiting for an advisory file lock held elsewhere (fcntl F_SETLKW, flock, open with O_EXLOCK/O_SHLOCK).",
            C.Lock, true, S.NotRechecked, ["fcntl", "flock", "open", "openat"]),

        // Uninterruptible sleeps: they survive the kernel's single-threading before a dump (spec §7.3).
        E("biord", "Waiting for a disk read to complete (buffer cache).",
            C.DiskIo, false, S.NotRechecked, ReadCalls),
        E("biowr", "Waiting for a disk write to complete (buffer cache).",
            C.DiskIo, false, S.NotRechecked, [.. WriteCalls, "fsync", "fdatasync"]),
        E("getblk", "Waiting for a disk buffer that another I/O is using.",
            C.DiskIo, false, S.NotRechecked, [.. ReadCalls, .. WriteCalls]),
        E("zio->io_", "ZFS waiting for an I/O to complete (storage latency).",
            C.DiskIo, false, S.NotRechecked, [.. ReadCalls, .. SyncCalls], fullName: "zio->io_cv"),
        E("tx->tx_s", "ZFS waiting for a transaction group to be written to disk (fsync or heavy writes).",
            C.DiskIo, false, S.NotRechecked, SyncCalls),
        E("db->db_c", "ZFS waiting for a cached data buffer to change state (usually pending I/O).",
            C.DiskIo, false, S.NotRechecked, [.. ReadCalls, .. WriteCalls]),

        E("ufs", "Waiting for a UFS file or directory lock that another thread holds (often during slow I/O).",
            C.FilesystemLock, false, S.NotRechecked, FileCalls),
        E("zfs", "Waiting for a ZFS file or directory lock that another thread holds.",
            C.FilesystemLock, false, S.NotRechecked, FileCalls),
        E("tmpfs", "Waiting for a tmpfs file or directory lock that another thread holds.",
            C.FilesystemLock, false, S.NotRechecked, FileCalls),

        E("ttyin", "Reading from a terminal that has no input.",
            C.Tty, true, S.NotRechecked, ["read"]),
        E("ttyout", "Writing to a terminal; waiting for output to drain.",
            C.Tty, true, S.NotRechecked, ["write"]),

        // Not in the spec; from knowledge of FreeBSD (not checked in source).
        E("aiospn", "Waiting in aio_suspend for asynchronous I/O requests to complete.",
            C.DiskIo, true, S.NotInSpec, ["aio_suspend"]),
        E("aiowc", "Waiting in aio_waitcomplete for an asynchronous I/O request to complete.",
            C.DiskIo, true, S.NotInSpec, ["aio_waitcomplete"]),
        E("semwait", "Waiting on a System V semaphore (semop).",
            C.ThreadSync, true, S.NotInSpec, ["semop"]),
        E("vmwait", "Waiting for free memory: the system is short of RAM.",
            C.Other, null, S.NotInSpec, []),
        E("pfault", "Page fault waiting for free memory: the system is short of RAM.",
            C.Other, null, S.NotInSpec, []),
    ];

    private static readonly FrozenDictionary<string, WaitMessageInfo> ByKey =
        All.ToFrozenDictionary(e => e.WaitMessage, StringComparer.Ordinal);

    /// <summary>
    /// The entry for a wait message. Trailing NULs are ignored and anything longer than
    /// 8 characters is cut to the 8 that <c>ki_wmesg</c> keeps, so both "zio->io_" and
    /// "zio->io_cv" find the ZFS entry. Null or empty means "not sleeping". A message the
    /// catalogue lacks gets a generic entry with <see cref="WaitMessageSource.Unknown"/>.
    /// </summary>
    public static WaitMessageInfo Lookup(string? wmesg)
    {
        var key = (wmesg ?? "").TrimEnd('\0');
        if (key.Length > MaxLength) key = key[..MaxLength];
        if (ByKey.TryGetValue(key, out var entry)) return entry;
        return new WaitMessageInfo(key, null,
            "Wait message not in the catalogue: the thread sleeps in the kernel for a reason this tool does not describe.",
            C.Other, null, S.Unknown, []);
    }
}
