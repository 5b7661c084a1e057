using System.Globalization;

namespace CoreSleuth.Linux.Syscalls;

/// <summary>Where a dumped thread stood relative to a system call, from orig_rax and rax.</summary>
public enum LinuxSyscallPhase
{
    /// <summary>orig_rax is −1: the thread entered the kernel by an interrupt or exception, not a system call (running in user space).</summary>
    NotInSyscall,

    /// <summary>
    /// rax is −ERESTARTSYS, −ERESTARTNOINTR, −ERESTARTNOHAND or −ERESTART_RESTARTBLOCK: the
    /// thread was asleep in the call and the stop for the dump woke it; the kernel restarts the
    /// call when the thread resumes. The thread was blocked in this call.
    /// </summary>
    BlockedWillRestart,

    /// <summary>
    /// rax is −EINTR: either the call was asleep and the stop for the dump ended it for good
    /// (calls the kernel never restarts: epoll_wait, rt_sigtimedwait, io_getevents…, see
    /// signal(7) "Interruption of system calls"), or it had failed with EINTR before the stop.
    /// </summary>
    Interrupted,

    /// <summary>
    /// rax is −ENOSYS: the entry code stores −ENOSYS in rax before it dispatches
    /// (arch/x86/entry/entry_64.S pushes $-ENOSYS as pt_regs->ax), so either the thread was
    /// stopped at the entry before the call ran (a ptrace syscall-entry stop) or the call
    /// returned ENOSYS (an unimplemented number).
    /// </summary>
    AtEntryOrNoSys,

    /// <summary>rax is another value in −4095..−1: the call returned that errno.</summary>
    ReturnedError,

    /// <summary>rax is any other value: the call returned it.</summary>
    Returned,
}

/// <summary>
/// What a thread's orig_rax and rax say about its system call. On x86-64 orig_rax keeps the
/// call number for the whole call (−1 outside a call) and rax receives the result; a sleeping
/// call woken by a signal — including the SIGSTOP of gdb's attach and the kill of the
/// other threads during a kernel core dump — returns one of the kernel-internal restart codes,
/// and the thread stops in get_signal before arch_do_signal_or_restart rewrites rax and rip
/// for the restart (arch/x86/kernel/signal.c). So a thread blocked in a call is seen as
/// orig_rax = number, rax = −ERESTART*, rip just after the <c>syscall</c> instruction.
/// Verified on gcore cores of Linux 6.18: a FIFO open shows openat/−512, futex without a
/// timeout −512, with one −516, nanosleep and poll −516, pause −514, epoll_wait and
/// rt_sigtimedwait −4 (EINTR), a busy loop orig_rax −1.
/// </summary>
public sealed record LinuxSyscallState(LinuxSyscallPhase Phase, long? Number, long Result)
{
    /// <summary>The errno (positive) when the thread is in a call and rax holds −1..−4095; else null.</summary>
    public long? Errno => Phase != LinuxSyscallPhase.NotInSyscall && Result is < 0 and >= -LinuxErrno.MaxErrno ? -Result : null;

    /// <summary>True when the thread was asleep inside <see cref="Number"/> (certainly, or possibly for EINTR).</summary>
    public bool MayBeBlocked => Phase is LinuxSyscallPhase.BlockedWillRestart or LinuxSyscallPhase.Interrupted;

    public static LinuxSyscallState Classify(ulong origRax, ulong rax)
    {
        long number = unchecked((long)origRax), result = unchecked((long)rax);
        if (number == -1) return new(LinuxSyscallPhase.NotInSyscall, null, result);
        var phase = result switch
        {
            _ when result < 0 && LinuxErrno.IsRestart(-result) => LinuxSyscallPhase.BlockedWillRestart,
            -LinuxErrno.EINTR => LinuxSyscallPhase.Interrupted,
            -LinuxErrno.ENOSYS => LinuxSyscallPhase.AtEntryOrNoSys,
            < 0 and >= -LinuxErrno.MaxErrno => LinuxSyscallPhase.ReturnedError,
            _ => LinuxSyscallPhase.Returned,
        };
        return new(phase, number, result);
    }

    /// <summary>One line for a report, e.g. "in openat: asleep, interrupted by the dump (rax -ERESTARTSYS), restarts on resume".</summary>
    public string Describe()
    {
        string call = Number is long n ? LinuxSyscallTable.Name(n) : "";
        string errno = Errno is long e ? LinuxErrno.Name(e) : "";
        return Phase switch
        {
            LinuxSyscallPhase.NotInSyscall => "not in a system call (orig_rax -1)",
            LinuxSyscallPhase.BlockedWillRestart => $"in {call}: asleep, interrupted by the dump (rax -{errno}), restarts on resume",
            LinuxSyscallPhase.Interrupted => $"in {call}: rax -EINTR, asleep and ended by the dump's stop, or failed with EINTR before it",
            LinuxSyscallPhase.AtEntryOrNoSys => $"in {call}: rax -ENOSYS, stopped at entry before the call ran, or the call returned ENOSYS",
            LinuxSyscallPhase.ReturnedError => $"{call} returned -1 {errno}",
            _ => $"{call} returned {Result.ToString(CultureInfo.InvariantCulture)}",
        };
    }
}
