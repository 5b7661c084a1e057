using CoreSleuth.FreeBsd;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth threads</c> reports: one row per thread, in note order.</summary>
public sealed record ThreadsReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<ThreadRow> Threads, IReadOnlyList<string> Warnings)
{
    /// <summary>With libthr identities (pthread_t) and, when InnoDB text or a processlist was given, the MySQL session of each thread.</summary>
    public static ThreadsReport Build(Analysis.CoreAnalysis analysis, string path) =>
        new(ReportSchemas.Threads, ReportCore.Build(analysis.Core, path), ReportProcess.Build(analysis.Core),
            InParallel.Map(analysis.Threads, ThreadRow.Build), [.. analysis.Warnings]);
}

/// <summary>
/// One thread, named as in every report (docs/json.md): a thread of <c>analyze</c> without its
/// system call and frames, and with only the two registers the row shows.
/// </summary>
/// <param name="Index">Position in note order, from 1, as debuggers number threads.</param>
/// <param name="Pthread">The thread's <c>pthread_t</c>, when libthr analysis found it.</param>
/// <param name="Wait">ki_wmesg, or null when the thread is not sleeping or the core has no kinfo_proc.</param>
/// <param name="State">A short human state derived from kinfo_proc, or null without it.</param>
/// <param name="KernelState">ki_stat by its kernel name (SSTOP, SSLEEP…), or null without kinfo_proc.</param>
/// <param name="Registers">rip and rsp.</param>
/// <param name="Mysql">The MySQL session running on this thread (InnoDB status or processlist), or null.</param>
public sealed record ThreadRow(
    int Index, int Lwp, string? Name, Hex? Pthread, string? Wait, string? State, string? KernelState,
    IReadOnlyDictionary<string, Hex> Registers, ReportMySql? Mysql)
{
    /// <summary>
    /// The state is the analysis's reading of ki_stat, the wait message and TDF flags for this
    /// producer (a gcore-stopped sleeper is "sleeping", not "stopped": spec §4.1, §7.3).
    /// </summary>
    internal static ThreadRow Build(Analysis.ThreadAnalysis a)
    {
        var t = a.Thread;
        return new(t.Index, t.Lwp, t.Name, a.Pthread is { } p ? new Hex(p) : null, t.WaitMessage ?? a.WaitChannel,
            t.FreeBsd?.Kinfo is null ? null : a.State.Text,
            t.FreeBsd?.Kinfo is { } k ? KinfoProc.StateName(k.State) : null,
            GeneralRegisterView.PcAndSp(t.Registers),
            ReportMySql.Build(a.Session, a.Join));
    }
}
