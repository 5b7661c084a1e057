using CoreSleuth.FreeBsd;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth threads</c> reports: one row per thread, in note order.</summary>
public sealed record ThreadsReport(string Core, IReadOnlyList<ThreadRow> Threads, IReadOnlyList<string> Warnings)
{
    public static ThreadsReport Build(FreeBsdCore core, string path) =>
        new(path, core.Threads.Select(t => ThreadRow.Build(t)).ToList(), core.Warnings.ToList());

    /// <summary>With libthr identities (pthread_t) and, when InnoDB text or a processlist was given, the MySQL session of each thread.</summary>
    public static ThreadsReport Build(Analysis.CoreAnalysis analysis, string path) =>
        new(path, analysis.Threads.Select(t => ThreadRow.Build(t.Thread) with
        {
            PthreadT = t.Pthread is { } p ? new Hex(p) : null,
            MySqlThreadId = t.Session?.ThreadId,
            MySqlCommand = t.Session?.Command,
            MySqlTime = t.Session?.TimeSeconds,
            MySqlState = t.Session?.State,
        }).ToList(), [.. analysis.Warnings]);
}

/// <summary>One thread.</summary>
/// <param name="Index">Position in note order, from 1, as debuggers number threads.</param>
/// <param name="WaitMessage">ki_wmesg, or null when the thread is not sleeping or the core has no kinfo_proc.</param>
/// <param name="State">A short human state derived from kinfo_proc (<see cref="DescribeState"/>), or null without it.</param>
/// <param name="KernelState">ki_stat by its kernel name (SSTOP, SSLEEP…), or null without kinfo_proc.</param>
/// <param name="PthreadT">The thread's <c>pthread_t</c>, once libthr analysis finds it; null until then.</param>
/// <param name="MySqlThreadId">The MySQL connection/thread id running on this thread, once known; null until then.</param>
public sealed record ThreadRow(
    int Index, int Lwp, string? Name, Hex Rip, Hex Rsp, string? WaitMessage, string? State, string? KernelState,
    Hex? PthreadT = null, long? MySqlThreadId = null)
{
    /// <summary>The processlist's Command of the MySQL session on this thread (Query, Sleep…).</summary>
    public string? MySqlCommand { get; init; }

    /// <summary>The processlist's Time: seconds in the current state.</summary>
    public long? MySqlTime { get; init; }

    /// <summary>The session's state (InnoDB status or processlist), e.g. "System lock".</summary>
    public string? MySqlState { get; init; }

    internal static ThreadRow Build(CoreThread t) => new(
        t.Index, t.Lwp, t.Name, t.Registers.Rip, t.Registers.Rsp, t.WaitMessage,
        t.Kinfo is { } k ? DescribeState(k.State, t.WaitMessage) : null,
        t.Kinfo is { } k2 ? KinfoProc.StateName(k2.State) : null);

    /// <summary>
    /// ki_stat in words. A stopped process (gcore's ptrace stop, or the kernel single-threading it
    /// before a dump) shows SSTOP for every thread, including those still asleep in the kernel; a
    /// non-empty wait message means the thread is on a sleep queue (spec §4.1), so it is "sleeping".
    /// </summary>
    public static string DescribeState(byte kiStat, string? waitMessage) => kiStat switch
    {
        _ when !string.IsNullOrEmpty(waitMessage) && kiStat is 3 or 4 => "sleeping",
        1 => "new",        // SIDL
        2 => "running",    // SRUN: running or runnable
        3 => "sleeping",   // SSLEEP
        4 => "stopped",    // SSTOP
        5 => "zombie",     // SZOMB
        6 => "waiting",    // SWAIT: an idle interrupt thread
        7 => "lock wait",  // SLOCK: blocked on a kernel lock
        _ => $"state {kiStat}",
    };
}
