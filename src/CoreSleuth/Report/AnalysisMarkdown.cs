using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>
/// <c>coresleuth analyze --format markdown</c>: the same report, fit to paste into a ticket, and as
/// readable raw as rendered. Values from the core are code spans and CoreSleuth's sentences are
/// escaped only where Markdown would misread them (<see cref="MarkdownText"/>), so a path holding
/// <c>|</c>, a backtick or <c>&lt;script&gt;</c> can neither break a table nor inject markup, and
/// every fact reads exactly as in the text report (same sanitising, same bounds, "-" for nothing).
/// </summary>
public static class AnalysisMarkdown
{
    public static void Write(AnalysisReport r, TextWriter w)
    {
        var p = r.Process;
        w.WriteLine($"## CoreSleuth: {V(p.Command, 200)} (pid {(p.Pid is { } pid ? N(pid) : "-")})");
        w.WriteLine();
        w.WriteLine($"- core: {V(r.Core.File, 200)}, written by **{r.Core.Producer}**");
        w.WriteLine($"- {(r.Core.Os == "linux" ? "Linux" : $"FreeBSD {MarkdownText.Prose(r.Core.Release ?? "?", atLineStart: false)} (osreldate {N(r.Core.Osreldate)})")}, {Plural.Of(p.ThreadCount, "thread")}{(p.Signal is null ? "" : $", ended by {p.Signal}")}");
        if (p.Arguments is not null) w.WriteLine($"- command line: {V(p.Arguments, 400)}");
        w.WriteLine();

        w.WriteLine("### Diagnosis");
        w.WriteLine();
        if (r.Crash is { } crash) WriteCrash(r, crash, w);
        if (r.Incomplete.Count == 0)
        {
            w.WriteLine(MarkdownText.Message(AnalysisText.Verdict(r), 600));
            w.WriteLine();
        }
        else
        {
            w.WriteLine($"**{MarkdownText.Message(AnalysisText.Verdict(r), 600)}:**");
            w.WriteLine();
            foreach (var limit in r.Incomplete) w.WriteLine($"- {MarkdownText.Message(limit, 600)}");
            w.WriteLine();
        }
        var roots = AnalysisText.RootLines(r);
        if (roots.Count > 0)
        {
            w.WriteLine("Roots, most waiters first:");
            w.WriteLine();
            for (int i = 0; i < roots.Count; i++) w.WriteLine($"{i + 1}. {MarkdownText.Message(roots[i], 600)}");
            w.WriteLine();
        }
        if (WaitGraphDiagram.HasEdges(r))
        {
            w.WriteLine("Who waits for whom (an arrow points from a waiting thread to the thread it waits for; roots in red, deadlocks in yellow):");
            w.WriteLine();
            w.WriteLine("```mermaid");
            WaitGraphDiagram.WriteMermaid(r, w);
            w.WriteLine("```");
            w.WriteLine();
        }
        foreach (var f in r.Findings)
        {
            if (f.Kind == "blocked-fifo-open")
            {
                string waitingFor = f.Direction == "read" ? "for reading (waiting for a writer)" : "for writing (waiting for a reader)";
                w.WriteLine($"**{f.Confidence}: LWP {f.Lwp}{(f.Pthread is { } pt ? $" (pthread_t {C(pt)})" : "")}{(string.IsNullOrEmpty(f.ThreadName) ? "" : $" {V(f.ThreadName, 200)}")}" +
                    $" is blocked opening {(f.Path is null ? "an unavailable path" : V(f.Path, 400))} {waitingFor}.**");
            }
            else w.WriteLine($"**{f.Confidence}: {MarkdownText.Message(f.Summary ?? f.Kind, 600)}.**");
            w.WriteLine();
            if (f.Flags is not null) w.WriteLine($"- open flags: {C(f.Flags)}");
            if (f.Mysql is { } m)
                w.WriteLine($"- MySQL thread id {m.ThreadId}{(m.QueryId is { } q ? $", query id {q}" : "")}{(m.Query is null ? "" : $": {V(m.Query, 400)}")}");
            if (f.DurationSeconds is { } d) w.WriteLine($"- stuck for: {AnalysisText.Duration(d)} ({f.DurationSource})");
            if (f.Waiters.Count > 0) w.WriteLine($"- waiting behind it: {AnalysisText.Lwps(f.Waiters)}");
            w.WriteLine();
            w.WriteLine("Evidence:");
            w.WriteLine();
            foreach (var e in f.Evidence) w.WriteLine($"- {MarkdownText.Message(e, 600)}");
            w.WriteLine();
            w.WriteLine("What to do:");
            w.WriteLine();
            foreach (var a in f.Advice) w.WriteLine($"- {MarkdownText.Advice(a, 600)}");
            w.WriteLine();
        }

        if (r.Handles.Count > 0)
        {
            w.WriteLine("### OS thread handles");
            w.WriteLine();
            Table(w, ["handle", "status", "LWP", "thread", "source", "MySQL id", "reason"],
                r.Handles.Select(h => new[]
                {
                    Cell(h.Handle), h.Status, N(h.Lwp), h.ThreadIndex is not { } i ? "-" : string.IsNullOrEmpty(h.ThreadName) ? $"#{i}" : $"#{i} {V(h.ThreadName, 40, inTable: true)}",
                    h.Source, N(h.MysqlThreadId), h.Reason is { Length: > 0 } ? MarkdownText.Message(h.Reason, 300, inTable: true) : "-",
                }));
            w.WriteLine();
        }

        w.WriteLine("### Threads");
        w.WriteLine();
        Table(w, ["#", "LWP", "pthread_t", "name", "category", "wait", "slept", "waits for", "syscall", "pc"],
            r.Threads.Select(t => new[]
            {
                t.Index.ToString(CultureInfo.InvariantCulture), t.Lwp.ToString(CultureInfo.InvariantCulture), Cell(t.Pthread),
                V(t.Name, 200, inTable: true), t.Category ?? "-", V(t.Wait, 200, inTable: true), AnalysisText.Slept(t), AnalysisText.WaitsFor(t),
                t.Syscall is { } s ? V(s.Display, 400, inTable: true) : "-",
                Cell(t.Frames.Count > 0 ? t.Frames[0].Pc : null),
            }));
        w.WriteLine();
        if (r.Threads.Any(t => t.SleepCountsFrom == "stop"))
        {
            w.WriteLine(MarkdownText.Message(AnalysisText.SinceStopNote, 600) + ".");
            w.WriteLine();
        }

        if (r.Stacks.Count > 0)
        {
            w.WriteLine("### Stacks (threads with identical backtraces)");
            w.WriteLine();
            Table(w, ["threads", "LWPs", "backtrace (innermost first)"],
                r.Stacks.Select(g => new[]
                {
                    g.Count.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", g.Lwps.Take(8)) + (g.Lwps.Count > 8 ? ", …" : ""),
                    string.Join(" ← ", g.Frames.Select(f => V(f, 80, inTable: true))),
                }));
            w.WriteLine();
        }

        var blocked = r.Findings.SelectMany(f => f.Cycle.Prepend(f.Lwp)).ToHashSet();
        foreach (var t in r.Threads.Where(t => blocked.Contains(t.Lwp)))
        {
            w.WriteLine($"<details><summary>Thread {t.Index} (LWP {t.Lwp}) registers and backtrace</summary>");
            w.WriteLine();
            // An indented block, not a fence: no string from the core can close it.
            foreach (var (name, value) in t.Registers) w.WriteLine($"    {name,-6} {value.ToString(16)}");
            w.WriteLine();
            for (int i = 0; i < t.Frames.Count; i++) FrameText.Write(w, "    ", i, t.Frames[i], moduleBound: 200);
            w.WriteLine();
            w.WriteLine("</details>");
            w.WriteLine();
        }

        if (r.Warnings.Count > 0)
        {
            w.WriteLine($"### {TextReport.WarningsHeading(r.Warnings.Count)}");
            w.WriteLine();
            foreach (var warning in r.Warnings) w.WriteLine($"- {MarkdownText.Message(warning, TextReport.WarningBound)}");
        }
    }

    /// <summary>The fatal signal, as the text report's crash block: a bold sentence, its facts, evidence, and the thread's top frames as an indented block.</summary>
    private static void WriteCrash(AnalysisReport r, ReportCrash crash, TextWriter w)
    {
        w.WriteLine($"**Fatal signal: {MarkdownText.Message(crash.Summary, 600)}**");
        w.WriteLine();
        foreach (var (label, value) in crash.Facts()) w.WriteLine($"- {label}: {MarkdownText.Message(value, 300)}");
        w.WriteLine();
        w.WriteLine("Evidence:");
        w.WriteLine();
        foreach (var e in crash.Evidence) w.WriteLine($"- {MarkdownText.Message(e, 600)}");
        w.WriteLine();
        if (r.Threads.FirstOrDefault(t => t.Lwp == crash.Lwp) is { Frames.Count: > 0 } thread)
        {
            w.WriteLine($"Top frames of LWP {crash.Lwp}:");
            w.WriteLine();
            // An indented block, not a fence: no string from the core can close it.
            for (int i = 0; i < Math.Min(thread.Frames.Count, ReportCrash.TopFrames); i++) FrameText.Write(w, "    ", i, thread.Frames[i], moduleBound: 200);
            w.WriteLine();
        }
    }

    private static void Table(TextWriter w, string[] headings, IEnumerable<string[]> rows)
    {
        w.WriteLine("| " + string.Join(" | ", headings) + " |");
        w.WriteLine("|" + string.Concat(headings.Select(_ => " --- |")));
        foreach (var row in rows) w.WriteLine("| " + string.Join(" | ", row) + " |");
    }

    private static string V(string? value, int bound, bool inTable = false) => MarkdownText.Value(value, bound, inTable);

    /// <summary>A number or address CoreSleuth formatted: a code span, as the values from the core beside it.</summary>
    private static string C(object value) => MarkdownText.Code(value.ToString() ?? "");

    private static string Cell(Hex? value) => value is { } v ? C(v) : "-";

    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
    private static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
