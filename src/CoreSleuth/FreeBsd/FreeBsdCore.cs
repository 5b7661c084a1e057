using CoreSleuth.Elf;
using CoreSleuth.Memory;
using static CoreSleuth.Elf.ElfConstants;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// A FreeBSD amd64 core opened for analysis: the ELF layer, the address space and the process
/// model decoded from the notes. Damage yields warnings and whatever is still readable; only
/// a file that is not a FreeBSD amd64 core at all is refused.
/// </summary>
public sealed class FreeBsdCore : IDisposable
{
    private const int MaxArguments = 4096, MaxArgumentBytes = 64 * 1024;

    private readonly List<string> warnings = [];

    private FreeBsdCore(ByteSource source)
    {
        Source = source;
        Elf = ElfFile.Parse(source);
        Refuse(Elf);
        warnings.AddRange(Elf.Warnings);
        Memory = new AddressSpace(source, Elf.ProgramHeaders);
        ReportMissingMemory();
        (Process, Threads) = Decode();
        (Producer, ProducerEvidence) = DetectProducer();
    }

    public ByteSource Source { get; }
    public ElfFile Elf { get; }
    public AddressSpace Memory { get; }
    public CoreProcess Process { get; }
    public IReadOnlyList<CoreThread> Threads { get; }
    public CoreProducer Producer { get; }

    /// <summary>The facts the producer was told from (spec §1.2, §2.3, §3.1).</summary>
    public IReadOnlyList<string> ProducerEvidence { get; }

    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Opens and decodes the core at <paramref name="path"/>.</summary>
    /// <exception cref="CoreFormatException">The ELF header is unusable.</exception>
    /// <exception cref="UnsupportedCoreException">Not a FreeBSD amd64 core.</exception>
    public static FreeBsdCore Open(string path)
    {
        var source = ByteSource.OpenFile(path);
        try { return new FreeBsdCore(source); }
        catch { source.Dispose(); throw; }
    }

    /// <summary>Decodes a core from <paramref name="source"/>, which the core then owns.</summary>
    public static FreeBsdCore Load(ByteSource source) => new(source);

    public void Dispose() => Source.Dispose();

    private void Warn(string message) => warnings.Add(message);

    /// <summary>Spec §1.1: ET_CORE, EM_X86_64, OS/ABI FreeBSD (or FreeBSD notes). One sentence says what the file is instead.</summary>
    private static void Refuse(ElfFile elf)
    {
        var h = elf.Header;
        string name = elf.Source.Name;
        const string reads = "CoreSleuth reads FreeBSD amd64 (x86-64) core files written by gcore, by the kernel or by gdb";
        if (h.Type != ET_CORE)
            throw new UnsupportedCoreException($"{name} is {DescribeType(h.Type)} for {DescribeMachine(h.Machine)}, not a core file; {reads}.");
        if (h.Machine != EM_X86_64)
        {
            string os = h.OsAbi == ELFOSABI_FREEBSD ? "a FreeBSD" : "a";
            throw new UnsupportedCoreException($"{name} is {os} core file for {DescribeMachine(h.Machine)}; {reads}.");
        }
        bool freebsdNotes = elf.Notes.Any(n => n.Name == "FreeBSD");
        if (h.OsAbi != ELFOSABI_FREEBSD && !freebsdNotes)
        {
            bool linuxNotes = elf.Notes.Any(n => n.Name is "CORE" or "LINUX");
            string what = linuxNotes
                ? $"a Linux core file (OS/ABI {DescribeOsAbi(h.OsAbi)}, \"CORE\"/\"LINUX\" notes and no FreeBSD notes)"
                : $"an x86-64 core file for {DescribeOsAbi(h.OsAbi)} with no FreeBSD notes";
            throw new UnsupportedCoreException($"{name} is {what}; {reads}.");
        }
    }

    private void ReportMissingMemory()
    {
        var loads = Elf.ProgramHeaders.Where(p => p.IsLoad).ToList();
        var past = loads.Where(p => p.FileSize > 0 && p.Offset + p.FileSize > (ulong)Source.Length).ToList();
        if (past.Count > 0)
        {
            ulong missing = past.Aggregate(0UL, (sum, p) => sum + (p.Offset + p.FileSize - Math.Max(p.Offset, (ulong)Source.Length)));
            Warn($"{past.Count} of {loads.Count} PT_LOAD segments extend past the end of the file ({Source.Length} bytes; {missing} bytes missing, first at file offset 0x{past[0].Offset:x}): memory was stripped or the core is truncated, and reads there are unavailable");
        }
        if (!Elf.ProgramHeaders.Any(p => p.IsNote))
            Warn("the core has no PT_NOTE segment: no threads, registers or process information");
    }

    private (CoreProcess, IReadOnlyList<CoreThread>) Decode()
    {
        var threads = new List<ThreadBuilder>();
        ThreadBuilder? current = null;
        PrPsInfo? psinfo = null;
        var kinfos = new List<KinfoProc>();
        var files = new List<KinfoFile>();
        var maps = new List<KinfoVmEntry>();
        var groups = new List<uint>();
        var limits = new List<ResourceLimit>();
        var auxv = new List<AuxvEntry>();
        var present = new List<string>();
        ushort? umask = null;
        int? osrel = null;
        ulong? psStrings = null;

        foreach (var note in Elf.Notes)
        {
            // gdb may name its register and process notes "CORE" (spec §2.1, doubt 2); "GDB" notes are its own.
            if (note.Name is not ("FreeBSD" or "CORE")) continue;
            var d = note.Descriptor.Span;
            string Where() => $"{NoteType.Name(note.Type)} at file offset 0x{note.FileOffset:x}";
            int length = d.Length;
            bool Need(int size)
            {
                if (length >= size) return true;
                Warn($"{Where()} has a {length}-byte descriptor, shorter than the {size} bytes it needs; ignored");
                return false;
            }

            if (NoteType.IsPerThread(note.Type) && current is null)
            {
                Warn($"{Where()} comes before any NT_PRSTATUS, so it belongs to no thread; ignored");
                continue;
            }
            switch (note.Type)
            {
                case NoteType.PrStatus:
                    if (!Need(PrStatus.Size)) { current = null; break; }
                    current = new ThreadBuilder(PrStatus.Parse(d), note.FileOffset);
                    threads.Add(current);
                    break;
                case NoteType.FpRegSet:
                    if (Need(FpState.Size)) current!.Fp = FpState.Parse(d);
                    break;
                case NoteType.ThrMisc:
                    if (Need(1)) current!.ThrMiscName = Text(d, 0, Math.Min(20, d.Length));
                    break;
                case NoteType.PtLwpInfo:
                    if (Need(4 + LwpInfo.MinimumSize)) current!.LwpInfo = LwpInfo.Parse(d);
                    break;
                case NoteType.X86SegBases:
                    if (Need(SegmentBases.Size)) current!.SegBases = new SegmentBases(U64(d, 0), U64(d, 8));
                    break;
                case NoteType.X86XState:
                    current!.XState = XState.Parse(d); // an empty descriptor is legal: no XSAVE (spec §2.1)
                    break;
                case NoteType.PrPsInfo:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(116)) psinfo = PrPsInfo.Parse(d);
                    break;
                case NoteType.ProcStatProc:
                    present.Add(NoteType.Name(note.Type));
                    DecodeKinfoProcs(d, note, kinfos);
                    break;
                case NoteType.ProcStatFiles:
                    present.Add(NoteType.Name(note.Type));
                    DecodePacked(d, note, KinfoFile.PathOffset, KinfoFile.FullSize, r => files.Add(KinfoFile.Parse(r)));
                    break;
                case NoteType.ProcStatVmMap:
                    present.Add(NoteType.Name(note.Type));
                    DecodePacked(d, note, KinfoVmEntry.PathOffset, KinfoVmEntry.FullSize, r => maps.Add(KinfoVmEntry.Parse(r)));
                    break;
                case NoteType.ProcStatGroups:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(4)) for (int o = 4; o + 4 <= d.Length; o += 4) groups.Add(U32(d, o));
                    break;
                case NoteType.ProcStatUmask:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(6)) umask = U16(d, 4);
                    break;
                case NoteType.ProcStatRlimit:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(4)) for (int o = 4, i = 0; o + 16 <= d.Length; o += 16, i++) limits.Add(new ResourceLimit(i, I64(d, o), I64(d, o + 8)));
                    break;
                case NoteType.ProcStatOsRel:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(8)) osrel = I32(d, 4);
                    break;
                case NoteType.ProcStatPsStrings:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(12)) psStrings = U64(d, 4);
                    break;
                case NoteType.ProcStatAuxv:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(4))
                        for (int o = 4; o + 16 <= d.Length; o += 16)
                        {
                            var e = new AuxvEntry(I64(d, o), U64(d, o + 8));
                            auxv.Add(e);
                            if (e.Type == 0) break;
                        }
                    break;
            }
        }

        var byLwp = new Dictionary<int, KinfoProc>();
        foreach (var k in kinfos) byLwp.TryAdd(k.Lwp, k);
        var first = kinfos.FirstOrDefault();

        var built = new List<CoreThread>(threads.Count);
        foreach (var t in threads)
        {
            byLwp.TryGetValue(t.Status.Lwp, out var kinfo);
            if (kinfos.Count > 0 && kinfo is null)
                Warn($"thread LWP {t.Status.Lwp} (NT_PRSTATUS at file offset 0x{t.FileOffset:x}) has no kinfo_proc record in NT_PROCSTAT_PROC");
            var (name, source) = t.ThrMiscName is { Length: > 0 } n ? (n, "NT_THRMISC")
                : kinfo is { ThreadName.Length: > 0 } ? (kinfo.FullThreadName, "kinfo_proc")
                : t.LwpInfo is { Name.Length: > 0 } l ? (l.Name, "NT_PTLWPINFO")
                : ((string?)null, (string?)null);
            var fp = t.Fp;
            if (fp is not null && t.XState?.YmmHigh is { } ymm) fp = fp with { YmmHigh = ymm };
            built.Add(new CoreThread
            {
                Index = built.Count + 1, Lwp = t.Status.Lwp, Status = t.Status, Name = name, NameSource = source,
                FpState = fp, XState = t.XState, LwpInfo = t.LwpInfo, SegmentBases = t.SegBases, Kinfo = kinfo,
            });
        }
        if (built.Count == 0 && Elf.Notes.Count > 0)
            Warn("no NT_PRSTATUS note was found: the core describes no threads");

        int? pid = psinfo is { Pid: not 0 } ? psinfo.Pid : first?.Pid;
        if (osrel is null && auxv.FirstOrDefault(a => a.Type == 18) is { } at) osrel = (int)at.Value;
        string? osrelSource = osrel is null ? null : present.Contains(NoteType.Name(NoteType.ProcStatOsRel)) ? "NT_PROCSTAT_OSREL" : "AT_OSRELDATE";
        if (osrel is null && threads.Count > 0 && threads[0].Status.OsRelDate != 0)
            (osrel, osrelSource) = (threads[0].Status.OsRelDate, "pr_osreldate (the producer's own version)");

        var argv = ReadArgumentVector(psStrings);
        string? exe = files.FirstOrDefault(f => f.Fd == KinfoFile.FdText)?.Path;
        if (string.IsNullOrEmpty(exe) && auxv.FirstOrDefault(a => a.IsStringPointer) is { } ep && Memory.ReadCString(ep.Value, 1024) is { Status: CoreStringStatus.Complete } s)
            exe = s.Text;

        var process = new CoreProcess
        {
            Pid = pid, ParentPid = first?.ParentPid, Uid = first?.Uid, RealUid = first?.RealUid, RealGid = first?.RealGid,
            Command = psinfo?.Command is { Length: > 0 } c ? c : first?.Command,
            Arguments = argv is not null ? string.Join(' ', argv) : psinfo?.Arguments,
            ArgumentVector = argv,
            ArgumentsSource = argv is not null ? "ps_strings" : psinfo is not null ? "NT_PRPSINFO" : null,
            OsRelDate = osrel, OsRelDateSource = osrelSource,
            StartTime = first?.Start.AsDate, Emulation = first?.Emulation, ProcessFlags = first?.ProcessFlags,
            WorkingDirectory = files.FirstOrDefault(f => f.Fd == KinfoFile.FdCwd)?.Path,
            Executable = string.IsNullOrEmpty(exe) ? null : exe,
            Signal = threads.Count > 0 ? threads[0].Status.CurrentSignal : 0,
            OpenFiles = files, Mappings = maps, Groups = groups, Umask = umask, ResourceLimits = limits, Auxv = auxv,
            PsStrings = psStrings, NotesPresent = present,
        };
        return (process, built);
    }

    private void DecodeKinfoProcs(ReadOnlySpan<byte> d, ElfNote note, List<KinfoProc> into)
    {
        if (d.Length < 4) { Warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} is too short for its structsize"); return; }
        int size = I32(d, 0);
        if (size != KinfoProc.Size)
        {
            Warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} says kinfo_proc is {size} bytes; only the amd64 layout of {KinfoProc.Size} bytes is known (spec §4), so thread wait messages are unavailable");
            return;
        }
        int count = (d.Length - 4) / size;
        if ((d.Length - 4) % size != 0)
            Warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} holds {d.Length - 4} bytes, not a whole number of {size}-byte records; the partial record is ignored");
        for (int i = 0; i < count; i++) into.Add(KinfoProc.Parse(d.Slice(4 + i * size, size)));
    }

    /// <summary>
    /// Packed kinfo_file / kinfo_vmentry records (spec §5, §6): each starts with its own size;
    /// kernel notes may end in zero padding, so a size of 0 or below the fixed part ends the list.
    /// </summary>
    private void DecodePacked(ReadOnlySpan<byte> d, ElfNote note, int fixedPart, int fullSize, Action<byte[]> add)
    {
        if (d.Length < 4) { Warn($"{NoteType.Name(note.Type)} at file offset 0x{note.FileOffset:x} is too short for its structsize"); return; }
        int pos = 4;
        while (d.Length - pos >= fixedPart)
        {
            int size = I32(d, pos);
            if (size == 0) break;
            if (size < fixedPart || size > fullSize || size > d.Length - pos)
            {
                Warn($"{NoteType.Name(note.Type)} record at file offset 0x{note.DescriptorFileOffset + pos:x} claims {size} bytes (expected {fixedPart + 1}..{Math.Min(fullSize, d.Length - pos)}); the records after it are lost");
                return;
            }
            // Pad short (packed) records to the full struct so fields past the path read as zero.
            var record = new byte[fullSize];
            d.Slice(pos, size).CopyTo(record);
            add(record[..Math.Max(size, fixedPart + 1)]);
            pos += size;
        }
    }

    /// <summary>argv from <c>struct ps_strings</c> { char **ps_argvstr; u_int ps_nargvstr; … } in memory, when dumped.</summary>
    private List<string>? ReadArgumentVector(ulong? psStrings)
    {
        if (psStrings is not { } ps || !Memory.TryReadPointer(ps, out ulong argvAddress) || !Memory.TryReadUInt32(ps + 8, out uint argc))
            return null;
        if (argc == 0 || argc > MaxArguments) return null;
        var argv = new List<string>((int)argc);
        int total = 0;
        for (uint i = 0; i < argc; i++)
        {
            if (!Memory.TryReadPointer(argvAddress + 8 * i, out ulong p)) return null;
            var s = Memory.ReadCString(p, Math.Min(4096, MaxArgumentBytes - total));
            if (s.Status != CoreStringStatus.Complete) return null;
            total += s.Bytes.Length + 1;
            argv.Add(s.Text);
        }
        return argv;
    }

    private (CoreProducer, IReadOnlyList<string>) DetectProducer()
    {
        var evidence = new List<string>();
        var loads = Elf.ProgramHeaders.Where(p => p.IsLoad).ToList();
        bool gdbNote = Elf.Notes.Any(n => n.Name == "GDB");
        bool sections = Elf.SectionHeaders.Count > 0 && !Elf.Header.ExtendedNumbering;
        int cursig = Threads.Select(t => t.Status.CurrentSignal).FirstOrDefault(s => s != 0);
        bool hasThrMisc = Elf.Notes.Any(n => n.Type == NoteType.ThrMisc && n.Name == "FreeBSD");
        bool hasProc = Elf.Notes.Any(n => n.Type == NoteType.ProcStatProc && n.Name == "FreeBSD");
        var readOnly = loads.Where(p => !p.Writable).ToList();
        long? flags = Process.ProcessFlags;

        if (gdbNote || sections || (!hasThrMisc && !hasProc && Threads.Count > 0))
        {
            if (gdbNote) evidence.Add("a \"GDB\" note is present (gdb's target description)");
            if (sections) evidence.Add("the core carries a section header table, as BFD writes it");
            if (!hasThrMisc && !hasProc) evidence.Add("no NT_THRMISC and no NT_PROCSTAT_PROC notes: gdb writes neither (spec §2.3)");
            return (CoreProducer.Gdb, evidence);
        }
        if (cursig != 0)
        {
            evidence.Add($"pr_cursig is {cursig} in NT_PRSTATUS: the kernel records the signal that caused the dump; gcore writes 0 (spec §3.1)");
            if (readOnly.Count > 0) evidence.Add($"{readOnly.Count} PT_LOAD segments are not writable: the kernel writes true protections, gcore forces R|W (spec §1.2)");
            return (CoreProducer.Kernel, evidence);
        }
        if (flags is { } f && (f & KinfoProc.P_TRACED) != 0)
            evidence.Add("ki_flag has P_TRACED: the process was attached with ptrace when dumped, as gcore does");
        if (loads.Count > 0 && readOnly.Count == 0)
            evidence.Add($"all {loads.Count} PT_LOAD segments have PF_W: gcore forces R|W whatever the mapping's protection (spec §1.2)");
        if (evidence.Count > 0)
        {
            evidence.Add("pr_cursig is 0 in NT_PRSTATUS, as gcore writes it (spec §3.1)");
            return (CoreProducer.Gcore, evidence);
        }
        if (readOnly.Count > 0)
        {
            evidence.Add($"pr_cursig is 0 but {readOnly.Count} PT_LOAD segments are read-only (true protections): a kernel dump not caused by a signal, e.g. gcore -k");
            return (CoreProducer.Kernel, evidence);
        }
        evidence.Add("no distinguishing evidence (no PT_LOAD segments, no signal, no ptrace flag)");
        return (CoreProducer.Unknown, evidence);
    }

    private sealed class ThreadBuilder(PrStatus status, long fileOffset)
    {
        public PrStatus Status { get; } = status;
        public long FileOffset { get; } = fileOffset;
        public FpState? Fp { get; set; }
        public string? ThrMiscName { get; set; }
        public LwpInfo? LwpInfo { get; set; }
        public SegmentBases? SegBases { get; set; }
        public XState? XState { get; set; }
    }
}
