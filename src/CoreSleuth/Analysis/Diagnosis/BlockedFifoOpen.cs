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
public sealed partial record BlockedFifoOpen(
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
    /// Decides whether <paramref name="thread"/> is blocked opening a FIFO. Certain when it
    /// sleeps with fifoor/fifoow; likely when the wait message is missing (kernel or gdb cores,
    /// or gcore's SIGSTOP thread) but it is in or restarting an open that would block on a FIFO
    /// and the path is not among the open files.
    /// </summary>
    public static BlockedFifoOpen? Diagnose(ThreadAnalysis thread, CoreFile core, MemoryTextSearch memoryText)
    {
        var t = thread.Thread;
        if (core.Os == CoreOs.Linux) return DiagnoseLinux(thread, core, memoryText);
        string? wmesg = t.WaitMessage;
        bool fifoWait = wmesg is "fifoor" or "fifoow";
        if (wmesg is not null && !fifoWait) return null; // asleep on something else
        if (thread.Site is not { OpenArguments: { } at } site) return null;
        if (site.Position is SyscallPosition.NotInSyscall or SyscallPosition.ReturnedError) return null;

        var args = site.Arguments;
        ulong pathAddress = args[at.Path];
        uint flags = (uint)args[at.Flags];
        string? blocksWith = OpenFlagDecoder.FifoWaitMessage(flags);
        if (!fifoWait && blocksWith is null) return null; // O_NONBLOCK / O_RDWR opens never sleep in fifo_open

        var pathString = core.Memory.ReadCString(pathAddress, SyscallDecoder.MaxPathBytes);
        string? path = pathString.Status == Memory.CoreStringStatus.Complete ? pathString.Text : null;
        bool inOpenFiles = path is not null && core.Process.OpenFiles.Any(f => f.Path == path);
        if (!fifoWait && inOpenFiles) return null;

        var direction = wmesg switch { "fifoor" => OpenDirection.Read, "fifoow" => OpenDirection.Write, _ => OpenFlagDecoder.Direction(flags) };
        var evidence = new List<string>();
        string call = thread.Syscall?.FormatCall() ?? $"syscall {site.Number}";
        if (fifoWait)
            evidence.Add($"LWP {t.Lwp} sleeps with wait message \"{wmesg}\": fifo_open is waiting for a {(direction == OpenDirection.Read ? "writer" : "reader")} (sys/fs/fifofs/fifo_vnops.c: fifo_open)");
        evidence.Add($"it is in {call} ({PositionText(site.Position)})");
        evidence.AddRange(site.Evidence);
        evidence.Add(path is null
            ? $"the path at 0x{pathAddress:x} is unavailable: {pathString.Reason ?? pathString.Status.ToString()}"
            : inOpenFiles
                ? $"\"{path}\" is among the process's open files (an earlier or other open of it succeeded)"
                : core.Process.NotesPresent.Contains(NoteType.Name(NoteType.ProcStatFiles))
                    ? $"\"{path}\" is not among the process's open files: the descriptor is installed only after fifo_open returns (sys/kern/vfs_syscalls.c: kern_openat)"
                    : "the core has no open-file list (NT_PROCSTAT_FILES) to check the path against");
        Confidence confidence = fifoWait ? Confidence.Certain : Confidence.Likely;
        if (!fifoWait)
            evidence.Add("not certain: " + (core.Producer switch
            {
                CoreProducer.Kernel => "the kernel aborts interruptible sleeps before dumping, so no wait message survives (sys/kern/kern_sig.c: sigexit calls thread_single); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
                CoreProducer.Gdb => "gdb cores carry no wait messages (no NT_PROCSTAT_PROC note; gdb/fbsd-tdep.c: fbsd_make_corefile_notes); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
                _ => "the thread has no wait message (it may be the thread that took gcore's SIGSTOP, whose sleep was aborted); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
            }));

        var statements = StatementEvidence(path, memoryText, evidence);
        if (thread.Session is { } session && thread.Join is { } join) evidence.Add(JoinEvidence(thread, session, join));

        return new BlockedFifoOpen(t.Lwp, thread.Pthread, t.Name, path, flags, direction, confidence, thread.Session, inOpenFiles,
            statements, evidence, Advise(path, direction, core.Producer, core.Process.Signal)) { PathAddress = pathAddress, Join = thread.Join, Abi = site.Abi };
    }

    /// <summary>What the search of memory found of statements mentioning <paramref name="path"/>, added to <paramref name="evidence"/>.</summary>
    private static IReadOnlyList<MemoryTextHit> StatementEvidence(string? path, MemoryTextSearch memoryText, List<string> evidence)
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
    private static string JoinEvidence(ThreadAnalysis thread, MySqlSession session, SessionJoin join,
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

    private static string PositionText(SyscallPosition p) => p switch
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
