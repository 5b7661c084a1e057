namespace CoreSleuth.Testing.Cores;

/// <summary>
/// What each producer does to the threads it captures (spec §7.3), so a scenario can be
/// stated once ("thread 2 is blocked in openat on a FIFO") and turned into the gcore or the
/// kernel view of it.
/// </summary>
public static class ProducerSemantics
{
    public const int SigStop = 17;
    public const int SigSegv = 11;

    /// <summary>Asleep in an interruptible sleep: on a sleep queue (wait message) with TDF_SINTR (spec §4.1, §7.3).</summary>
    public static bool IsInterruptiblySleeping(ThreadSpec thread) =>
        thread.Kinfo.WaitMessage.Length > 0 && (thread.Kinfo.TdFlags & TdFlags.SIntr) != 0;

    /// <summary>
    /// The sleep aborted with ERESTART and the thread suspended at the user boundary (spec §7.2,
    /// §7.3): rip moves back over the 2-byte <c>syscall</c> so it points at 0F 05, r10 gets rcx
    /// back (cpu_set_syscall_retval), rax still holds the syscall number; the wait message and
    /// channel are gone, TDF_SINTR/TDF_TIMEOUT cleared, TDF_BOUNDARY set, ki_stat SSTOP.
    /// A thread that is not in an interruptible sleep is returned unchanged.
    /// </summary>
    public static ThreadSpec RestartAtBoundary(ThreadSpec thread)
    {
        if (!IsInterruptiblySleeping(thread)) return thread;
        var r = thread.Registers;
        return thread with
        {
            Registers = r with { Rip = r.Rip - 2, R10 = r.Rcx },
            Kinfo = thread.Kinfo with
            {
                WaitMessage = "",
                WaitChannel = 0,
                TdFlags = (thread.Kinfo.TdFlags & ~(TdFlags.SIntr | TdFlags.Timeout)) | TdFlags.Boundary,
                Stat = KiStat.Stop,
            },
        };
    }

    /// <summary>
    /// gcore's view of a thread that did not take the attach SIGSTOP: still on its sleep queue,
    /// wait message, channel and flags preserved, ki_stat SSTOP because the process is stopped.
    /// </summary>
    public static ThreadSpec StoppedByGcore(ThreadSpec thread) =>
        thread with { Kinfo = thread.Kinfo with { Stat = KiStat.Stop } };

    /// <summary>
    /// The same process as gcore(1) captures it (spec §7.3): the SIGSTOP of PT_ATTACH goes to one
    /// thread (default: the first in p_threads), which leaves an interruptible sleep and reports
    /// PL_EVENT_SIGNAL with si_signo 17; every other thread keeps its sleep, shown as SSTOP.
    /// </summary>
    public static CoreSpec AsGcoreAttach(CoreSpec spec, int? stopReceiverLwp = null)
    {
        int receiver = stopReceiverLwp ?? spec.Threads[0].Lwp;
        var threads = spec.Threads.Select(t =>
        {
            if (t.Lwp != receiver) return StoppedByGcore(t);
            var stopped = StoppedByGcore(RestartAtBoundary(t));
            return stopped with { LwpInfo = Signalled(stopped.LwpInfo, SigStop) };
        }).ToArray();
        return spec with { Producer = CoreProducer.Gcore, Threads = threads, CurSig = null, SignalledLwp = null };
    }

    /// <summary>
    /// The same process as the kernel dumps it after <paramref name="signal"/> hit
    /// <paramref name="signalledLwp"/> (spec §7.3): thread_single() aborts every interruptible
    /// sleep (<see cref="RestartAtBoundary"/>); uninterruptible sleepers keep their wait message;
    /// all other threads are SSTOP; the dumping thread is SRUN, written first, with its signal in
    /// NT_PTLWPINFO and pr_cursig.
    /// </summary>
    public static CoreSpec AsKernelDump(CoreSpec spec, int signalledLwp, int signal = SigSegv)
    {
        if (spec.Threads.All(t => t.Lwp != signalledLwp))
            throw new ArgumentException($"LWP {signalledLwp} is not one of the threads");
        var threads = spec.Threads.Select(t =>
        {
            if (t.Lwp == signalledLwp)
                return t with { Kinfo = t.Kinfo with { Stat = KiStat.Run }, LwpInfo = Signalled(t.LwpInfo, signal) };
            var s = RestartAtBoundary(t);
            bool stillAsleep = s.Kinfo.WaitMessage.Length > 0;
            return s with
            {
                Kinfo = s.Kinfo with { Stat = KiStat.Stop, TdFlags = stillAsleep ? s.Kinfo.TdFlags : s.Kinfo.TdFlags | TdFlags.Boundary },
                LwpInfo = s.LwpInfo with { Event = PlEvent.None, Flags = s.LwpInfo.Flags & ~PlFlags.Si },
            };
        }).ToArray();
        return spec with { Producer = CoreProducer.Kernel, Threads = threads, SignalledLwp = signalledLwp, CurSig = signal };
    }

    private static LwpInfo Signalled(LwpInfo info, int signal) => info with
    {
        Event = PlEvent.Signal,
        Flags = info.Flags | PlFlags.Si,
        SigInfo = info.SigInfo.Signo != 0 ? info.SigInfo : info.SigInfo with { Signo = signal },
    };
}
