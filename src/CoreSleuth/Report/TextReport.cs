using System.Globalization;
using CoreSleuth.Memory;
using static CoreSleuth.Report.TextSanitizer;

namespace CoreSleuth.Report;

/// <summary>
/// Renders reports as aligned plain text for people. Every string that came from the core goes
/// through <see cref="TextSanitizer"/>; lines never end in spaces.
/// </summary>
public static class TextReport
{
    /// <summary>Bounds on strings from the core, so one hostile string cannot flood the terminal.</summary>
    private const int NameBound = 64, PathBound = 1024, ArgumentsBound = 4096;

    /// <summary>Every report, text or Markdown, ends with its warnings under this heading (the form the README shows), one bounded line each.</summary>
    internal static string WarningsHeading(int count) => $"Warnings ({count})";

    internal const int WarningBound = 2048;

    public static void Write(InfoReport report, TextWriter w)
    {
        var p = report.Process;
        var c = report.Core;
        w.WriteLine($"Core: {Sanitize(c.File, PathBound)}");
        w.WriteLine();
        w.WriteLine("Process");
        var t = KeyValues();
        t.Add("pid", Number(p.Pid));
        t.Add("ppid", Number(p.Ppid));
        t.Add("uid", p.Uid is { } uid ? uid.ToString(CultureInfo.InvariantCulture) : "-");
        t.Add("command", Text(p.Command, NameBound));
        t.Add("arguments", p.Arguments is null ? "-" : $"{Sanitize(p.Arguments, ArgumentsBound)}  (from {p.ArgumentsSource})");
        t.Add("osreldate", c.Osreldate is { } osrel
            ? $"{osrel}{(c.Release is { } rel ? $" (FreeBSD {rel})" : "")}  (from {c.OsreldateSource})"
            : "-");
        if (c.ProducerOsreldate is { } prOsRel)
        {
            string whose = c.Producer switch { "kernel" => "the kernel that wrote the core", "gcore" => "the gcore that wrote the core", _ => "the core's producer" };
            t.Add("pr_osreldate", $"{prOsRel}{(c.ProducerRelease is { } prRel ? $" (FreeBSD {prRel})" : "")}  ({whose})");
        }
        t.Add("start time", p.StartTime is { } start ? start.ToString("yyyy-MM-dd HH:mm:ss.ffffff 'UTC'", CultureInfo.InvariantCulture) : "-");
        t.Add("emulation", Text(p.Emulation, NameBound));
        t.Add("cwd", Text(p.WorkingDirectory, PathBound));
        t.Add("exe", Text(p.Executable, PathBound));
        if (p.SignalNumber is { } sig)
        {
            // The name the core's own system gives the number (SIGBUS is 10 on FreeBSD, 7 on Linux); the number alone when it has none.
            string? name = p.Signal == sig.ToString(CultureInfo.InvariantCulture) ? null : p.Signal;
            t.Add("signal", $"{sig} ({name}{(p.SignalDescription is { } d ? $", {d}" : "")})");
        }
        t.Add("threads", p.ThreadCount.ToString(CultureInfo.InvariantCulture));
        t.Add("producer", c.Producer);
        foreach (var e in c.ProducerEvidence) t.Add("", $"- {SanitizeMessage(e, WarningBound)}");
        t.Write(w);

        w.WriteLine();
        w.WriteLine($"Open files ({report.OpenFiles.Count})");
        if (report.OpenFiles.Count > 0)
        {
            var f = new TextTable(new("FD", true), new("TYPE"), new("FLAGS"), new("OFFSET", true), new("PATH")) { Indent = "  " };
            foreach (var r in report.OpenFiles)
                f.Add(r.Descriptor, r.Kind, r.FlagLetters, r.Position is { } o ? new Hex((ulong)o).ToString() : "-", Sanitize(r.Path, PathBound));
            f.Write(w);
        }

        w.WriteLine();
        w.WriteLine($"Mappings ({report.Mappings.Count})");
        if (report.Mappings.Count > 0)
        {
            var m = new TextTable(new("START", true), new("END", true), new("SIZE", true), new("OFFSET", true),
                new("PROT"), new("FLAGS"), new("TYPE"), new("CORE"), new("PATH")) { Indent = "  " };
            foreach (var r in report.Mappings)
                m.Add(r.Start.ToString(), r.End.ToString(), r.Size.ToString(), r.Offset.ToString(), r.Protection, r.Flags, r.Type,
                    r.Coverage.State, Sanitize(r.Path, PathBound));
            m.Write(w);
        }

        w.WriteLine();
        w.WriteLine($"Auxiliary vector ({report.Auxv.Count})");
        if (report.Auxv.Count > 0)
        {
            var a = new TextTable(new("TYPE", true), new("NAME"), new("DESCRIPTION"), new("VALUE")) { Indent = "  " };
            foreach (var r in report.Auxv)
                a.Add(r.Number.ToString(CultureInfo.InvariantCulture), r.Name, r.Description, r.Display); // Display is already sanitised
            a.Write(w);
        }

        w.WriteLine();
        w.WriteLine($"Resource limits ({report.ResourceLimits.Count})");
        if (report.ResourceLimits.Count > 0)
        {
            var l = new TextTable(new("RESOURCE"), new("CURRENT", true), new("MAXIMUM", true)) { Indent = "  " };
            foreach (var r in report.ResourceLimits)
                l.Add(r.Name, Limit(r.Current, r.CurrentIsInfinity), Limit(r.Maximum, r.MaximumIsInfinity));
            l.Write(w);
        }

        w.WriteLine();
        var g = KeyValues(indent: "");
        g.Add("Groups:", report.Groups.Count == 0 ? "-" : string.Join(' ', report.Groups));
        g.Add("Umask:", report.Umask is { } um ? "0" + Convert.ToString(um, 8).PadLeft(3, '0') : "-");
        g.Write(w);

        WriteWarnings(report.Warnings, w);
    }

    public static void Write(ThreadsReport report, TextWriter w)
    {
        bool pthreads = report.Threads.Any(r => r.Pthread is not null), mysql = report.Threads.Any(r => r.Mysql is not null);
        var columns = new List<TextColumn> { new("#", true), new("LWP", true) };
        if (pthreads) columns.Add(new("PTHREAD_T", true));
        if (mysql) columns.AddRange([new("MYSQL_ID", true), new("COMMAND"), new("TIME", true), new("MYSQL_STATE")]);
        columns.AddRange([new("NAME"), new("RIP", true), new("RSP", true), new("WAIT"), new("STATE")]);
        // Rows written as they are made, numbers into the line: no strings or lists per row (ten thousand threads).
        TextTable.Write(w, [.. columns], report.Threads, (r, cells) =>
        {
            int c = 0;
            cells[c++] = TextCell.Number(r.Index);
            cells[c++] = TextCell.Number(r.Lwp);
            if (pthreads) cells[c++] = r.Pthread is { } p ? TextCell.Hex(p.Value) : "-";
            if (mysql)
            {
                cells[c++] = r.Mysql is { } m ? TextCell.Number(m.ThreadId) : "-";
                cells[c++] = Text(r.Mysql?.Command, NameBound);
                cells[c++] = r.Mysql?.Time is { } time ? TextCell.Number(time) : "-";
                cells[c++] = Text(r.Mysql?.State, NameBound);
            }
            cells[c++] = Text(r.Name, NameBound);
            cells[c++] = TextCell.Hex(r.Registers["rip"].Value);
            cells[c++] = TextCell.Hex(r.Registers["rsp"].Value);
            cells[c++] = Text(r.Wait, NameBound);
            cells[c] = r.State ?? "-";
        });
        WriteWarnings(report.Warnings, w);
    }

    public static void Write(RegistersReport report, TextWriter w)
    {
        bool first = true;
        foreach (var thread in report.Threads)
        {
            if (!first) w.WriteLine();
            first = false;
            string name = thread.Name is null ? "" : $", {Quote(thread.Name, NameBound)}";
            w.WriteLine($"Thread {thread.Index} (LWP {thread.Lwp}{name}):");
            var t = new TextTable(new("NAME"), new("VALUE"), new("NATURAL")) { ShowHeadings = false };
            foreach (var r in thread.Rows) t.Add(r.Name, r.Value, r.Natural);
            t.Write(w);
            foreach (var m in thread.Missing) w.WriteLine($"({m})");
        }
        WriteWarnings(report.Warnings, w);
    }

    public static void Write(MemoryReport report, TextWriter w)
    {
        if (report.Words is { } words) WriteWords(words, w);
        if (report.Strings is { } strings) WriteStrings(strings, w);
        WriteWarnings(report.Warnings, w);
    }

    /// <summary>gdb's <c>x/Ngx</c> layout: two zero-padded words per line after an address label; a run of unavailable words is one line with its reason.</summary>
    private static void WriteWords(IReadOnlyList<MemoryWord> words, TextWriter w)
    {
        int labelWidth = words.Count == 0 ? 0 : words.Max(x => x.Address.ToString().Length) + 1;
        string Label(Hex address) => (address + ":").PadRight(labelWidth);
        int i = 0;
        while (i < words.Count)
        {
            if (words[i].Value is null)
            {
                int run = 1;
                while (i + run < words.Count && words[i + run].Value is null) run++;
                string count = run == 1 ? "1 word" : $"{run} words";
                w.WriteLine($"{Label(words[i].Address)}  unavailable ({count}): {SanitizeMessage(words[i].Unavailable, WarningBound)}");
                i += run;
                continue;
            }
            var line = new System.Text.StringBuilder(Label(words[i].Address));
            for (int k = 0; k < 2 && i < words.Count && words[i].Value is { } v; k++, i++)
                line.Append("  ").Append(v.ToString(16));
            w.WriteLine(line.ToString());
        }
    }

    /// <summary>gdb's <c>x/s</c>: the address, then the string in quotes; a cut or missing string says why.</summary>
    private static void WriteStrings(IReadOnlyList<MemoryString> strings, TextWriter w)
    {
        int labelWidth = strings.Count == 0 ? 0 : strings.Max(x => x.Address.ToString().Length) + 1;
        foreach (var s in strings)
        {
            string label = (s.Address + ":").PadRight(labelWidth);
            string quoted = $"\"{s.Escaped.Replace("\"", "\\\"")}\"";
            w.WriteLine(s.Status switch
            {
                CoreStringStatus.Complete => $"{label}  {quoted}",
                CoreStringStatus.Truncated => $"{label}  {quoted}{Ellipsis}  (no NUL within {s.Length} bytes)",
                CoreStringStatus.CutShort => $"{label}  {quoted}  (unavailable after {s.Length} bytes: {SanitizeMessage(s.Unavailable, WarningBound)})",
                _ => $"{label}  unavailable: {SanitizeMessage(s.Unavailable, WarningBound)}",
            });
        }
    }

    /// <summary>The warnings as every text report ends: a blank line, the heading, one line each.</summary>
    internal static void WriteWarnings(IReadOnlyList<string> warnings, TextWriter w)
    {
        if (warnings.Count == 0) return;
        w.WriteLine();
        w.WriteLine(WarningsHeading(warnings.Count));
        foreach (var warning in warnings) w.WriteLine($"  - {SanitizeMessage(warning, WarningBound)}");
    }

    private static TextTable KeyValues(string indent = "  ") => new(new TextColumn(""), new TextColumn("")) { ShowHeadings = false, Indent = indent };

    private static string Text(string? value, int bound) => string.IsNullOrEmpty(value) ? "-" : Sanitize(value, bound);

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Limit(long value, bool infinity) => infinity ? "infinity" : value.ToString(CultureInfo.InvariantCulture);
}
