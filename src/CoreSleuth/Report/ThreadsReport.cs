using CoreSleuth.FreeBsd;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth threads</c> reports: one row per thread, in note order.</summary>
public sealed record ThreadsReport(string Core, IReadOnlyList<ThreadRow> Threads, IReadOnlyList<string> Warnings)
{
    /// <summary>With libthr identities (pthread_t) and, when InnoDB text or a processlist was given, the MySQL session of each thread.</summary>
    public static ThreadsReport Build(Analysis.CoreAnalysis analysis, string path) =>
        new(path, analysis.Threads.Select(t => ThreadRow.Build(t) with
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

    /// <summary>
    /// The state is the analysis's reading of ki_stat, the wait message and TDF flags for this
    /// producer (a gcore-stopped sleeper is "sleeping", not "stopped": spec §4.1, §7.3).
    /// </summary>
    internal static ThreadRow Build(Analysis.ThreadAnalysis a)
    {
        var t = a.Thread;
        return new(t.Index, t.Lwp, t.Name, t.Registers.Rip, t.Registers.Rsp, t.WaitMessage,
            t.Kinfo is null ? null : a.State.Text,
            t.Kinfo is { } k ? KinfoProc.StateName(k.State) : null);
    }
}
