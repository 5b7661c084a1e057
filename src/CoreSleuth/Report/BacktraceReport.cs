using System.Text.Json;
using CoreSleuth.Analysis;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth bt</c> reports: each thread's frames, as gdb's <c>thread apply all bt</c>, and the stack groups.</summary>
public sealed record BacktraceReport(string Core, IReadOnlyList<BacktraceThread> Threads, IReadOnlyList<ReportStackGroup> Stacks, IReadOnlyList<string> Warnings)
{
    public static BacktraceReport Build(CoreAnalysis analysis, string path, int? lwp)
    {
        var threads = analysis.Threads.Where(t => lwp is null || t.Thread.Lwp == lwp).Select(ReportThread.Build).ToList();
        return new BacktraceReport(path,
            threads.Select(t => new BacktraceThread(t.Index, t.Lwp, t.Name, t.Pthread, t.Frames, t.UnwindStop)).ToList(),
            ReportStackGroup.Group(threads), [.. analysis.Warnings]);
    }

    public static void WriteText(BacktraceReport r, TextWriter w)
    {
        bool first = true;
        foreach (var t in r.Threads)
        {
            if (!first) w.WriteLine();
            first = false;
            w.WriteLine($"Thread {t.Index} (LWP {t.Lwp}{(t.Pthread is { } p ? $", pthread_t {p}" : "")}{(t.Name is null ? "" : $", \"{TextSanitizer.Sanitize(t.Name, 40)}\"")}):");
            for (int i = 0; i < t.Frames.Count; i++)
            {
                var f = t.Frames[i];
                string name = f.Symbol is null ? "??" : TextSanitizer.Sanitize(f.Symbol, 300) + (f.Offset is { } o && o != 0 ? $"+{o}" : "");
                string module = f.Module is null ? "" : $" in {TextSanitizer.Sanitize(f.Module, 100)}";
                w.WriteLine($"#{i,-3} {f.Pc.ToString(16)} {name}{module} [{f.Trust}]");
                foreach (var a in f.Arguments)
                    w.WriteLine($"       {a.Name} = {TextSanitizer.Sanitize(a.Value, 300)}  ({TextSanitizer.SanitizeMessage(a.Source, 300)})");
            }
            if (t.UnwindStop is not null) w.WriteLine($"     (walk stopped: {TextSanitizer.SanitizeMessage(t.UnwindStop, 300)})");
        }
        if (r.Warnings.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Warnings:");
            foreach (var warning in r.Warnings) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(warning, 600)}");
        }
    }

    public static void WriteJson(BacktraceReport r, TextWriter w) => JsonText.Write(r, AnalysisJsonContext.Default.BacktraceReport, w);
}

public sealed record BacktraceThread(int Index, int Lwp, string? Name, Hex? Pthread, IReadOnlyList<ReportFrame> Frames, string? UnwindStop);
