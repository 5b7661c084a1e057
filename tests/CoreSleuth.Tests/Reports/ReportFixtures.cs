using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>Reports made by hand for renderer tests: a core and a process that say nothing, and thread rows.</summary>
internal static class ReportFixtures
{
    /// <summary>What <paramref name="write"/> renders of <paramref name="report"/>, with "\n" line ends.</summary>
    public static string Render<T>(T report, Action<T, TextWriter> write)
    {
        var w = new StringWriter { NewLine = "\n" };
        write(report, w);
        return w.ToString();
    }

    public static ReportCore Core(string file) => new(file, "gcore", "amd64", null, null, null, null, null, []);

    public static ReportProcess Process() => new(null, null, null, null, null, null, null, 0, null, null, null, null, null, null, null);

    public static ThreadsReport Threads(string file, IReadOnlyList<ThreadRow> rows, IReadOnlyList<string> warnings) =>
        new(ReportSchemas.Threads, Core(file), Process(), rows, warnings);

    public static ThreadRow Row(int index, int lwp, string? name, ulong rip, ulong rsp, string? wait, string? state, string? kernelState,
        ulong? pthread = null, ReportMySql? mysql = null) =>
        new(index, lwp, name, pthread is { } p ? new Hex(p) : null, wait, state, kernelState,
            new Dictionary<string, Hex> { ["rip"] = rip, ["rsp"] = rsp }, mysql);
}
