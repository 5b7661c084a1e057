using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Activity;

/// <summary>What a thread is (its role) and what it is doing, for a DBA, with where that was read.</summary>
/// <param name="Role">What kind of thread it is ("client connection thread"); null when the stack names no catalogued role.</param>
/// <param name="RoleId">The role's stable id ("connection", "innodb-master"); null with <paramref name="Role"/>.</param>
/// <param name="Sentence">What it is doing, in plain words ("waiting for a table-level lock").</param>
/// <param name="Basis">What the description rests on: "frames", "wait message", "system call" or "state".</param>
public sealed record ThreadDescription(ThreadCategory Category, string? Role, string? RoleId, string Sentence, string Basis);

/// <summary>
/// How long a thread has been asleep, from <c>ki_slptime</c> (seconds since <c>td_slptick</c>),
/// and whether that count is the sleep's own.
/// </summary>
/// <param name="SinceStop">
/// True when the count restarted when the process was stopped: gcore's attach suspends every
/// interruptible sleeper where it sleeps, and suspending a thread sets its td_slptick again
/// (sys/kern/kern_sig.c: sig_suspend_threads → sys/kern/kern_thread.c: thread_suspend_one →
/// sched_sleep), so the thread has slept at least that long, likely much longer.
/// </param>
public sealed record SleepTime(long Seconds, bool SinceStop);

/// <summary>Describes a thread from its stack (the catalogue of MySQL functions), its wait message, its system call and its state.</summary>
public static class ThreadDescriber
{
    /// <summary>
    /// The stack says what MySQL is doing; the wait message says what the kernel waits for. A
    /// kernel wait that is itself the story (a FIFO without a peer, a disk read) outranks the
    /// statement around it; otherwise the innermost catalogued MySQL wait speaks.
    /// </summary>
    public static ThreadDescription Describe(ThreadAnalysis t)
    {
        ThreadActivity? stack = null;
        if (t.Frames.Count > 0)
        {
            // Every thread is described: its names go in a rented array, not a new one per thread.
            var rented = System.Buffers.ArrayPool<string?>.Shared.Rent(t.Frames.Count);
            var names = rented.AsSpan(0, t.Frames.Count);
            for (int i = 0; i < names.Length; i++) names[i] = t.Frames[i].Symbol.Symbol is null ? null : t.Frames[i].Symbol.DisplayName;
            try { stack = ThreadCatalogue.ClassifyInPlace(names); }
            finally { System.Buffers.ArrayPool<string?>.Shared.Return(rented, clearArray: true); }
        }
        string? role = stack?.Role?.Sentence;
        string? roleId = stack?.RoleId;

        if (KernelWait(t) is { } kernel) return new ThreadDescription(kernel.Category, role, roleId, kernel.Sentence, "wait message");
        if (stack is { Category: not ThreadCategory.Unknown } s) return new ThreadDescription(s.Category, role, roleId, s.Sentence, "frames");
        if (stack is { Role: { IdleSentence: { } idle } r, RoleFrame: > 0 and var roleFrame } && r.Category != ThreadCategory.Unknown && OnlySystemFramesInside(t, roleFrame))
            return new ThreadDescription(r.Category, role, roleId, idle, "frames"); // the role's loop calls the system call stub itself (poll in handle_connections_sockets)
        if (WaitMessageMeaning(t) is { } wait) return new ThreadDescription(wait.Category, role, roleId, wait.Sentence, "wait message");
        if (SyscallMeaning(t) is { } call) return new ThreadDescription(call.Category, role, roleId, call.Sentence, "system call");
        if (t.State.State is ThreadRunState.Running or ThreadRunState.Runnable or ThreadRunState.RunningOrRunnable)
            return new ThreadDescription(ThreadCategory.Running, role, roleId, "running (on a CPU or ready to run)", "state");
        if (stack is not null) return new ThreadDescription(stack.Category, role, roleId, stack.Sentence, "frames");
        return new ThreadDescription(ThreadCategory.Unknown, role, roleId, "not known: no catalogued function, wait message or system call says", "state");
    }

    /// <summary>Whether every frame inside the role's is in the C library or libthr: a system call stub called by the role's loop.</summary>
    private static bool OnlySystemFramesInside(ThreadAnalysis t, int roleFrame)
    {
        for (int i = 0; i < roleFrame && i < t.Frames.Count; i++)
            if (t.Frames[i].Symbol.Module?.FileName is not { } m || !(m.StartsWith("libc.so", StringComparison.Ordinal) || m.StartsWith("libthr.so", StringComparison.Ordinal) || m.StartsWith("libsys.so", StringComparison.Ordinal)))
                return false;
        return true;
    }

    /// <summary>Kernel waits that explain the thread whatever MySQL code called them.</summary>
    private static (ThreadCategory Category, string Sentence)? KernelWait(ThreadAnalysis t) => t.Wait?.Category switch
    {
        WaitCategory.Fifo => (ThreadCategory.WaitingForPeer, t.Thread.WaitMessage switch
        {
            "fifoor" => "blocked opening a FIFO for reading: waiting for a writer",
            "fifoow" => "blocked opening a FIFO for writing: waiting for a reader",
            _ => "waiting on a FIFO for its peer",
        }),
        WaitCategory.Pipe => (ThreadCategory.WaitingForPeer, "waiting on a pipe for the process at its other end"),
        WaitCategory.DiskIo => (ThreadCategory.WaitingForIo, $"waiting for the disk (wait message \"{t.Thread.WaitMessage}\")"),
        WaitCategory.FilesystemLock => (ThreadCategory.WaitingForIo, $"waiting for a file system lock (wait message \"{t.Thread.WaitMessage}\")"),
        _ => null,
    };

    /// <summary>What the wait message alone says, when no catalogued frame does.</summary>
    private static (ThreadCategory Category, string Sentence)? WaitMessageMeaning(ThreadAnalysis t)
    {
        if (t.Wait is not { } w) return null;
        return t.Thread.WaitMessage switch
        {
            "umtxn" or "umtxpi" => (ThreadCategory.WaitingForLock, "waiting for a pthread mutex another thread holds"),
            "urdlck" or "uwrlck" => (ThreadCategory.WaitingForLock, "waiting for a pthread read-write lock"),
            _ => w.Category switch
            {
                WaitCategory.Sleep => (ThreadCategory.Sleeping, "sleeping for a fixed time"),
                WaitCategory.Signal => (ThreadCategory.IdleByDesign, "waiting for a signal"),
                WaitCategory.Socket => (ThreadCategory.WaitingForPeer, $"waiting on a socket (wait message \"{t.Thread.WaitMessage}\")"),
                WaitCategory.Lock => (ThreadCategory.WaitingForLock, $"waiting for a kernel lock (wait message \"{t.Thread.WaitMessage}\")"),
                WaitCategory.Child => (ThreadCategory.WaitingForPeer, "waiting for a child process"),
                WaitCategory.Tty => (ThreadCategory.WaitingForPeer, "waiting on a terminal"),
                _ => null,
            },
        };
    }

    /// <summary>A thread whose sleep the producer aborted still shows its call in its registers.</summary>
    private static (ThreadCategory Category, string Sentence)? SyscallMeaning(ThreadAnalysis t) => t.Syscall?.Name switch
    {
        "nanosleep" or "clock_nanosleep" => (ThreadCategory.Sleeping, "sleeping for a fixed time"),
        "sigwait" or "sigtimedwait" or "sigwaitinfo" or "rt_sigtimedwait" => (ThreadCategory.IdleByDesign, "waiting for a signal"),
        // Linux's asynchronous I/O: InnoDB's completion threads wait here (io_uring, or libaio's io_getevents).
        "io_uring_enter" or "io_getevents" => (ThreadCategory.WaitingForIo, "waiting for asynchronous I/O completions"),
        _ => null,
    };

    /// <summary>
    /// How long the thread has been asleep; null when the core has no kinfo_proc for it or it is
    /// not asleep. An interruptible sleeper of a gcore core counts from the stop (see <see cref="SleepTime"/>);
    /// a kernel core keeps only uninterruptible sleeps, whose count is their own.
    /// </summary>
    public static SleepTime? Sleep(ThreadAnalysis t, CoreProducer producer)
    {
        if (t.Thread.FreeBsd?.Kinfo is not { } k || t.State.State != ThreadRunState.Sleeping) return null;
        bool sinceStop = producer == CoreProducer.Gcore && t.State.Interruptible;
        return new SleepTime(k.SleepTime, sinceStop);
    }
}
