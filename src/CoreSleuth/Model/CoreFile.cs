using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Input;
using CoreSleuth.Linux;
using CoreSleuth.Memory;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Model;

/// <summary>
/// A core opened for analysis: the ELF layer, the address space, the system told from the notes
/// and the process model its reader decoded (<see cref="FreeBsdCoreReader"/>,
/// <see cref="LinuxCoreReader"/>). Damage yields warnings and whatever is still readable; only a
/// file that is not a FreeBSD amd64 or Linux x86-64 core at all is refused.
/// </summary>
public sealed class CoreFile : IDisposable
{
    private readonly List<string> warnings = [];

    private CoreFile(ByteSource source)
    {
        Source = source;
        Elf = ElfFile.Parse(source);
        Os = Refuse(Elf);
        warnings.AddRange(Elf.Warnings);
        Memory = new AddressSpace(source, Elf.ProgramHeaders);
        ReportMissingMemory();
        var notes = Os == CoreOs.Linux ? LinuxCoreReader.Read(Elf, Memory, Warn) : FreeBsdCoreReader.Read(Elf, Memory, Warn);
        (Process, Threads, unusableStatusNotes) = (notes.Process, notes.Threads, notes.UnusableStatusNotes);
        RefuseWithoutThreads();
        // Told when first asked, not here: with ten thousand threads each takes 1-2 ms, which a
        // thread list spends while the other core walks libthr's thread list, instead of before.
        producer = new(notes.DetectProducer);
        completeness = new(MeasureCompleteness);
        ReleaseNotes();
    }

    /// <summary>
    /// The notes are decoded and counted: where they were read through the map rather than copied
    /// (<see cref="ByteSource.WillRead"/>), their pages leave the resident set (the few fields read
    /// later, kinfo_proc's and the FPU state's, come back from the page cache).
    /// </summary>
    private void ReleaseNotes()
    {
        foreach (var ph in Elf.ProgramHeaders.Where(p => p.IsNote && p.FileSize > 0 && p.Offset <= long.MaxValue))
            Source.Release((long)ph.Offset, (long)Math.Min(ph.FileSize, long.MaxValue));
    }

    /// <summary>What the file lacks of what it declares: lost threads, memory past the end of the file.</summary>
    public CoreCompleteness Completeness => completeness.Value;

    private readonly Lazy<CoreCompleteness> completeness;
    private readonly Lazy<(CoreProducer Producer, IReadOnlyList<string> Evidence)> producer;

    private readonly int unusableStatusNotes;
    private int loadsPastEnd, loadCount;
    private ulong memoryMissing;

    public ByteSource Source { get; }
    public ElfFile Elf { get; }

    /// <summary>The system of the dumped process, told from the notes (<see cref="CoreOsDetection"/>).</summary>
    public CoreOs Os { get; }
    public AddressSpace Memory { get; }
    public CoreProcess Process { get; }
    public IReadOnlyList<CoreThread> Threads { get; }
    public CoreProducer Producer => producer.Value.Producer;

    /// <summary>The facts the producer was told from (spec §1.2, §2.3, §3.1).</summary>
    public IReadOnlyList<string> ProducerEvidence => producer.Value.Evidence;

    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Opens and decodes the core at <paramref name="path"/>; a gzip, zstd or xz core (told by its magic) is decompressed first (<see cref="CompressedCore"/>).</summary>
    /// <exception cref="CoreFormatException">The ELF header is unusable.</exception>
    /// <exception cref="UnsupportedCoreException">Not a FreeBSD amd64 core.</exception>
    /// <exception cref="CompressedCoreException">A compressed core is corrupt or truncated, or too large for the temporary folder.</exception>
    /// <param name="progress">Told how far the decompression of a compressed core has come (nothing for a plain core).</param>
    public static CoreFile Open(string path, IProgress<Diagnostics.WorkProgress>? progress = null)
    {
        var compression = CompressedCore.Detect(path);
        var source = compression == CoreCompression.None ? ByteSource.OpenFile(path) : CompressedCore.Open(path, compression, progress);
        try { return new CoreFile(source); }
        catch { source.Dispose(); throw; }
    }

    /// <summary>Decodes a core from <paramref name="source"/>, which the core then owns.</summary>
    public static CoreFile Load(ByteSource source) => new(source);

    public void Dispose() => Source.Dispose();

    private void Warn(string message) => warnings.Add(message);

    /// <summary>Spec §1.1: ET_CORE, EM_X86_64, OS/ABI FreeBSD (or FreeBSD notes), or a Linux core. One sentence says what the file is instead.</summary>
    private static CoreOs Refuse(ElfFile elf)
    {
        var h = elf.Header;
        string name = elf.Source.Name;
        const string reads = "CoreSleuth reads FreeBSD amd64 (x86-64) core files written by gcore, by the kernel or by gdb, and Linux x86-64 core files";
        bool freebsdNotes = elf.Notes.Any(n => n.Name == "FreeBSD");
        var detected = CoreOsDetection.Detect(elf, out _);
        string os = h.OsAbi == ELFOSABI_FREEBSD || freebsdNotes ? "FreeBSD" : OsAbiQualifier(h.OsAbi);
        if (h.Type != ET_CORE)
            throw new UnsupportedCoreException($"{name} is {DescribeType(h.Type, os)} for {DescribeMachine(h.Machine)}, not a core file; {reads}.");
        if (h.Machine != EM_X86_64)
            throw new UnsupportedCoreException($"{name} is {DescribeType(h.Type, os)} for {DescribeMachine(h.Machine)}; {reads}.");
        if (detected is { } readable) return readable;
        {
            // Say what it is: EI_OSABI by name, and the owners of its notes (from the file: quoted, bounded).
            var owners = elf.Notes.Select(n => n.Name).Distinct(StringComparer.Ordinal).ToList();
            string? system = owners.Select(NoteOwnerSystem).FirstOrDefault(s => s is not null)
                            ?? h.OsAbi switch { 2 => "NetBSD", 3 => "Linux", 6 => "Solaris", 12 => "OpenBSD", _ => null };
            string ownersText = owners.Count == 0 ? "no notes"
                : "notes owned by " + string.Join(", ", owners.Take(4).Select(o => $"\"{(o.Length > 32 ? o[..32] + "…" : o)}\"")) + (owners.Count > 4 ? $" and {owners.Count - 4} other owners" : "");
            string what = $"{(system is null ? "an x86-64 core file of another system than FreeBSD" : $"{(system == "OpenBSD" ? "an" : "a")} {system} core file for x86-64")} " +
                          $"(EI_OSABI {DescribeOsAbi(h.OsAbi)}; {ownersText}; none owned by \"FreeBSD\")";
            throw new UnsupportedCoreException($"{name} is {what}; {reads}.");
        }
    }

    private void ReportMissingMemory()
    {
        warnings.AddRange(Memory.Warnings);
        var loads = Elf.ProgramHeaders.Where(p => p.IsLoad).ToList();
        loadCount = loads.Count;
        ulong length = (ulong)Source.Length;
        var past = loads.Where(p => p.FileSize > 0 && (p.Offset >= length || p.FileSize > length - p.Offset)).ToList();
        if (past.Count > 0)
        {
            ulong missing = past.Aggregate(0UL, (sum, p) => sum + (p.Offset >= length ? p.FileSize : p.FileSize - (length - p.Offset)));
            (loadsPastEnd, memoryMissing) = (past.Count, missing);
            var first = past[0];
            long at = (long)Math.Min(Math.Max(first.Offset, 0), long.MaxValue);
            Warn($"at file offset 0x{at:x}: {past.Count} of {loads.Count} PT_LOAD segments extend past the end of the file (it ends at offset 0x{length:x}; {missing} bytes of memory missing): memory was stripped or the core is truncated, and reads there are unavailable");
        }
    }

    /// <summary>
    /// A core that describes no thread is malformed, not a healthy process with no threads: without
    /// NT_PRSTATUS there is nothing to diagnose, and a report would read as a clean one. Refused
    /// with what is missing and where the file ends or the notes are.
    /// </summary>
    private void RefuseWithoutThreads()
    {
        if (Threads.Count > 0) return;
        long length = Source.Length;
        var noteSegments = Elf.ProgramHeaders.Where(p => p.IsNote).ToList();
        ulong phoff = Elf.Header.ProgramHeaderOffset;
        if (noteSegments.Count == 0)
        {
            if (Elf.Header.ProgramHeaderCount > 0 && phoff >= (ulong)length)
                throw new CoreFormatException((long)Math.Min(phoff, long.MaxValue),
                    $"the file ends at offset 0x{length:x}, before its program header table at 0x{phoff:x}: no notes, so no threads, registers or process information (the core is truncated to its ELF header)");
            throw new CoreFormatException(Math.Min((long)Math.Min(phoff, long.MaxValue), length),
                $"the core has no PT_NOTE segment among the {Elf.ProgramHeaders.Count} program headers read (the file ends at offset 0x{length:x}): no notes, so no threads, registers or process information");
        }
        var first = noteSegments[0];
        long notesAt = (long)Math.Min(first.Offset, long.MaxValue);
        if (Elf.Notes.Count == 0 && notesAt >= length)
            throw new CoreFormatException(notesAt,
                $"the PT_NOTE segment ({first.FileSize} bytes at 0x{first.Offset:x}) lies past the end of the file (it ends at offset 0x{length:x}): no notes, so no threads, registers or process information (the core is truncated)");
        if (Elf.NotesTruncated)
            throw new CoreFormatException(length,
                $"the file ends at offset 0x{length:x}, inside the notes (PT_NOTE at 0x{first.Offset:x}), before any thread's complete NT_PRSTATUS note: the core describes no threads (it is truncated)");
        throw new CoreFormatException(notesAt,
            $"the {Elf.Notes.Count} notes of the PT_NOTE segment at 0x{first.Offset:x} hold no usable NT_PRSTATUS (a thread's registers): the core describes no threads");
    }

    private CoreCompleteness MeasureCompleteness()
    {
        long length = Source.Length;
        long declared = 0, missing = 0;
        foreach (var ph in Elf.ProgramHeaders.Where(p => p.IsNote && p.FileSize > 0))
        {
            long size = (long)Math.Min(ph.FileSize, long.MaxValue / 2);
            long present = ph.Offset >= (ulong)length ? 0 : Math.Min(size, length - (long)ph.Offset);
            declared += size;
            missing += size - present;
        }
        long? cutAt = Elf.NotesTruncated ? length : null;

        // Sets sized once: grown from empty, ten thousand threads' were allocated twice over.
        var lwps = new HashSet<int>(Threads.Count);
        foreach (var t in Threads) lwps.Add(t.Lwp);
        // Only FreeBSD's kinfo_proc lists every thread, with or without notes.
        var kinfos = Process.FreeBsd?.KinfoProcs ?? [];
        var withoutNotes = new List<int>();
        var listed = new HashSet<int>(kinfos.Count);
        foreach (var k in kinfos)
            if (listed.Add(k.Lwp) && !lwps.Contains(k.Lwp)) withoutNotes.Add(k.Lwp);
        int? expected = kinfos.Count > 0 ? Threads.Count + withoutNotes.Count : null;

        // With the notes cut and no kinfo_proc to count them, the missing bytes bound the threads
        // lost: each takes at least as many note bytes as the smallest thread read (its NT_PRSTATUS
        // to the next one), or, with one thread read, as its NT_PRSTATUS note alone.
        int? atMost = null;
        if (cutAt is not null && expected is null)
        {
            var starts = Elf.Notes.Where(n => n.Type == NoteType.PrStatus && n.Name is "FreeBSD" or "CORE").Select(n => n.FileOffset).ToList();
            long span = 12 + 8 + PrStatus.Size;
            for (int i = 1; i < starts.Count; i++) span = i == 1 ? starts[1] - starts[0] : Math.Min(span, starts[i] - starts[i - 1]);
            atMost = (int)Math.Min(int.MaxValue, missing / Math.Max(span, 12 + 8 + PrStatus.Size));
        }
        return new CoreCompleteness
        {
            ThreadsRead = Threads.Count, LwpsWithoutNotes = withoutNotes, ThreadsExpected = expected,
            UnusableThreadNotes = unusableStatusNotes, NotesCutAt = cutAt, NoteBytesMissing = missing, NoteBytesDeclared = declared,
            MoreThreadsAtMost = atMost, ProcessNotesLost = cutAt is not null && kinfos.Count == 0,
            LoadSegmentsPastEnd = loadsPastEnd, LoadSegments = loadCount, MemoryBytesMissing = memoryMissing,
        };
    }
}

/// <summary>What a system's reader made of the notes: the process, its threads, the thread notes too short to use, and how to tell the producer with its evidence.</summary>
internal sealed record CoreNotes(CoreProcess Process, IReadOnlyList<CoreThread> Threads, int UnusableStatusNotes, Func<(CoreProducer, IReadOnlyList<string>)> DetectProducer);
