using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.MySql;

/// <summary>
/// One thread waiting for an InnoDB latch, as sync_array_cell_print (storage/innobase/sync/sync0arr.cc)
/// prints it in the SEMAPHORES section of SHOW ENGINE INNODB STATUS and in the error log's
/// long-semaphore-wait warnings.
/// </summary>
/// <param name="LineNumber">The line of the input with <c>--Thread … has waited at</c> (from 1).</param>
/// <param name="WaiterHandle">The waiting thread's handle: its pthread_t, printed decimal by most versions, <c>0x…</c> by some.</param>
/// <param name="WaitedAtFile">Where it waits (a source file's base name as printed); empty when the copy lost it.</param>
/// <param name="WaitedAtLine">The line of that file.</param>
/// <param name="Seconds">How long it has waited, as printed (<c>%.2f</c> up to 8.0.2x, whole seconds later).</param>
/// <param name="Kind"><c>mutex</c>, <c>rw-lock x</c>, <c>rw-lock s</c>, <c>rw-lock sx</c>, <c>rw-lock x wait</c> (X-lock (wait_ex)), or <c>unknown</c> when no latch line follows.</param>
/// <param name="Address">The latch's address.</param>
/// <param name="CreatedFile">Where the latch was created, as printed (a base name, or a build path in MariaDB 10.x).</param>
/// <param name="CreatedLine">The line of that file.</param>
/// <param name="HolderHandle">The thread holding it: the rw-lock's writer (<c>a writer (thread id N)</c>) or the mutex's owner (<c>locked by N</c>, 8.0.2x); null when not printed.</param>
/// <param name="HolderMode">How the writer holds it: <c>exclusive</c>, <c>wait exclusive</c> or <c>SX</c>; null for a mutex.</param>
/// <param name="LastWriteLockedFile">rw-lock: <c>Last time write locked in file</c> (often a full build path).</param>
/// <param name="LastWriteLockedLine">rw-lock: the line of it.</param>
/// <param name="LastReadLockedFile">rw-lock: <c>Last time read locked in file</c>.</param>
/// <param name="LastReadLockedLine">rw-lock: the line of it.</param>
public sealed record SemaphoreWait(
    int LineNumber, ulong WaiterHandle, string WaitedAtFile, int WaitedAtLine, double Seconds, string Kind,
    ulong? Address, string? CreatedFile, int? CreatedLine, ulong? HolderHandle, string? HolderMode,
    string? LastWriteLockedFile, int? LastWriteLockedLine, string? LastReadLockedFile, int? LastReadLockedLine)
{
    /// <summary>The mutex's name (<c>LOCK_SYS</c>, <c>BUF_POOL</c>) where 5.7, 8.0 and MariaDB 10.2+ print it.</summary>
    public string? MutexName { get; init; }

    /// <summary>The single reader of an rw-lock (<c>number of readers 1 (thread id N)</c>, 8.0.2x and later).</summary>
    public ulong? ReaderHandle { get; init; }

    /// <summary><c>number of readers N</c> of an rw-lock.</summary>
    public int? Readers { get; init; }

    /// <summary>The cell printed <c>wait has ended</c>: the thread was woken while the text was written.</summary>
    public bool WaitHasEnded { get; init; }
}

/// <summary>Reads the semaphore waits of SHOW ENGINE INNODB STATUS text or of an error log.</summary>
public static class InnodbSemaphores
{
    // "--Thread 139640719795968 has waited at btr0cur.cc line 976 for 0.00 seconds the semaphore:" (5.0–8.0.2x, MariaDB),
    // "--Thread 139932014196480 has waited at buf0flu.cc line 1357 for 784 seconds the semaphore:" (8.0 since std::thread::id),
    // whose id libc++ (FreeBSD) prints as a pointer, 0x…. Not anchored: error-log and container prefixes stay in front.
    private static readonly StatusLinePattern ThreadLine = new("--Thread ", @"--Thread (?<handle>0x[0-9a-fA-F]{1,16}|[0-9]{1,20}) has waited at (?<file>.*?) *line (?<line>[0-9]{1,9}) for (?<sec>[0-9]{1,15}(?:\.[0-9]{1,9})?) seconds the semaphore");

    // 5.0–5.6: "Mutex at 0x7f… created file sync0sync.cc line 1234, lock var 1" (5.0/5.1: %lx, no 0x);
    // 5.7, 8.0, MariaDB 10.2+: "Mutex at 0x29468b8, Mutex BUF_POOL created buf0buf.cc:1731, lock var 1";
    // 8.0.2x: "…, Mutex LOCK_SYS created lock0lock.cc:461, locked by 140…" (or "locked by nobody").
    // Percona Server 5.5 (XtraDB) names it in quotes: "Mutex at 0xb1b7728 '&buf_pool->mutex', lock var 1".
    private static readonly StatusLinePattern MutexLine = new("Mutex at ", @"Mutex at (?<addr>(?:0x)?[0-9a-fA-F]{1,16})(?: '(?<name>[^']*)')?(?:,? (?:Mutex (?<name>\S+) )?created (?:file (?<file>.*?) line (?<line>[0-9]{1,9})|(?<file>.*?):(?<line>[0-9]{1,9})))?(?:, (?:lock var [0-9]+|locked by (?<holder>0x[0-9a-fA-F]{1,16}|[0-9]{1,20}|nobody)))?");

    // "X-lock on RW-latch at 0x7f… created in file dict0dict.cc line 2737", also "S-lock", "SX-lock", "X-lock (wait_ex)".
    private static readonly StatusLinePattern RwLockLine = new(" on RW-latch at ", @"(?<kind>SX-lock|X-lock \(wait_ex\)|X-lock|S-lock) on RW-latch at (?<addr>(?:0x)?[0-9a-fA-F]{1,16})(?: created in file (?<file>.*?) *line (?<line>[0-9]{1,9}))?");

    // "a writer (thread id 139640394835712) has reserved it in mode  exclusive" ("mode %s" with " exclusive" until 8.0.2x).
    private static readonly StatusLinePattern WriterLine = new("a writer (thread id ", @"a writer \(thread id (?<handle>0x[0-9a-fA-F]{1,16}|[0-9]{1,20})\) has reserved it in mode +(?<mode>wait exclusive|exclusive|SX)");

    // "number of readers 1, waiters flag 1, lock_word: fffffff"; 8.0.2x: "number of readers 1 (thread id 140…), waiters flag 1, …".
    private static readonly StatusLinePattern ReadersLine = new("number of readers ", @"number of readers (?<n>[0-9]{1,9})(?: \(thread id (?<handle>0x[0-9a-fA-F]{1,16}|[0-9]{1,20})\))?");

    private static readonly StatusLinePattern LastLockedLine = new("Last time ", @"Last time (?<which>read|write) locked in file (?<file>.*?) *line (?<line>[0-9]{1,9})");

    /// <summary>Lines that end a thread's block: the next block, the array's header, an error-log message or a section rule.</summary>
    private static bool EndsBlock(string line)
    {
        string t = line.Trim();
        return t.Contains("OS WAIT ARRAY INFO", StringComparison.Ordinal)
               || t.Contains("semaphore wait", StringComparison.OrdinalIgnoreCase)
               || t.Contains("InnoDB: ###", StringComparison.Ordinal)
               || t.Contains("[Note]", StringComparison.Ordinal) || t.Contains("[Warning]", StringComparison.Ordinal)
               || t.Contains("[ERROR]", StringComparison.Ordinal) || t.Contains("[System]", StringComparison.Ordinal)
               || (t.Length >= 3 && !t.AsSpan().ContainsAnyExcept('-', '='));
    }

    /// <summary>
    /// Every <c>--Thread H has waited at F line N for S seconds the semaphore:</c> block of the text,
    /// with the latch lines after it, in any form the mysql client prints the status in, or as an
    /// error log (<c>InnoDB: Warning: a long semaphore wait:</c> / <c>A long semaphore wait:</c>).
    /// Lines that do not have the form are ignored; values that do not fit are left null.
    /// </summary>
    public static IReadOnlyList<SemaphoreWait> Read(string innodbStatusText)
    {
        ArgumentNullException.ThrowIfNull(innodbStatusText);
        var lines = MySqlSessions.StatusLines(innodbStatusText);
        var waits = new List<SemaphoreWait>();
        for (int i = 0; i < lines.Count; i++)
        {
            var head = ThreadLine.Match(lines[i].Text);
            if (!head.Success || Handle(head.Groups["handle"].Value) is not { } waiter
                || !int.TryParse(head.Groups["line"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int waitedLine)
                || !double.TryParse(head.Groups["sec"].ValueSpan, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds))
                continue;
            var wait = new SemaphoreWait(lines[i].Number, waiter, head.Groups["file"].Value.Trim(), waitedLine, seconds, "unknown",
                null, null, null, null, null, null, null, null, null);
            int k = i + 1;
            for (; k < lines.Count && !ThreadLine.IsMatch(lines[k].Text) && !EndsBlock(lines[k].Text); k++)
                wait = WithLine(wait, lines[k].Text);
            waits.Add(wait);
            i = k - 1;
        }
        return waits;
    }

    /// <summary>The wait with what one line of its block says; a line of no known form changes nothing.</summary>
    private static SemaphoreWait WithLine(SemaphoreWait w, string line)
    {
        if (line.Contains("wait has ended", StringComparison.Ordinal)) return w with { WaitHasEnded = true };
        if (MutexLine.Match(line) is { Success: true } m && w.Kind == "unknown")
            return w with
            {
                Kind = "mutex", Address = Address(m.Groups["addr"].Value), MutexName = NonEmpty(m.Groups["name"]),
                CreatedFile = NonEmpty(m.Groups["file"]), CreatedLine = Number(m.Groups["line"]),
                HolderHandle = m.Groups["holder"] is { Success: true } h ? Handle(h.Value) : null,
            };
        if (RwLockLine.Match(line) is { Success: true } rw && w.Kind == "unknown")
            return w with
            {
                Kind = rw.Groups["kind"].Value switch
                {
                    "SX-lock" => "rw-lock sx", "X-lock (wait_ex)" => "rw-lock x wait", "X-lock" => "rw-lock x", _ => "rw-lock s",
                },
                Address = Address(rw.Groups["addr"].Value), CreatedFile = NonEmpty(rw.Groups["file"]), CreatedLine = Number(rw.Groups["line"]),
            };
        if (WriterLine.Match(line) is { Success: true } wr)
            return w with { HolderHandle = Handle(wr.Groups["handle"].Value), HolderMode = wr.Groups["mode"].Value };
        if (ReadersLine.Match(line) is { Success: true } rd)
            return w with
            {
                Readers = Number(rd.Groups["n"]),
                ReaderHandle = rd.Groups["handle"] is { Success: true } rh ? Handle(rh.Value) : null,
            };
        if (LastLockedLine.Match(line) is { Success: true } last)
            return last.Groups["which"].Value == "read"
                ? w with { LastReadLockedFile = NonEmpty(last.Groups["file"]), LastReadLockedLine = Number(last.Groups["line"]) }
                : w with { LastWriteLockedFile = NonEmpty(last.Groups["file"]), LastWriteLockedLine = Number(last.Groups["line"]) };
        return w;
    }

    /// <summary>A thread handle: hex after 0x, else decimal (os_thread_pf, UINT64PF); null past 64 bits.</summary>
    internal static ulong? Handle(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex) ? hex : null
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong dec) ? dec : null;

    /// <summary>A latch address: %p (0x… on FreeBSD and glibc, bare hex digits on Windows) or %lx (5.0/5.1): always hex.</summary>
    private static ulong? Address(string text)
    {
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan();
        return ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong a) ? a : null;
    }

    private static int? Number(Group g) =>
        g.Success && int.TryParse(g.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    private static string? NonEmpty(Group g) => g.Success && g.Value.Trim() is { Length: > 0 } v ? v : null;
}
