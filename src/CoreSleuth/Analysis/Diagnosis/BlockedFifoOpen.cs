using CoreSleuth.Analysis.MySql;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.FreeBsd;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Diagnosis;

public enum Confidence { Certain, Likely }

/// <summary>
/// A thread blocked in <c>open()</c> of a FIFO with no peer (spec §8.1): it sleeps in
/// <c>fifo_open</c> until another process opens the same FIFO for the other direction.
/// </summary>
public sealed record BlockedFifoOpen(
    int Lwp,
    ulong? Pthread,
    string? ThreadName,
    string? Path,
    uint Flags,
    OpenDirection Direction,
    Confidence Confidence,
    MySqlSession? Session,
    bool PathInOpenFiles,
    IReadOnlyList<MemoryTextHit> StatementsInMemory,
    IReadOnlyList<string> Evidence,
    IReadOnlyList<string> Advice)
{
    public const string Kind = "blocked-fifo-open";

    /// <summary>How <see cref="Session"/> was joined to the thread; null without a session.</summary>
    public SessionJoin? Join { get; init; }

    /// <summary>Whose open flags <see cref="Flags"/> are.</summary>
    public required ISystemCallAbi Abi { get; init; }

    /// <summary><see cref="Flags"/> by name, with the constants of <see cref="Abi"/>.</summary>
    public string FlagsText => Abi.FormatOpenFlags(Flags);

    /// <summary>Where the path argument of the open points (the path may be unavailable there).</summary>
    public ulong PathAddress { get; init; }

    /// <summary>
    /// Decides whether <paramref name="thread"/> is blocked opening a FIFO, from the waits the
    /// core's system records (<see cref="IWaitCatalogue.DiagnoseFifoOpen"/>).
    /// </summary>
    public static BlockedFifoOpen? Diagnose(ThreadAnalysis thread, CoreFile core, MemoryTextSearch memoryText) =>
        SystemConventions.Of(core).Waits.DiagnoseFifoOpen(thread, core, memoryText);

    /// <summary>What the search of memory found of statements mentioning <paramref name="path"/>, added to <paramref name="evidence"/>.</summary>
    internal static IReadOnlyList<MemoryTextHit> StatementEvidence(string? path, MemoryTextSearch memoryText, List<string> evidence)
    {
        var statements = path is null ? [] : memoryText.Mentioning(path);
        foreach (var s in statements.Take(3))
            evidence.Add($"memory at 0x{s.StringStart:x} mentions the path: {s.Text}");
        if (path is not null && memoryText.Hits.Count > 0)
        {
            if (!memoryText.Hits.ContainsKey(path))
                evidence.Add($"memory was not searched for this path: only the first {CoreAnalysis.MaxPathSearches} distinct blocked-open paths are");
            else if (memoryText.Stopped)
                evidence.Add($"the search of memory for the path stopped after {Size(memoryText.BytesSearched)} of {Size(memoryText.BytesWritable)} of writable memory " +
                             $"(smallest mappings first; --search-limit raises the limit of {Size(memoryText.Limit)})");
            else if (statements.Count == 0)
                evidence.Add("nothing in the writable memory mentions the path");
        }
        return statements;
    }

    /// <summary>
    /// How the session was joined, naming only what an input or the core gave: the handle
    /// comes from InnoDB status; the processlist has none, and the pthread_t is the core's.
    /// </summary>
    internal static string JoinEvidence(ThreadAnalysis thread, MySqlSession session, SessionJoin join,
        string structPthread = "lib/libthr/thread/thr_private.h: struct pthread")
    {
        string running = session.Query is null ? "" : $", running: {session.Query}";
        string lwp = $"LWP {thread.Thread.Lwp}";
        return join.Kind == SessionJoinKind.OsThreadHandle
            ? $"SHOW ENGINE INNODB STATUS (line {session.LineNumber}) gives MySQL thread id {session.ThreadId} OS thread handle 0x{session.OsThreadHandle:x}, " +
              $"which is this thread's pthread_t: the struct pthread in the core whose tid is {lwp} ({structPthread}){running}"
            : $"SHOW FULL PROCESSLIST (line {session.LineNumber}): MySQL thread id {session.ThreadId} is the only row whose statement mentions \"{join.Path}\", " +
              $"the path {lwp} is opening; no input gives the session's OS thread handle" +
              (thread.Pthread is { } p ? $" (0x{p:x} is this thread's pthread_t, found in the core's memory)" : "") + running;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes >> 20} MiB",
        >= 1L << 10 => $"{bytes >> 10} KiB",
        _ => $"{bytes} bytes",
    };

    internal static string PositionText(SyscallPosition p) => p switch
    {
        SyscallPosition.InKernel => "asleep in the kernel",
        SyscallPosition.Restarting => "about to restart it after the kernel aborted the sleep",
        _ => "code bytes unavailable; number from rax",
    };

    /// <summary>
    /// What fifo_open's semantics (spec §8.1) leave a DBA to do. A kernel core is written as the
    /// process dies: the advice is then for the restart. gcore and gdb leave the process running
    /// (spec §7.3), so the thread may still be waiting: the advice is for the live server.
    /// </summary>
    internal static IReadOnlyList<string> Advise(string? path, OpenDirection direction, CoreProducer producer = CoreProducer.Gcore, int signal = 0)
    {
        string p = path ?? "the FIFO";
        string other = direction == OpenDirection.Read ? "writing" : "reading";
        string peer = direction == OpenDirection.Read ? "writer" : "reader";
        // A path from the core may hold a quote: the command must still name exactly that file.
        string quoted = ShellWord.Quote(p);
        if (producer == CoreProducer.Kernel)
        {
            string ended = signal == 0 ? "" : $" (it was ended by {Signals.Name(signal)})";
            return
            [
                $"The kernel wrote this core as the server process died{ended}: no thread is waiting any more, and nothing needs to be released.",
                $"Why it hung: this thread was opening {p} for {(direction == OpenDirection.Read ? "reading" : "writing")}, and fifo_open sleeps until some process opens the same FIFO for {other}; it has no timeout, and KILL QUERY cannot end it.",
                $"Before restarting, check what is at the path: `ls -l {quoted}` (a FIFO shows as type p); a leftover FIFO that no process opens for {other} makes the next open of it hang the same way: remove it, or start its {peer} first.",
                direction == OpenDirection.Read
                    ? $"LOAD DATA INFILE from a FIFO needs a writer: start the process that writes into {p} before the statement, or load from a regular file."
                    : $"A log written to a FIFO (general_log_file, slow_query_log_file) needs a reader: start the process that reads {p} first, or use a regular file.",
            ];
        }
        return
        [
            $"The thread sleeps in fifo_open until some process opens {p} for {other}; nothing else wakes it, and it has no timeout.",
            $"If {p} still exists, opening it for {other} releases the thread: " +
                (direction == OpenDirection.Read ? $"e.g. `: > {quoted}` (the statement then reads end-of-file)." : $"e.g. `cat {quoted} > /dev/null`."),
            $"If {p} was unlinked after the open began, a new FIFO created at the same path is a different file and will not wake the thread: no {peer} can ever come.",
            "The thread cannot be stopped cleanly (KILL QUERY / KILL CONNECTION do not end a sleep in open()); only killing the server with SIGKILL ends it.",
        ];
    }
}
