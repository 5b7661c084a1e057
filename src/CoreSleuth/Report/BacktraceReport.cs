using System.Text.Json;
using CoreSleuth.Analysis;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth bt</c> reports: each thread's frames, as gdb's <c>thread apply all bt</c>, and the stack groups.</summary>
public sealed record BacktraceReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<BacktraceThread> Threads, IReadOnlyList<ReportStackGroup> Stacks, IReadOnlyList<string> Warnings)
{
    public static BacktraceReport Build(CoreAnalysis analysis, string path, int? lwp)
    {
        // Only the frames: a thread's registers and system call are not part of a backtrace.
        var threads = InParallel.Map(analysis.Threads.Where(t => lwp is null || t.Thread.Lwp == lwp).ToList(),
            t => new BacktraceThread(t.Thread.Index, t.Thread.Lwp, t.Thread.Name, t.Pthread is { } p ? new Hex(p) : null, ReportFrame.BuildAll(t), t.UnwindStop));
        return new BacktraceReport(ReportSchemas.Backtrace, ReportCore.Build(analysis.Core, path), ReportProcess.Build(analysis.Core), threads, ReportStackGroup.Group(threads), [.. analysis.Warnings]);
    }

    public static void WriteText(BacktraceReport r, TextWriter w)
    {
        InParallel.Write(w, r.Threads, WriteThread);
        WriteSharedStacks(r, w);
        TextReport.WriteWarnings(r.Warnings, w);
    }

    private static void WriteThread(TextWriter w, BacktraceThread t, int index)
    {
        if (index > 0) w.WriteLine();
        w.Write("Thread ");
        FrameText.WriteNumber(w, t.Index);
        w.Write(" (LWP ");
        FrameText.WriteNumber(w, t.Lwp);
        if (t.Pthread is { } p) { w.Write(", pthread_t "); FrameText.WriteHex(w, p.Value); }
        if (t.Name is not null) { w.Write(", \""); w.Write(TextSanitizer.Sanitize(t.Name, 40)); w.Write('"'); }
        w.WriteLine("):");
        for (int i = 0; i < t.Frames.Count; i++) FrameText.Write(w, "", i, t.Frames[i], moduleBound: 100);
        // Whole: why a walk stopped is what the reader needs to judge the frames above (sanitized, never cut).
        if (t.UnwindStop is not null)
        {
            w.Write("     (walk stopped: ");
            w.Write(TextSanitizer.SanitizeMessage(t.UnwindStop, int.MaxValue));
            w.WriteLine(')');
        }
    }

    /// <summary>
    /// As pt-pmp sums up a server: each stack that several threads share, once, after the line
    /// "N threads: LWP a, b, c", most threads first. Of a thousand idle connections this is the
    /// one stack to read; a stack of one thread is not repeated (the backtraces above show it).
    /// Frames are the function names that make stacks "the same" (the JSON's "stacks").
    /// </summary>
    private static void WriteSharedStacks(BacktraceReport r, TextWriter w)
    {
        if (r.Threads.Count < 2) return;
        var shared = r.Stacks.Where(g => g.Count > 1 && g.Frames.Count > 0).ToList();
        w.WriteLine();
        if (shared.Count == 0)
        {
            w.WriteLine("Threads with identical stacks: none; every thread's stack is its own.");
            return;
        }
        w.WriteLine($"Threads with identical stacks: {Plural.Of(shared.Count, "stack")} shared by {Plural.Of(shared.Sum(g => g.Count), "thread")}");
        foreach (var g in shared)
        {
            w.WriteLine();
            FrameText.WriteNumber(w, g.Count);
            w.Write(" threads: LWP ");
            for (int i = 0; i < g.Lwps.Count; i++)
            {
                if (i > 0) w.Write(", ");
                FrameText.WriteNumber(w, g.Lwps[i]);
            }
            w.WriteLine();
            for (int i = 0; i < g.Frames.Count; i++)
            {
                w.Write('#');
                FrameText.WriteNumber(w, i, width: -3);
                w.Write(' ');
                w.WriteLine(TextSanitizer.Sanitize(g.Frames[i], 300));
            }
        }
    }

    public static void WriteJson(BacktraceReport r, TextWriter w) => JsonText.Write(r, AnalysisJson.Context.BacktraceReport, w);
}

/// <summary>A thread of <c>bt</c>: a thread of <c>analyze</c> with only what a backtrace needs (docs/json.md).</summary>
public sealed record BacktraceThread(int Index, int Lwp, string? Name, Hex? Pthread, IReadOnlyList<ReportFrame> Frames, string? UnwindStop) : IThreadStack;
