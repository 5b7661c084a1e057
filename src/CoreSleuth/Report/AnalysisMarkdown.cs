using System.Globalization;
using System.Text;

namespace CoreSleuth.Report;

/// <summary>
/// <c>coresleuth analyze --format markdown</c>: the same report, fit to paste into a ticket.
/// Strings from the core are sanitised, then every Markdown-active character is backslash-
/// escaped, so a path holding <c>|</c>, a backtick or <c>&lt;script&gt;</c> cannot break a table
/// or inject markup.
/// </summary>
public static class AnalysisMarkdown
{
    public static void Write(AnalysisReport r, TextWriter w)
    {
        var p = r.Process;
        w.WriteLine($"## CoreSleuth: {(p.Command is { Length: > 0 } ? E(p.Command) : "-")} (pid {(p.Pid is { } pid ? N(pid) : "-")})");
        w.WriteLine();
        w.WriteLine($"- core: {E(r.Core.File)}, written by **{r.Core.Producer}**");
        w.WriteLine($"- FreeBSD {E(r.Core.Release ?? "?")} (osreldate {N(r.Core.Osreldate)}), {Plural.Of(p.ThreadCount, "thread")}{(p.Signal is null ? "" : $", ended by {p.Signal}")}");
        if (p.Arguments is not null) w.WriteLine($"- command line: {E(p.Arguments, 400)}");
        w.WriteLine();

        w.WriteLine("### Diagnosis");
        w.WriteLine();
        if (r.Incomplete.Count == 0 && r.Findings.Count == 0) w.WriteLine("No thread is blocked opening a FIFO.");
        if (r.Incomplete.Count > 0)
        {
            w.WriteLine($"**{E(AnalysisText.Verdict(r), 600)}:**");
            w.WriteLine();
            foreach (var limit in r.Incomplete) w.WriteLine($"- {E(limit, 600)}");
            w.WriteLine();
        }
        foreach (var f in r.Findings)
        {
            string waitingFor = f.Direction == "read" ? "for reading (waiting for a writer)" : "for writing (waiting for a reader)";
            w.WriteLine($"**{f.Confidence}: LWP {f.Lwp}{(f.Pthread is { } pt ? $" (pthread\\_t {pt})" : "")} is blocked opening {(f.Path is null ? "an unavailable path" : E(f.Path, 400))} {waitingFor}.**");
            w.WriteLine();
            if (f.Mysql is { } m)
                w.WriteLine($"- MySQL thread id {m.ThreadId}{(m.QueryId is { } q ? $", query id {q}" : "")}{(m.Query is null ? "" : $": {E(m.Query, 400)}")}");
            if (f.Flags is not null) w.WriteLine($"- open flags: {E(f.Flags)}");
            w.WriteLine();
            w.WriteLine("Evidence:");
            w.WriteLine();
            foreach (var e in f.Evidence) w.WriteLine($"- {E(e, 600)}");
            w.WriteLine();
            w.WriteLine("What to do:");
            w.WriteLine();
            foreach (var a in f.Advice) w.WriteLine($"- {E(a, 600)}");
            w.WriteLine();
        }

        if (r.Handles.Count > 0)
        {
            w.WriteLine("### OS thread handles");
            w.WriteLine();
            Table(w, ["handle", "status", "LWP", "source", "MySQL id", "reason"],
                r.Handles.Select(h => new[] { h.Handle.ToString(), h.Status, N(h.Lwp), h.Source, N(h.MysqlThreadId), E(h.Reason ?? "", 300) }));
            w.WriteLine();
        }

        w.WriteLine("### Threads");
        w.WriteLine();
        Table(w, ["#", "LWP", "pthread\\_t", "name", "wait", "syscall", "pc"],
            r.Threads.Select(t => new[]
            {
                t.Index.ToString(CultureInfo.InvariantCulture), t.Lwp.ToString(CultureInfo.InvariantCulture), t.Pthread?.ToString() ?? "",
                E(t.Name ?? "", 40), E(t.Wait ?? ""), t.Syscall is { } s ? E(s.Display, 200) : "", t.Frames.Count > 0 ? t.Frames[0].Pc.ToString() : "",
            }));
        w.WriteLine();

        if (r.Stacks.Count > 0)
        {
            w.WriteLine("### Stacks (threads with identical backtraces)");
            w.WriteLine();
            Table(w, ["threads", "LWPs", "backtrace (innermost first)"],
                r.Stacks.Select(g => new[]
                {
                    g.Count.ToString(CultureInfo.InvariantCulture),
                    string.Join(", ", g.Lwps.Take(8)) + (g.Lwps.Count > 8 ? ", …" : ""),
                    string.Join(" ← ", g.Frames.Select(f => E(f, 120))),
                }));
            w.WriteLine();
        }

        var blocked = r.Findings.Select(f => f.Lwp).ToHashSet();
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
            w.WriteLine("### Warnings");
            w.WriteLine();
            foreach (var warning in r.Warnings) w.WriteLine($"- {E(warning, 600)}");
        }
    }

    private static void Table(TextWriter w, string[] headings, IEnumerable<string[]> rows)
    {
        w.WriteLine("| " + string.Join(" | ", headings) + " |");
        w.WriteLine("|" + string.Concat(headings.Select(_ => " --- |")));
        foreach (var row in rows) w.WriteLine("| " + string.Join(" | ", row) + " |");
    }

    /// <summary>Sanitised for a terminal-safe single line, then Markdown-escaped (CommonMark backslash escapes).</summary>
    public static string E(string? text, int bound = 200)
    {
        string safe = TextSanitizer.Sanitize(text, bound);
        var sb = new StringBuilder(safe.Length + 8);
        foreach (char c in safe)
        {
            if ("\\`*_{}[]<>()#+-.!|~&".Contains(c)) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
    private static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
}
