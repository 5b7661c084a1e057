using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>A thread blocked opening a FIFO, as the scenario intends it.</summary>
internal sealed record ExpectedFinding(int Lwp, string Path, string Direction, string Confidence, ulong Pthread, long? MysqlThreadId, long? QueryId, string? Query);

/// <summary>
/// What each sample must show, restated from its scenario and the spec (§2.3 note order, §7.3
/// producer semantics, §8 wait messages) independently of the generator's code, so that the
/// generator and the reader/analyzer are both checked against the same statement of intent.
/// </summary>
internal static class Expectations
{
    public const int SysOpen = 5, SysOpenAt = 499, SysPoll = 209, SysSelect = 93, SysNanosleep = 240, SysKevent11 = 363, SysKevent12 = 560;

    public static CoreProducer Producer(SampleBuild b) => b.Scenario.Producer switch
    {
        "gcore" => CoreProducer.Gcore,
        "kernel" => CoreProducer.Kernel,
        "gdb" => CoreProducer.Gdb,
        var p => throw new InvalidDataException(p),
    };

    public static IReadOnlyList<ScenarioThread> Threads(SampleBuild b) => b.Process.Threads;

    public static ThreadImage Image(SampleBuild b, int lwp) => b.Process.Image.Threads.Single(t => t.Lwp == lwp);

    /// <summary>The LWP that took the attach SIGSTOP (gcore, gdb; spec §7.3), the main thread unless the scenario says otherwise.</summary>
    public static int StopReceiver(SampleBuild b) => b.Scenario.StopReceiver ?? Threads(b)[0].Lwp;

    /// <summary>LWPs in note order: gcore keeps p_threads (creation) order; the kernel and gdb write the signalled/current thread first (spec §2.3).</summary>
    public static IReadOnlyList<int> NoteOrder(SampleBuild b)
    {
        var lwps = Threads(b).Select(t => t.Lwp).ToList();
        int? first = Producer(b) switch
        {
            CoreProducer.Kernel => b.Scenario.Signal!.Lwp,
            CoreProducer.Gdb => StopReceiver(b),
            _ => null,
        };
        return first is int f ? [f, .. lwps.Where(l => l != f)] : lwps;
    }

    /// <summary>td_name as NT_THRMISC carries it: the thread's name, else the command name; gdb cores have no THRMISC.</summary>
    public static string? ThreadName(SampleBuild b, ScenarioThread t) =>
        Producer(b) == CoreProducer.Gdb ? null : t.Name ?? Path.GetFileName(b.Scenario.Process.Arguments[0]);

    /// <summary>poll, select, kevent and nanosleep fail with EINTR when their sleep is aborted; the others restart (spec §7.2, §8.2).</summary>
    public static bool AbortsWithEintr(int syscall) => syscall is SysPoll or SysSelect or SysKevent11 or SysKevent12 or SysNanosleep;

    /// <summary>What the producer did to the thread's sleep (spec §7.3).</summary>
    public static ThreadStop Stop(SampleBuild b, ScenarioThread t)
    {
        if (t.Model.Stop is { } forced)
            return forced switch { "restart" => ThreadStop.Restart, "eintr" => ThreadStop.Eintr, "returned" => ThreadStop.Returned, _ => ThreadStop.Asleep };
        // On a faulting load the thread was running, not asleep: nothing to abort (no wait message, no syscall).
        if (Faulting(b, t)) return ThreadStop.Returned;
        bool aborted = t.Model.Interruptible && Producer(b) switch
        {
            // thread_single(SINGLE_NO_EXIT) aborts every interruptible sleep, the dumping thread's included.
            CoreProducer.Kernel => true,
            // Only the thread that took the attach SIGSTOP leaves its sleep.
            _ => t.Lwp == StopReceiver(b),
        };
        if (!aborted) return ThreadStop.Asleep;
        return AbortsWithEintr(Image(b, t.Lwp).SyscallNumber) ? ThreadStop.Eintr : ThreadStop.Restart;
    }

    /// <summary>Whether the thread stopped on a faulting load (the scenario's <c>fault</c>) rather than in a system call.</summary>
    public static bool Faulting(SampleBuild b, ScenarioThread t) => t.Model.Fault is not null;

    /// <summary>The wait message of a thread asleep in its syscall (spec §8), or null when none is visible.</summary>
    public static string? WaitMessage(SampleBuild b, ScenarioThread t)
    {
        if (Producer(b) == CoreProducer.Gdb || Stop(b, t) != ThreadStop.Asleep) return null;
        if (t.Model.Wait is { } w) return w;
        var image = Image(b, t.Lwp);
        return image.SyscallNumber switch
        {
            SysOpen => OpenWait(image.SyscallArguments[1]),
            SysOpenAt => OpenWait(image.SyscallArguments[2]),
            SysPoll or SysSelect => "select",
            SysNanosleep => "nanslp",
            429 => "sigwait",
            454 => "uwait",
            SysKevent11 or SysKevent12 => "kqread",
            var n => throw new InvalidDataException($"LWP {t.Lwp}: no expected wait message for syscall {n}"),
        };
    }

    private static string OpenWait(ulong flags) => (flags & 3) == 1 ? "fifoow" : "fifoor";

    /// <summary>
    /// Every thread with a blocking open is blocked on a FIFO: certain when it still sleeps in
    /// fifo_open (gcore, not the SIGSTOP thread), likely when the producer erased the wait message
    /// (kernel, gdb, spec §7.3). MySQL id and query come with the InnoDB text.
    /// </summary>
    public static IReadOnlyList<ExpectedFinding> Findings(SampleBuild b)
    {
        var list = new List<ExpectedFinding>();
        foreach (var t in Threads(b).Where(t => t.Model.Open is not null))
        {
            var open = t.Model.Open!;
            bool write = (OpenFlags.Parse(open.Flags) & OpenFlags.OAccMode) == OpenFlags.OWrOnly;
            string confidence = WaitMessage(b, t) is "fifoor" or "fifoow" ? "certain" : "likely";
            list.Add(new ExpectedFinding(t.Lwp, open.Path, write ? "write" : "read", confidence, b.Process.PthreadOf(t.Lwp),
                t.Session?.Id, t.Session?.QueryId, t.Session?.Statement));
        }
        return list;
    }

    /// <summary>The libthr struct pthread → TCB offset of a release (spec §9.1 table).</summary>
    public static int TcbOffset(Testing.Images.FreeBsdVersion v) => v.Major switch { <= 10 => 480, 11 or 12 => 544, _ => 552 };

    /// <summary>Whether a mapping's bytes are in the core: readable, not NOCOREDUMP, of type DEFAULT/VNODE/SWAP/PHYS (spec §1.3; same rule for the three producers in these samples).</summary>
    public static bool Dumped(MemoryRegion r) =>
        r.IsReadable && (r.Flags & MemoryRegionFlags.NoCoreDump) == 0 && r.Type is VmObjectType.Default or VmObjectType.Vnode or VmObjectType.Swap or VmObjectType.Phys;
}
