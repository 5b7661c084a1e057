using System.Text.Json;
using CoreSleuth.Analysis;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth bt</c> reports: each thread's frames, as gdb's <c>thread apply all bt</c>, and the stack groups.</summary>
public sealed record BacktraceReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<BacktraceThread> Threads, IReadOnlyList<ReportStackGroup> Stacks, IReadOnlyList<string> Warnings)
{
    public static BacktraceReport Build(CoreAnalysis analysis, string path, int? lwp)
    {
        // Only the frames: a thread's registers and system call are not part of a backtrace.
        var threads = analysis.Threads.Where(t => lwp is null || t.Thread.Lwp == lwp)
            .Select(t => new BacktraceThread(t.Thread.Index, t.Thread.Lwp, t.Thread.Name, t.Pthread is { } p ? new Hex(p) : null, ReportFrame.BuildAll(t), t.UnwindStop))
            .ToList();
        return new BacktraceReport(ReportSchemas.Backtrace, ReportCore.Build(analysis.Core, path), ReportProcess.Build(analysis.Core), threads, ReportStackGroup.Group(threads), [.. analysis.Warnings]);
    }

    public static void WriteText(BacktraceReport r, TextWriter w)
    {
        bool first = true;
        foreach (var t in r.Threads)
        {
            if (!first) w.WriteLine();
            first = false;
            w.Write("Thread ");
            FrameText.WriteNumber(w, t.Index);
            w.Write(" (LWP ");
            FrameText.WriteNumber(w, t.Lwp);
            if (t.Pthread is { } p) { w.Write(", pthread_t "); FrameText.WriteHex(w, p.Value); }
            if (t.Name is not null) { w.Write(", \""); w.Write(TextSanitizer.Sanitize(t.Name, 40)); w.Write('"'); }
            w.WriteLine("):");
            for (int i = 0; i < t.Frames.Count; i++) FrameText.Write(w, "", i, t.Frames[i], moduleBound: 100);
            // Whole: why a walk stopped is what the reader needs to judge the frames above (sanitized, never cut).
            if (t.UnwindStop is not null) w.WriteLine($"     (walk stopped: {TextSanitizer.SanitizeMessage(t.UnwindStop, int.MaxValue)})");
        }
        if (r.Warnings.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Warnings:");
            foreach (var warning in r.Warnings) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(warning, 600)}");
        }
    }

    public static void WriteJson(BacktraceReport r, TextWriter w) => JsonText.Write(r, AnalysisJson.Context.BacktraceReport, w);
}

/// <summary>A thread of <c>bt</c>: a thread of <c>analyze</c> with only what a backtrace needs (docs/json.md).</summary>
public sealed record BacktraceThread(int Index, int Lwp, string? Name, Hex? Pthread, IReadOnlyList<ReportFrame> Frames, string? UnwindStop) : IThreadStack;
