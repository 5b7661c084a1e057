using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>
/// <c>coresleuth analyze</c> for people at a terminal: the diagnosis first (one block per
/// finding), then handles, a threads table, per-thread details and warnings. Every string from
/// the core passes through <see cref="TextSanitizer"/>.
/// </summary>
public static class AnalysisText
{
    private const int Bound = 200;

    public static void Write(AnalysisReport r, TextWriter w)
    {
        var p = r.Process;
        w.WriteLine($"CoreSleuth analysis of {S(r.Core.File)}");
        w.WriteLine($"{(S(p.Command) is { Length: > 0 } command ? command : "-")} (pid {N(p.Pid)}), FreeBSD {r.Core.Release ?? "?"} (osreldate {N(r.Core.Osreldate)}), core written by {r.Core.Producer}, {Plural.Of(p.ThreadCount, "thread")}{(p.Signal is null ? "" : $", ended by {p.Signal}")}");
        if (p.Arguments is not null) w.WriteLine($"command line: {S(p.Arguments, 400)}");
        w.WriteLine();

        w.WriteLine("DIAGNOSIS");
        if (r.Crash is { } crash) WriteCrash(r, crash, w);
        w.WriteLine(Verdict(r));
        foreach (var limit in r.Incomplete) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(limit, 600)}");
        foreach (var f in r.Findings)
        {
            w.WriteLine();
            string waitingFor = f.Direction == "read" ? "for reading: it waits for a writer" : "for writing: it waits for a reader";
            w.WriteLine($"[{f.Confidence}] LWP {f.Lwp}{(f.Pthread is { } pt ? $" (pthread_t {pt})" : "")}{(f.ThreadName is null ? "" : $" \"{S(f.ThreadName)}\"")} is blocked opening {Quote(f.Path)} {waitingFor}");
            if (f.Flags is not null) w.WriteLine($"  flags: {f.Flags}");
            if (f.Mysql is { } m)
                w.WriteLine($"  MySQL thread id {m.ThreadId}{(m.QueryId is { } q ? $", query id {q}" : "")}{(m.Query is null ? "" : $": {S(m.Query, 400)}")}");
            w.WriteLine("  evidence:");
            foreach (var e in f.Evidence) w.WriteLine($"    - {TextSanitizer.SanitizeMessage(e, 600)}");
            w.WriteLine("  what to do:");
            foreach (var a in f.Advice) w.WriteLine($"    - {TextSanitizer.SanitizeMessage(a, 600)}");
        }

        if (r.Handles.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("HANDLES");
            var t = new TextTable(new("HANDLE", true), new("STATUS"), new("LWP", true), new("THREAD"), new("SOURCE"), new("MYSQL_ID", true), new("REASON"));
            foreach (var h in r.Handles)
                t.Add(h.Handle.ToString(), h.Status, N(h.Lwp), h.ThreadIndex is { } i ? $"#{i} {S(h.ThreadName, 40)}".TrimEnd() : "-",
                    h.Source, N(h.MysqlThreadId), TextSanitizer.SanitizeMessage(h.Reason, 300) is { Length: > 0 } reason ? reason : "-");
            t.Write(w);
        }

        w.WriteLine();
        w.WriteLine("THREADS");
        var threads = new TextTable(new("#", true), new("LWP", true), new("PTHREAD_T", true), new("NAME"), new("WAIT"), new("SYSCALL"), new("PC", true));
        foreach (var th in r.Threads)
            threads.Add(th.Index.ToString(CultureInfo.InvariantCulture), th.Lwp.ToString(CultureInfo.InvariantCulture),
                th.Pthread?.ToString() ?? "-", S(th.Name, 24) is { Length: > 0 } n ? n : "-", S(th.Wait, 12) is { Length: > 0 } wm ? wm : "-",
                th.Syscall is { } sc ? S(sc.Display, 90) : "-", th.Frames.Count > 0 ? th.Frames[0].Pc.ToString() : "-");
        threads.Write(w);

        if (r.Stacks.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("STACKS (threads with identical backtraces)");
            foreach (var g in r.Stacks)
            {
                string lwps = string.Join(", ", g.Lwps.Take(8)) + (g.Lwps.Count > 8 ? ", …" : "");
                w.WriteLine($"  {g.Count,4} × {string.Join(" ← ", g.Frames.Select(f => S(f, 80)))}  (LWP {lwps})");
            }
        }

        w.WriteLine();
        w.WriteLine("THREAD DETAILS");
        foreach (var th in r.Threads)
        {
            w.WriteLine();
            w.WriteLine($"Thread {th.Index} (LWP {th.Lwp}{(th.Pthread is { } pt ? $", pthread_t {pt}" : "")}{(th.Name is null ? "" : $", \"{S(th.Name)}\"")})");
            if (th.State is not null) w.WriteLine($"  state:    {th.State}");
            if (th.Wait is not null) w.WriteLine($"  wait:     {S(th.Wait)}{(th.WaitMeaning is null ? "" : $" — {th.WaitMeaning}")}");
            if (th.Syscall is { } sc) w.WriteLine($"  syscall:  {S(sc.Display, 400)} [{sc.State}]");
            if (th.Mysql is { } m) w.WriteLine($"  mysql:    thread id {m.ThreadId}{(m.Query is null ? "" : $": {S(m.Query, 200)}")}");
            // Written piece by piece: a thousand threads have tens of thousands of these lines.
            int column = 0;
            foreach (var (name, value) in th.Registers)
            {
                w.Write("  ");
                w.Write(name);
                for (int pad = Math.Min(name.Length, 6); pad < 7; pad++) w.Write(' ');
                FrameText.WriteHex(w, value.Value, sixteenDigits: true);
                if (++column == 4) { w.WriteLine(); column = 0; }
            }
            if (column != 0) w.WriteLine();
            w.WriteLine("  backtrace:");
            for (int i = 0; i < th.Frames.Count; i++) FrameText.Write(w, "    ", i, th.Frames[i], moduleBound: Bound);
            if (th.UnwindStop is not null) w.WriteLine($"    (walk stopped: {TextSanitizer.SanitizeMessage(th.UnwindStop, 300)})");
        }

        if (r.Identity is { } id)
        {
            w.WriteLine();
            w.WriteLine("PTHREAD_T RESOLUTION");
            foreach (var note in id.Notes) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(note, 400)}");
        }
        TextReport.WriteWarnings(r.Warnings, w);
    }

    /// <summary>The fatal signal of a kernel core: what it was, the thread that took it and its top frames; a blank line after.</summary>
    private static void WriteCrash(AnalysisReport r, ReportCrash crash, TextWriter w)
    {
        w.WriteLine($"FATAL SIGNAL: {TextSanitizer.SanitizeMessage(crash.Summary, 600)}");
        var facts = crash.Facts().ToList();
        int width = facts.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in facts) w.WriteLine($"  {(label + ":").PadRight(width)} {TextSanitizer.SanitizeMessage(value, 300)}");
        w.WriteLine("  evidence:");
        foreach (var e in crash.Evidence) w.WriteLine($"    - {TextSanitizer.SanitizeMessage(e, 600)}");
        if (r.Threads.FirstOrDefault(t => t.Lwp == crash.Lwp) is { } thread)
        {
            w.WriteLine($"  top frames of LWP {crash.Lwp}:");
            for (int i = 0; i < Math.Min(thread.Frames.Count, ReportCrash.TopFrames); i++) FrameText.Write(w, "    ", i, thread.Frames[i], moduleBound: Bound);
        }
        w.WriteLine();
    }

    /// <summary>
    /// The diagnosis in one sentence; when the check could not look at everything it says so here,
    /// not only among the warnings, and the lines after it say what it missed.
    /// </summary>
    internal static string Verdict(AnalysisReport r)
    {
        string found = r.Findings.Count switch
        {
            0 => "No thread is blocked opening a FIFO",
            1 => "1 thread is blocked opening a FIFO",
            int n => $"{n.ToString(CultureInfo.InvariantCulture)} threads are blocked opening a FIFO",
        };
        if (r.Incomplete.Count == 0) return found + ".";
        return (r.Findings.Count == 0 ? $"No thread is blocked opening a FIFO among the {Plural.Of(r.Process.ThreadCount, "thread")} read" : found) +
               ", but the check is INCOMPLETE: it could not look at everything";
    }

    private static string S(string? text, int bound = Bound) => TextSanitizer.Sanitize(text, bound);
    private static string Quote(string? path) => path is null ? "(path unavailable)" : $"\"{S(path, 400)}\"";
    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
    private static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
