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
        w.WriteLine($"{(S(p.Command) is { Length: > 0 } command ? command : "-")} (pid {N(p.Pid)}), {r.Core.SystemText}, core written by {r.Core.Producer}, {Plural.Of(p.ThreadCount, "thread")}{(p.Signal is null ? "" : $", ended by {p.Signal}")}");
        if (p.Arguments is not null) w.WriteLine($"command line: {S(p.Arguments, 400)}");
        w.WriteLine();

        w.WriteLine("DIAGNOSIS");
        if (r.Crash is { } crash) WriteCrash(r, crash, w);
        w.WriteLine(Verdict(r));
        foreach (var limit in r.Incomplete) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(limit, 600)}");
        var roots = RootLines(r);
        if (roots.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Roots, most waiters first:");
            for (int i = 0; i < roots.Count; i++) w.WriteLine($"  {i + 1}. {TextSanitizer.SanitizeMessage(roots[i], 600)}");
        }
        foreach (var f in r.Findings)
        {
            w.WriteLine();
            if (f.Kind == "blocked-fifo-open")
            {
                string waitingFor = f.Direction == "read" ? "for reading: it waits for a writer" : "for writing: it waits for a reader";
                w.WriteLine($"[{f.Confidence}] LWP {f.Lwp}{(f.Pthread is { } pt ? $" (pthread_t {pt})" : "")}{(f.ThreadName is null ? "" : $" \"{S(f.ThreadName)}\"")} is blocked opening {Quote(f.Path)} {waitingFor}");
                if (f.Flags is not null) w.WriteLine($"  flags: {f.Flags}");
            }
            else w.WriteLine($"[{f.Confidence}] {TextSanitizer.SanitizeMessage(f.Summary, 600)}");
            if (f.Mysql is { } m)
                w.WriteLine($"  MySQL thread id {m.ThreadId}{(m.QueryId is { } q ? $", query id {q}" : "")}{(m.Query is null ? "" : $": {S(m.Query, 400)}")}");
            if (f.DurationSeconds is { } d) w.WriteLine($"  stuck for: {Duration(d)} ({f.DurationSource})");
            if (f.Waiters.Count > 0) w.WriteLine($"  waiting behind it: {Lwps(f.Waiters)}");
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
        TextTable.Write(w, ThreadColumns, r.Threads, static (th, cells) =>
        {
            cells[0] = TextCell.Number(th.Index);
            cells[1] = TextCell.Number(th.Lwp);
            cells[2] = th.Pthread is { } pt ? TextCell.Hex(pt.Value) : "-";
            cells[3] = S(th.Name, 24) is { Length: > 0 } n ? n : "-";
            cells[4] = th.Category ?? "-";
            cells[5] = S(th.Wait, 12) is { Length: > 0 } wm ? wm : "-";
            cells[6] = Slept(th);
            cells[7] = th.WaitsFor is [{ Lwp: { } holder }] ? TextCell.Number(holder, "LWP ") : WaitsFor(th);
            cells[8] = th.Syscall is { } sc ? S(sc.Display, 90) : "-";
            cells[9] = th.Frames.Count > 0 ? TextCell.Hex(th.Frames[0].Pc.Value) : "-";
        });
        if (r.Threads.Any(t => t.SleepCountsFrom == "stop"))
            w.WriteLine($"  ({SinceStopNote})");

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
        InParallel.Write(w, r.Threads, WriteThreadDetails);

        if (r.Identity is { } id)
        {
            w.WriteLine();
            w.WriteLine("PTHREAD_T RESOLUTION");
            foreach (var note in id.Notes) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(note, 400)}");
        }
        TextReport.WriteWarnings(r.Warnings, w);
    }

    private static readonly TextColumn[] ThreadColumns =
        [new("#", true), new("LWP", true), new("PTHREAD_T", true), new("NAME"), new("CATEGORY"), new("WAIT"), new("SLEPT", true), new("WAITS FOR"), new("SYSCALL"), new("PC", true)];

    /// <summary>A thread's details: state, activity, waits, system call, registers and backtrace, after a blank line.</summary>
    private static void WriteThreadDetails(TextWriter w, ReportThread th, int index)
    {
        // Written piece by piece, not line by line: ten thousand threads have a hundred thousand of these lines.
        w.WriteLine();
        w.Write("Thread ");
        FrameText.WriteNumber(w, th.Index);
        w.Write(" (LWP ");
        FrameText.WriteNumber(w, th.Lwp);
        if (th.Pthread is { } pt)
        {
            w.Write(", pthread_t ");
            FrameText.WriteHex(w, pt.Value, sixteenDigits: false);
        }
        if (th.Name is not null)
        {
            w.Write(", \"");
            w.Write(S(th.Name));
            w.Write('"');
        }
        w.WriteLine(')');
        Line(w, "  state:    ", th.State);
        Line(w, "  role:     ", th.Role);
        if (th.Activity is not null)
        {
            w.Write("  doing:    ");
            w.Write(th.Activity);
            w.Write(" [");
            w.Write(th.Category);
            w.WriteLine(']');
        }
        if (th.SleepSeconds is not null)
        {
            w.Write("  asleep:   ");
            w.Write(Slept(th));
            w.WriteLine(th.SleepCountsFrom == "stop" ? " (ki_slptime counts from gcore's stop)" : "");
        }
        foreach (var e in th.WaitsFor)
        {
            w.Write("  waits for: ");
            if (e.Lwp is { } h)
            {
                w.Write("LWP ");
                FrameText.WriteNumber(w, h);
            }
            else w.Write("an unknown holder");
            w.Write(": ");
            w.Write(TextSanitizer.SanitizeMessage(e.Resource, 300));
            w.Write(" [");
            w.Write(e.Confidence);
            w.Write(']');
            if (e.Seconds is { } sec)
            {
                w.Write(", for ");
                w.Write(Duration(sec));
            }
            w.WriteLine();
        }
        if (th.Wait is not null)
        {
            w.Write("  wait:     ");
            w.Write(S(th.Wait));
            if (th.WaitMeaning is not null)
            {
                w.Write(" — ");
                w.Write(th.WaitMeaning);
            }
            w.WriteLine();
        }
        if (th.Syscall is { } sc)
        {
            w.Write("  syscall:  ");
            w.Write(S(sc.Display, 400));
            w.Write(" [");
            w.Write(sc.State);
            w.WriteLine(']');
        }
        if (th.Mysql is { } m)
        {
            w.Write("  mysql:    thread id ");
            FrameText.WriteNumber(w, m.ThreadId);
            if (m.Query is not null)
            {
                w.Write(": ");
                w.Write(S(m.Query, 200));
            }
            w.WriteLine();
        }
        WriteRegisters(w, th.Registers);
        w.WriteLine("  backtrace:");
        for (int i = 0; i < th.Frames.Count; i++) FrameText.Write(w, "    ", i, th.Frames[i], moduleBound: Bound);
        if (th.UnwindStop is not null)
        {
            w.Write("    (walk stopped: ");
            w.Write(TextSanitizer.SanitizeMessage(th.UnwindStop, 300));
            w.WriteLine(')');
        }
    }

    /// <summary>
    /// A thread's registers, four to a line (<c>  rax    0x00000000000000d1</c>): laid out in
    /// characters on the stack and written at once, not in a hundred writes.
    /// </summary>
    private static void WriteRegisters(TextWriter w, IReadOnlyDictionary<string, Hex> registers)
    {
        const int MaxLength = 4096;
        Span<char> text = stackalloc char[MaxLength];
        int at = 0, column = 0;
        string newLine = w.NewLine;
        foreach (var (name, value) in registers)
        {
            // "  ", the name padded to 7, 0x and 16 digits, perhaps a newline.
            if (at + 2 + Math.Max(name.Length, 6) + 1 + 18 + newLine.Length > MaxLength)
            {
                w.Write(text[..at]);
                at = 0;
            }
            text[at++] = ' ';
            text[at++] = ' ';
            name.AsSpan().CopyTo(text[at..]);
            at += name.Length;
            for (int pad = Math.Min(name.Length, 6); pad < 7; pad++) text[at++] = ' ';
            at += Hex.Format(value.Value, text[at..], sixteenDigits: true);
            if (++column == 4)
            {
                newLine.AsSpan().CopyTo(text[at..]);
                at += newLine.Length;
                column = 0;
            }
        }
        if (column != 0)
        {
            newLine.AsSpan().CopyTo(text[at..]);
            at += newLine.Length;
        }
        w.Write(text[..at]);
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
        int deadlocks = r.Findings.Count(f => f.Kind == "deadlock");
        int roots = r.Findings.Count(f => f.Kind == "blocked-behind");
        int fifos = r.Findings.Count(f => f.Kind == "blocked-fifo-open");
        int waiting = r.Threads.Count(t => t.WaitsFor.Count > 0);
        var parts = new List<string>();
        if (deadlocks > 0) parts.Add(Plural.Of(deadlocks, "deadlock"));
        if (roots > 0) parts.Add($"{Plural.Of(waiting, "thread")} {(waiting == 1 ? "waits" : "wait")} for others, behind {Plural.Of(roots, "root")}");
        else if (waiting > 0 && deadlocks == 0) parts.Add($"{Plural.Of(waiting, "thread")} {(waiting == 1 ? "waits" : "wait")} for a lock whose holder is unknown");
        if (fifos > 0) parts.Add($"{Plural.Of(fifos, "thread")} {(fifos == 1 ? "is" : "are")} blocked opening a FIFO");
        string found = parts.Count == 0 ? "No thread waits for another and none is blocked opening a FIFO" : Capital(string.Join("; ", parts));
        if (r.Incomplete.Count == 0) return found + ".";
        return (parts.Count == 0 ? $"{found} among the {Plural.Of(r.Process.ThreadCount, "thread")} read" : found) +
               ", but the check is INCOMPLETE: it could not look at everything";
    }

    /// <summary>One line per root (a deadlock or a thread others wait behind), most waiters first: how the diagnosis opens.</summary>
    internal static List<string> RootLines(AnalysisReport r) =>
        r.Findings.Where(f => f.Kind is "deadlock" or "blocked-behind")
            .OrderByDescending(f => f.Waiters.Count + f.Cycle.Count).ThenBy(f => f.Kind == "deadlock" ? 0 : 1)
            .Select(f => f.Summary ?? "").ToList();

    /// <summary>How to read "≥ N s" in the threads table.</summary>
    internal const string SinceStopNote = "≥ N s: ki_slptime restarted when gcore stopped the process, so the thread has slept at least that long";

    internal static string Duration(double seconds) => Analysis.WaitGraph.Durations.Text(seconds);

    internal static string Lwps(IReadOnlyList<int> lwps) =>
        "LWP " + string.Join(", ", lwps.Take(12)) + (lwps.Count > 12 ? $", … ({lwps.Count} in all)" : "");

    /// <summary>ki_slptime as the threads table shows it: "640 s", or "≥ 3 s" when it counts from gcore's stop.</summary>
    internal static string Slept(ReportThread t) => t.SleepSeconds is not { } s ? "-"
        : t.SleepCountsFrom == "stop" ? Analysis.WaitGraph.Durations.AtLeastText(s) : Duration(s);

    /// <summary>The holders a thread waits for, as the threads table shows them.</summary>
    internal static string WaitsFor(ReportThread t) => t.WaitsFor.Count == 0 ? "-"
        : string.Join(", ", t.WaitsFor.Select(e => e.Lwp is { } h ? $"LWP {h}" : "?").Distinct());

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static string S(string? text, int bound = Bound) => TextSanitizer.Sanitize(text, bound);

    private static void Line(TextWriter w, string label, string? value)
    {
        if (value is null) return;
        w.Write(label);
        w.WriteLine(value);
    }
    private static string Quote(string? path) => path is null ? "(path unavailable)" : $"\"{S(path, 400)}\"";
    private static string N(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
    private static string N(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
