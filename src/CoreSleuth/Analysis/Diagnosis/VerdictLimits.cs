using System.Globalization;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Diagnosis;

/// <summary>
/// What the diagnosis could not look at: threads whose notes the file lacks, the process notes
/// that carry wait messages, and the memory a finding needed. Empty when the verdict covers the
/// whole process. Memory missing elsewhere (a stripped core) does not limit the verdict, which
/// rests on notes and on the code and strings named here, and stays a warning.
/// </summary>
public static class VerdictLimits
{
    public static IReadOnlyList<string> Of(CoreFile core, IReadOnlyList<BlockedFifoOpen> findings)
    {
        var c = core.Completeness;
        var limits = new List<string>();
        string Threads(int n) => n == 1 ? "1 thread" : $"{n.ToString(CultureInfo.InvariantCulture)} threads";

        if (c.ThreadsExpected is { } expected && expected > c.ThreadsRead)
        {
            string lwps = string.Join(", ", c.LwpsWithoutNotes.Take(8)) + (c.LwpsWithoutNotes.Count > 8 ? ", …" : "");
            limits.Add($"{c.ThreadsRead} of {expected} threads read: kinfo_proc lists LWP {lwps}, whose NT_PRSTATUS " +
                       (c.NotesCutAt is { } at ? $"is past the end of the file (it ends at offset 0x{at:x})" : "is missing or unusable") +
                       $"; {(c.LwpsWithoutNotes.Count == 1 ? "that thread was" : "those threads were")} not checked");
        }
        else if (c.NotesCutAt is { } at)
        {
            string more = c.MoreThreadsAtMost is { } most
                ? most == 0 ? "no more thread fits in them" : $"they could hold the notes of up to {most} more {(most == 1 ? "thread" : "threads")}"
                : "other threads may be among them";
            limits.Add($"{Threads(c.ThreadsRead)} read; the notes are cut at file offset 0x{at:x} ({c.NoteBytesMissing} of their {c.NoteBytesDeclared} bytes are past the end of the file): " +
                       $"how many threads the process had is unknown; {more}, which were not checked");
        }
        if (c.UnusableThreadNotes > 0)
            limits.Add($"{c.UnusableThreadNotes} NT_PRSTATUS {(c.UnusableThreadNotes == 1 ? "note is" : "notes are")} too short to use: {(c.UnusableThreadNotes == 1 ? "that thread was" : "those threads were")} not checked");
        if (c.ProcessNotesLost && core.Producer != CoreProducer.Gdb)
            limits.Add("the process notes (NT_PROCSTAT_PROC with the threads' wait messages, NT_PROCSTAT_FILES with the open files) are past the end of the file: " +
                       "the threads read were judged by their registers and code alone, so no finding can be certain");

        foreach (var f in findings)
            if (f.Path is null && core.Memory.Check(f.PathAddress) == Unavailability.PastEndOfFile)
                limits.Add($"memory is cut ({c.LoadSegmentsPastEnd} of {c.LoadSegments} PT_LOAD segments extend past the end of the file): the path LWP {f.Lwp} opens, at 0x{f.PathAddress:x}, is not in the file, so which FIFO it waits on is unknown");
        return limits;
    }
}
