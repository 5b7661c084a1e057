namespace CoreSleuth.Model;

/// <summary>
/// What the file lacks of what it declares, as far as the reader can know: threads whose notes
/// are past the end of the file or unusable, and PT_LOAD bytes past the end of the file. The
/// analysis turns this into what its verdict could not look at.
/// </summary>
public sealed record CoreCompleteness
{
    /// <summary>Threads decoded (NT_PRSTATUS notes that were usable).</summary>
    public required int ThreadsRead { get; init; }

    /// <summary>
    /// LWPs that NT_PROCSTAT_PROC lists (one kinfo_proc record per thread, spec §4.1) but that have
    /// no usable NT_PRSTATUS; empty when the core has no kinfo_proc records.
    /// </summary>
    public IReadOnlyList<int> LwpsWithoutNotes { get; init; } = [];

    /// <summary>The number of threads the core should have when the reader knows it (kinfo_proc records), else null.</summary>
    public int? ThreadsExpected { get; init; }

    /// <summary>NT_PRSTATUS notes too short to use: each one a thread lost.</summary>
    public int UnusableThreadNotes { get; init; }

    /// <summary>Where the file ends inside the note segments, when it does (the notes after it are lost).</summary>
    public long? NotesCutAt { get; init; }

    /// <summary>Note bytes the PT_NOTE headers declare but the file does not hold.</summary>
    public long NoteBytesMissing { get; init; }

    /// <summary>Note bytes the PT_NOTE headers declare.</summary>
    public long NoteBytesDeclared { get; init; }

    /// <summary>
    /// When the notes are cut and no kinfo_proc record says how many threads there were: an upper
    /// bound of the threads the missing note bytes could hold (each thread's notes take at least
    /// as many bytes as the smallest thread's notes read).
    /// </summary>
    public int? MoreThreadsAtMost { get; init; }

    /// <summary>True when the NT_PROCSTAT_PROC note (kinfo_proc: wait messages, thread states) may be among the lost notes.</summary>
    public bool ProcessNotesLost { get; init; }

    /// <summary>PT_LOAD segments that extend past the end of the file, and the memory bytes that are missing.</summary>
    public int LoadSegmentsPastEnd { get; init; }
    public int LoadSegments { get; init; }
    public ulong MemoryBytesMissing { get; init; }

    /// <summary>True when every thread the core declares was read.</summary>
    public bool AllThreadsRead => LwpsWithoutNotes.Count == 0 && UnusableThreadNotes == 0 && NotesCutAt is null;
}
