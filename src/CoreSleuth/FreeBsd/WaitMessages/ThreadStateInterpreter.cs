using CoreSleuth.Model;

namespace CoreSleuth.FreeBsd.WaitMessages;

/// <summary>The state a thread is shown in, after correcting ki_stat for how the core was made.</summary>
public enum ThreadRunState
{
    /// <summary>No kinfo_proc for the thread (gdb cores) or an unknown ki_stat.</summary>
    Unknown,
    /// <summary>SIDL: being created.</summary>
    Creating,
    Running,
    Runnable,
    /// <summary>SRUN without knowing whether it was on a CPU.</summary>
    RunningOrRunnable,
    /// <summary>On a sleep queue with a wait message (also when ki_stat says SSTOP).</summary>
    Sleeping,
    /// <summary>Suspended at the user boundary (TDF_BOUNDARY), not sleeping in the kernel.</summary>
    StoppedAtBoundary,
    Stopped,
    Zombie,
    /// <summary>SWAIT.</summary>
    Waiting,
    /// <summary>SLOCK: blocked on a kernel lock (ki_lockname).</summary>
    BlockedOnLock,
}

/// <summary>
/// A thread's displayed state. <see cref="Text"/> is short ("sleeping (interruptible)");
/// <see cref="Note"/> says why, for a reader who knows <c>ps</c> would show something else.
/// <see cref="WaitMessage"/> and the lock name inside <see cref="Text"/> come from the core
/// and must be sanitized for display.
/// </summary>
public sealed record ThreadDisplayState(
    ThreadRunState State,
    string Text,
    string? WaitMessage,
    bool Interruptible,
    bool TimedSleep,
    string Note);

/// <summary>
/// Turns the kinfo_proc fields of a thread into the state a reader expects (spec §4.1, §7.3).
/// In a core the process is always stopped, so ki_stat alone misleads: gcore leaves sleepers
/// on their sleep queues with ki_stat = SSTOP, and the kernel aborts interruptible sleeps
/// before dumping so that those threads show SSTOP with TDF_BOUNDARY and no wait message.
/// </summary>
public static class ThreadStateInterpreter
{
    // ki_stat values (spec §4).
    public const byte SIDL = 1;
    public const byte SRUN = 2;
    public const byte SSLEEP = 3;
    public const byte SSTOP = 4;
    public const byte SZOMB = 5;
    public const byte SWAIT = 6;
    public const byte SLOCK = 7;

    // ki_tdflags bits (spec §4).
    public const ulong TDF_SINTR = 0x8;
    public const ulong TDF_TIMEOUT = 0x10;
    public const ulong TDF_BOUNDARY = 0x400;

    /// <summary>
    /// Interprets one thread. <paramref name="kiStat"/> is null when the core has no
    /// kinfo_proc for the thread (gdb). <paramref name="onCpu"/> (from ki_oncpu) separates
    /// running from runnable when known. <paramref name="lockName"/> is ki_lockname.
    /// </summary>
    public static ThreadDisplayState Interpret(
        byte? kiStat,
        string? waitMessage,
        ulong tdFlags,
        CoreProducer producer,
        string? lockName = null,
        bool? onCpu = null)
    {
        var wmesg = string.IsNullOrEmpty(waitMessage) ? null : waitMessage.TrimEnd('\0');
        if (wmesg?.Length == 0) wmesg = null;
        var interruptible = (tdFlags & TDF_SINTR) != 0;
        var timed = (tdFlags & TDF_TIMEOUT) != 0;

        if (kiStat is null)
        {
            var note = producer == CoreProducer.Gdb
                ? "gdb cores carry no kinfo_proc: no thread state or wait message (gdb/fbsd-tdep.c: fbsd_make_corefile_notes); use the registers"
                : "no kinfo_proc record for this thread";
            return new(ThreadRunState.Unknown, "unknown", null, false, false, note);
        }

        switch (kiStat.Value)
        {
            case SIDL:
                return new(ThreadRunState.Creating, "being created", null, false, false, "ki_stat SIDL");
            case SZOMB:
                return new(ThreadRunState.Zombie, "zombie", null, false, false, "ki_stat SZOMB: exited, not yet reaped");
            case SRUN:
                return onCpu switch
                {
                    true => new(ThreadRunState.Running, "running", null, false, false,
                        producer == CoreProducer.Kernel
                            ? "ki_stat SRUN on a CPU: in a kernel core, normally the thread that took the fatal signal"
                            : "ki_stat SRUN on a CPU"),
                    false => new(ThreadRunState.Runnable, "runnable", null, false, false, "ki_stat SRUN, not on a CPU"),
                    null => new(ThreadRunState.RunningOrRunnable, "running or runnable", null, false, false, "ki_stat SRUN"),
                };
            case SSLEEP:
                return Sleeping(wmesg, interruptible, timed, "ki_stat SSLEEP");
            case SSTOP:
                if (wmesg is not null)
                {
                    // spec §4.1: ki_stat is SSTOP for every thread of a stopped process, but a
                    // non-empty ki_wmesg means the thread is still on a sleep queue.
                    var why = producer == CoreProducer.Gcore
                        ? "ki_stat SSTOP because gcore stopped the process; the thread is still asleep in the kernel (sys/kern/kern_proc.c: fill_kinfo_thread)"
                        : "ki_stat SSTOP because the process is stopped; the wait message shows the thread is still asleep in the kernel (sys/kern/kern_proc.c: fill_kinfo_thread)";
                    return Sleeping(wmesg, interruptible, timed, why);
                }
                if ((tdFlags & TDF_BOUNDARY) != 0)
                {
                    var why = producer switch
                    {
                        CoreProducer.Kernel =>
                            "suspended at the user boundary before the dump; an interruptible sleep it was in was aborted, so a syscall in its registers is about to restart or returned EINTR (sys/kern/kern_sig.c: sigexit calls thread_single)",
                        CoreProducer.Gcore =>
                            "suspended at the user boundary; if it took gcore's SIGSTOP, a sleep it was in was aborted (sys/kern/sys_process.c: kern_ptrace sends SIGSTOP on PT_ATTACH)",
                        _ => "TDF_BOUNDARY: suspended at the user boundary, not sleeping in the kernel",
                    };
                    return new(ThreadRunState.StoppedAtBoundary, "stopped at user boundary", null, false, false, why);
                }
                return new(ThreadRunState.Stopped, "stopped", null, false, false, "ki_stat SSTOP, no wait message");
            case SWAIT:
                return new(ThreadRunState.Waiting, "waiting", null, false, false, "ki_stat SWAIT");
            case SLOCK:
                {
                    var name = string.IsNullOrEmpty(lockName) ? null : lockName.TrimEnd('\0');
                    var text = string.IsNullOrEmpty(name) ? "blocked on a kernel lock" : "blocked on lock " + name;
                    return new(ThreadRunState.BlockedOnLock, text, null, false, false, "ki_stat SLOCK (ki_lockname)");
                }
            default:
                return new(ThreadRunState.Unknown, "unknown", wmesg, interruptible, timed,
                    $"unexpected ki_stat {kiStat.Value}");
        }
    }

    private static ThreadDisplayState Sleeping(string? wmesg, bool interruptible, bool timed, string note)
    {
        var text = (interruptible, timed) switch
        {
            (true, true) => "sleeping (interruptible, timed)",
            (true, false) => "sleeping (interruptible)",
            (false, true) => "sleeping (uninterruptible, timed)",
            (false, false) => "sleeping (uninterruptible)",
        };
        return new(ThreadRunState.Sleeping, text, wmesg, interruptible, timed, note);
    }
}
