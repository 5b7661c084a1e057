using System.Globalization;
using CoreSleuth.Diagnostics;
using CoreSleuth.Report;

namespace CoreSleuth.Cli;

/// <summary>
/// <c>--timings</c>: the time of each stage, the time since the command line was parsed (argument
/// parsing, JIT and output included; not the runtime's own start-up) and the memory from
/// /proc/self/status, on standard error.
/// </summary>
internal static class TimingsText
{
    public static void Write(StageTimings timings, string corePath, TimeSpan sinceStart, TextWriter stderr)
    {
        var c = CultureInfo.InvariantCulture;
        var stages = timings.Stages;
        stderr.WriteLine($"timings for {TextSanitizer.Sanitize(corePath)}:");
        foreach (var s in stages)
            stderr.WriteLine(string.Create(c, $"  {s.Stage,-20} {s.Elapsed.TotalMilliseconds,9:0.0} ms {s.AllocatedBytes / 1048576.0,8:0.0} MiB allocated{(s.Count > 1 ? $"  ({s.Count} times)" : "")}{(s.Concurrent ? "  (on another thread, alongside the stages above)" : "")}"));
        // Concurrent stages overlap the others: their time is not added, their allocation is.
        stderr.WriteLine(string.Create(c, $"  {"total",-20} {stages.Where(s => !s.Concurrent).Sum(s => s.Elapsed.TotalMilliseconds),9:0.0} ms {stages.Sum(s => s.AllocatedBytes) / 1048576.0,8:0.0} MiB allocated"));
        stderr.WriteLine(string.Create(c, $"  {"command so far",-20} {sinceStart.TotalMilliseconds,9:0.0} ms  (argument parsing, JIT and writing included)"));
        if (Memory() is { } memory) stderr.WriteLine($"  memory: {memory}");
        stderr.WriteLine(string.Create(c, $"  garbage collections: {GC.CollectionCount(0)} (generation 1: {GC.CollectionCount(1)}, generation 2: {GC.CollectionCount(2)}), {GC.GetTotalPauseDuration().TotalMilliseconds:0.0} ms paused"));
    }

    /// <summary>Peak and current resident memory (Linux /proc; FreeBSD and others have no such file and print nothing).</summary>
    private static string? Memory()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        var fields = File.ReadLines(status).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        string F(string key) => fields.TryGetValue(key, out var v) ? v : "?";
        return $"peak resident {F("VmHWM")}; now {F("RssAnon")} anonymous, {F("RssFile")} file-backed (pages of the mapped core)";
    }
}
