using System.Runtime.InteropServices;
using CoreSleuth.Elf;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// Decodes the notes of a FreeBSD amd64 core (gcore, the kernel, gdb) into the process model:
/// threads from NT_PRSTATUS with the per-thread notes after it (spec §2.3), the process from
/// NT_PRPSINFO and the NT_PROCSTAT_* notes, argv from ps_strings in memory; then tells which
/// program wrote the core. A note that cannot be read is a warning, never the end of the core.
/// </summary>
internal sealed class FreeBsdCoreReader
{
    private const int MaxArguments = 4096, MaxArgumentBytes = 64 * 1024;

    private readonly ElfFile elf;
    private readonly AddressSpace memory;
    private readonly Action<string> warn;
    private int unusableStatusNotes;

    private FreeBsdCoreReader(ElfFile elf, AddressSpace memory, Action<string> warn) => (this.elf, this.memory, this.warn) = (elf, memory, warn);

    /// <summary>The process, its threads, the NT_PRSTATUS notes too short to use, and how to tell the producer with its evidence.</summary>
    public static CoreNotes Read(ElfFile elf, AddressSpace memory, Action<string> warn)
    {
        var reader = new FreeBsdCoreReader(elf, memory, warn);
        var (process, threads) = reader.Decode();
        return new CoreNotes(process, threads, reader.unusableStatusNotes, () => reader.DetectProducer(process, threads));
    }

    private (CoreProcess, IReadOnlyList<CoreThread>) Decode()
    {
        // Sized by the NT_PRSTATUS notes, which the note list tells without reading them.
        int statusNotes = 0;
        for (int i = 0; i < elf.Notes.Count; i++)
            if (elf.Notes.TypeOf(i) == NoteType.PrStatus) statusNotes++;
        var threads = new List<ThreadBuilder>(statusNotes);
        int current = -1; // the index in threads of the thread the per-thread notes belong to, or -1
        // The builders are values in the list: the current one is changed where it lies.
        ref ThreadBuilder Current() => ref CollectionsMarshal.AsSpan(threads)[current];
        PrPsInfo? psinfo = null;
        var kinfos = new List<KinfoProc>();
        var files = new List<KinfoFile>();
        var maps = new List<Mapping>();
        var groups = new List<uint>();
        var limits = new List<ResourceLimit>();
        var auxv = new List<AuxvEntry>();
        var present = new List<string>();
        ushort? umask = null;
        int? executableOsRel = null;
        ulong? psStrings = null;
        bool unusableStatus = false;
        int filesPadding = 0, mapsPadding = 0;

        foreach (var note in elf.Notes)
        {
            // gdb may name its register and process notes "CORE" (spec §2.1, doubt 2); "GDB" notes are its own.
            if (note.Name is not ("FreeBSD" or "CORE")) continue;
            var d = note.Descriptor.Span;
            string Where() => $"{NoteType.Name(note.Type)} at file offset 0x{note.FileOffset:x}";
            int length = d.Length;
            bool Need(int size)
            {
                if (length >= size) return true;
                warn($"{Where()} has a {length}-byte descriptor, shorter than the {size} bytes it needs; ignored");
                return false;
            }

            if (NoteType.IsPerThread(note.Type) && current < 0)
            {
                warn(threads.Count == 0 && !unusableStatus
                    ? $"{Where()} comes before any NT_PRSTATUS, so it belongs to no thread; ignored"
                    : $"{Where()} follows an unusable NT_PRSTATUS, so it belongs to no thread; ignored");
                continue;
            }
            switch (note.Type)
            {
                case NoteType.PrStatus:
                    if (!Need(PrStatus.Size)) { current = -1; unusableStatus = true; unusableStatusNotes++; break; }
                    threads.Add(new ThreadBuilder(PrStatus.Parse(note.Descriptor), note.Index));
                    current = threads.Count - 1;
                    break;
                case NoteType.FpRegSet:
                    if (Need(FpState.Size)) Current().FpRegSetNote = note.Index;
                    break;
                case NoteType.ThrMisc:
                    // thrmisc_t: pr_tname[MAXCOMLEN+1 = 20], then padding (spec §3.5).
                    if (Need(1)) Current().ThrMisc = ThrMisc.Parse(note.Descriptor);
                    break;
                case NoteType.PtLwpInfo:
                    if (DecodeLwpInfo(note) is { } lwpInfo) Current().LwpInfo = lwpInfo;
                    break;
                case NoteType.X86SegBases:
                    if (Need(SegmentBases.Size)) Current().SegBases = new SegmentBases(U64(d, 0), U64(d, 8));
                    break;
                case NoteType.X86XState:
                    Current().XSaveNote = note.Index; // an empty descriptor is legal: no XSAVE (spec §2.1)
                    break;
                case NoteType.PrPsInfo:
                    present.Add(NoteType.Name(note.Type));
                    if (Need(PrPsInfo.MinimumSize)) psinfo = PrPsInfo.Parse(d);
                    break;
                case NoteType.ProcStatProc:
                    present.Add(NoteType.Name(note.Type));
                    DecodeKinfoProcs(note, kinfos);
                    break;
                case NoteType.ProcStatFiles:
                    present.Add(NoteType.Name(note.Type));
                    filesPadding = DecodePacked(note, KinfoFile.PathOffset, KinfoFile.FullSize, files, KinfoFile.Parse);
                    break;
                case NoteType.ProcStatVmMap:
                    present.Add(NoteType.Name(note.Type));
                    mapsPadding = DecodePacked(note, KinfoVmEntry.PathOffset, KinfoVmEntry.FullSize, maps, r => KinfoVmEntry.Parse(r).ToMapping());
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
                    if (Need(8)) executableOsRel = I32(d, 4);
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

        var byLwp = new Dictionary<int, KinfoProc>(kinfos.Count);
        foreach (var k in kinfos) byLwp.TryAdd(k.Lwp, k);
        var first = kinfos.FirstOrDefault();

        var built = new List<CoreThread>(threads.Count);
        // Not "note < 0 ? null : …": null would become an empty descriptor (byte[] converts to memory), not none.
        ReadOnlyMemory<byte>? Descriptor(int note) => note < 0 ? (ReadOnlyMemory<byte>?)null : elf.Notes[note].Descriptor;
        foreach (var t in threads)
        {
            long fileOffset = elf.Notes[t.StatusNote].FileOffset;
            // Spec §4.1: kinfo_proc records are per thread; match them by ki_tid == pr_pid.
            byLwp.TryGetValue(t.Status.Lwp, out var kinfo);
            if (kinfos.Count > 0 && kinfo is null)
                warn($"thread LWP {t.Status.Lwp} (NT_PRSTATUS at file offset 0x{fileOffset:x}) has no kinfo_proc record in NT_PROCSTAT_PROC");
            if (t.LwpInfo is { } li && li.Lwp != t.Status.Lwp)
                warn($"NT_PTLWPINFO of thread LWP {t.Status.Lwp} (NT_PRSTATUS at file offset 0x{fileOffset:x}) names LWP {li.Lwp}; the NT_PRSTATUS id is kept");
            var (name, source) = t.ThrMisc?.Name is { Length: > 0 } n ? (n, "NT_THRMISC")
                : kinfo is { FullThreadName.Length: > 0 } ? (kinfo.FullThreadName, "kinfo_proc")
                : t.LwpInfo is { Name.Length: > 0 } l ? (l.Name, "NT_PTLWPINFO")
                : ((string?)null, (string?)null);
            built.Add(new CoreThread
            {
                Index = built.Count + 1, Lwp = t.Status.Lwp, Registers = t.Status.Registers, CurrentSignal = t.Status.CurrentSignal,
                Name = name, NameSource = source,
                FpRegSet = Descriptor(t.FpRegSetNote), XSaveArea = Descriptor(t.XSaveNote), SegmentBases = t.SegBases,
                FreeBsd = new FreeBsdThreadState { Status = t.Status, ThrMisc = t.ThrMisc, LwpInfo = t.LwpInfo, Kinfo = kinfo },
            });
        }

        int? pid = psinfo is { Pid: not 0 } ? psinfo.Pid : first?.Pid;

        // The system's __FreeBSD_version: AT_OSRELDATE is the running kernel's (every producer writes
        // the auxv note); pr_osreldate is the kernel's in kernel cores and gcore's own build version
        // otherwise (spec §3.1). NT_PROCSTAT_OSREL is p_osrel, the version the executable was built
        // for (its ABI note), which can be older than the system: only a last resort.
        int? osrel = null;
        string? osrelSource = null;
        if (auxv.FirstOrDefault(a => a.Type == FreeBsdAuxvCatalogue.AT_OSRELDATE) is { Value: > 0 and <= int.MaxValue } at)
            (osrel, osrelSource) = ((int)at.Value, "AT_OSRELDATE");
        else if (threads.Count > 0 && threads[0].Status.OsRelDate > 0)
            (osrel, osrelSource) = (threads[0].Status.OsRelDate, "pr_osreldate");
        else if (executableOsRel is > 0)
            (osrel, osrelSource) = (executableOsRel, "NT_PROCSTAT_OSREL (the version the executable was built for)");

        var argv = ReadArgumentVector(psStrings);
        string? exe = files.FirstOrDefault(f => f.Fd == KinfoFile.FdText)?.Path;
        if (string.IsNullOrEmpty(exe) && auxv.FirstOrDefault(a => a.Type == FreeBsdAuxvCatalogue.AT_EXECPATH) is { } ep && memory.ReadCString(ep.Value, 1024) is { Status: CoreStringStatus.Complete } s)
            exe = s.Text;

        var process = new CoreProcess
        {
            Pid = pid, PidSource = pid is null ? null : psinfo is { Pid: not 0 } ? "NT_PRPSINFO" : "kinfo_proc",
            ParentPid = first?.ParentPid, Uid = first?.Uid, RealUid = first?.RealUid, RealGid = first?.RealGid,
            Command = psinfo?.Command is { Length: > 0 } c ? c : first?.Command,
            Arguments = argv is not null ? string.Join(' ', argv) : psinfo?.Arguments,
            ArgumentVector = argv,
            ArgumentsSource = argv is not null ? "ps_strings" : psinfo is not null ? "NT_PRPSINFO" : null,
            PsArgs = psinfo?.Arguments,
            StartTime = first?.Start.AsDate,
            WorkingDirectory = files.FirstOrDefault(f => f.Fd == KinfoFile.FdCwd)?.Path,
            Executable = string.IsNullOrEmpty(exe) ? null : exe,
            Signal = threads.Count > 0 ? threads[0].Status.CurrentSignal : 0,
            OpenFiles = files.ConvertAll(f => f.ToOpenFile()), Mappings = maps, Groups = groups, Umask = umask, ResourceLimits = limits, Auxv = auxv,
            NotesPresent = present,
            FreeBsd = new FreeBsdProcessState
            {
                PsInfo = psinfo, KinfoProcs = kinfos,
                OsRelDate = osrel, OsRelDateSource = osrelSource, ExecutableOsRelDate = executableOsRel,
                Emulation = first?.Emulation, ProcessFlags = first?.ProcessFlags, PsStrings = psStrings,
                OpenFilesNotePadding = filesPadding, MappingsNotePadding = mapsPadding,
            },
        };
        return (process, built);
    }

    /// <summary>
    /// NT_PTLWPINFO (spec §3.6): an int32 structsize, then <c>struct ptrace_lwpinfo</c> of that
    /// size; 11.x writes a shorter struct than 12+, so fields past the prefix are absent.
    /// </summary>
    private LwpInfo? DecodeLwpInfo(ElfNote note)
    {
        var d = note.Descriptor.Span;
        // Made only for a warning: ten thousand threads each have an NT_PTLWPINFO.
        string Where() => $"NT_PTLWPINFO at file offset 0x{note.FileOffset:x}";
        if (d.Length < 4) { warn($"{Where()} is too short for its structsize"); return null; }
        int declared = I32(d, 0), present = d.Length - 4;
        if (declared > present)
            warn($"{Where()} declares a {declared}-byte ptrace_lwpinfo but holds {present} bytes; the fields present are read");
        int usable = declared > 0 ? Math.Min(declared, present) : present;
        if (usable < LwpInfo.MinimumSize)
        {
            warn($"{Where()} holds a {usable}-byte ptrace_lwpinfo, shorter than the {LwpInfo.MinimumSize} bytes through pl_tdname; ignored");
            return null;
        }
        return LwpInfo.Parse(note.Descriptor);
    }

    private void DecodeKinfoProcs(ElfNote note, List<KinfoProc> into)
    {
        var descriptor = note.Descriptor;
        var d = descriptor.Span;
        if (d.Length < 4) { warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} is too short for its structsize"); return; }
        int size = I32(d, 0);
        if (size != KinfoProc.Size)
        {
            warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} says kinfo_proc is {size} bytes; only the amd64 layout of {KinfoProc.Size} bytes is known (sys/sys/user.h: KINFO_PROC_SIZE), so thread wait messages are unavailable");
            return;
        }
        int count = (d.Length - 4) / size;
        if ((d.Length - 4) % size != 0)
            warn($"NT_PROCSTAT_PROC at file offset 0x{note.FileOffset:x} holds {d.Length - 4} bytes, not a whole number of {size}-byte records; the partial record is ignored");
        into.EnsureCapacity(into.Count + count);
        for (int i = 0; i < count; i++) into.Add(KinfoProc.Parse(descriptor.Slice(4 + i * size, size)));
    }

    /// <summary>
    /// Packed kinfo_file / kinfo_vmentry records (spec §5, §6): each starts with its own size;
    /// kernel notes may end in zero padding, so a size of 0 or below the fixed part ends the list.
    /// Returns the length of that zero padding (0 when the records end the note or are damaged).
    /// </summary>
    /// <remarks>
    /// Each record is handed over as it lies in the note: a packed record ends after its path, and
    /// the fixed part before it is always there, so fields read as they would from the full struct.
    /// </remarks>
    private int DecodePacked<T>(ElfNote note, int fixedPart, int fullSize, List<T> into, Func<ReadOnlyMemory<byte>, T> parse)
    {
        var d = note.Descriptor.Span;
        string what = NoteType.Name(note.Type);
        if (d.Length < 4) { warn($"{what} at file offset 0x{note.FileOffset:x} is too short for its structsize"); return 0; }
        int declared = I32(d, 0);
        if (declared != fullSize)
            warn($"{what} at file offset 0x{note.FileOffset:x} declares {declared}-byte records; the amd64 layout of {fullSize} bytes is assumed (sys/sys/user.h: KINFO_FILE_SIZE, KINFO_VMENTRY_SIZE)");
        // Room for as many records as the note can hold: most are a thread's stack or guard, or a
        // socket, without a path, so this is close to their number (growing, the list is allocated twice).
        into.EnsureCapacity(into.Count + (d.Length - 4) / fixedPart);
        int pos = 4;
        while (d.Length - pos >= fixedPart)
        {
            int size = I32(d, pos);
            if (size == 0) break; // the kernel sizes the note in a first pass and pads it with zeros
            if (size < fixedPart || size > fullSize || size > d.Length - pos)
            {
                warn($"{what} record at file offset 0x{note.DescriptorFileOffset + pos:x} claims {size} bytes (expected {fixedPart}..{Math.Min(fullSize, d.Length - pos)}); the records after it are lost");
                return 0;
            }
            into.Add(parse(note.Descriptor.Slice(pos, size)));
            pos += size;
        }
        if (pos < d.Length && d[pos..].IndexOfAnyExcept((byte)0) >= 0)
        {
            warn($"{what} ends with {d.Length - pos} bytes at file offset 0x{note.DescriptorFileOffset + pos:x} that are neither a record nor zero padding; ignored");
            return 0;
        }
        return d.Length - pos;
    }

    /// <summary>argv from <c>struct ps_strings</c> { char **ps_argvstr; u_int ps_nargvstr; … } in memory, when dumped.</summary>
    private List<string>? ReadArgumentVector(ulong? psStrings)
    {
        if (psStrings is not { } ps || !memory.TryReadPointer(ps, out ulong argvAddress) || !memory.TryReadUInt32(ps + 8, out uint argc))
            return null;
        if (argc == 0 || argc > MaxArguments) return null;
        var argv = new List<string>((int)argc);
        int total = 0;
        for (uint i = 0; i < argc; i++)
        {
            if (!memory.TryReadPointer(argvAddress + 8 * i, out ulong p)) return null;
            var s = memory.ReadCString(p, Math.Min(4096, MaxArgumentBytes - total));
            if (s.Status != CoreStringStatus.Complete) return null;
            total += s.Bytes.Length + 1;
            argv.Add(s.Text);
        }
        return argv;
    }

    /// <summary>
    /// Tells gcore, kernel and gdb cores apart from what each writes differently: gdb's own notes
    /// and missing FreeBSD-only notes (spec §2.1, §2.3), the signal in pr_cursig (§3.1), true
    /// versus forced-writable PT_LOAD protections (§1.2), the thread order (§2.3) and the
    /// signal each thread reports in NT_PTLWPINFO (§3.6, §7.3).
    /// </summary>
    private (CoreProducer, IReadOnlyList<string>) DetectProducer(CoreProcess process, IReadOnlyList<CoreThread> threads)
    {
        var loads = elf.ProgramHeaders.Where(p => p.IsLoad).ToList();
        var readOnly = loads.Where(p => !p.Writable).ToList();
        int cursig = threads.Select(t => t.CurrentSignal).FirstOrDefault(s => s != 0);

        // One pass over the names and types, without making the notes (a 10,000-thread core has 50,000).
        bool gdbNote = false, coreNamed = false, thrMisc = false, proc = false;
        for (int i = 0; i < elf.Notes.Count; i++)
        {
            string name = elf.Notes.NameOf(i);
            uint type = elf.Notes.TypeOf(i);
            gdbNote |= name == "GDB";
            coreNamed |= name == "CORE" && type is NoteType.PrStatus or NoteType.FpRegSet or NoteType.PrPsInfo;
            thrMisc |= type == NoteType.ThrMisc && name == "FreeBSD";
            proc |= type == NoteType.ProcStatProc && name == "FreeBSD";
        }
        var gdb = new List<string>();
        if (gdbNote) gdb.Add("a \"GDB\" note is present (gdb's target description; gdb/fbsd-tdep.c: fbsd_make_corefile_notes)");
        if (elf.SectionHeaders.Count > 0 && !elf.Header.ExtendedNumbering) gdb.Add("the core carries a section header table, as BFD writes it");
        if (coreNamed)
            gdb.Add("register or process notes are named \"CORE\", as BFD's generic writers name them; the kernel and gcore write \"FreeBSD\" (sys/kern/imgact_elf.c, usr.bin/gcore/elfcore.c)");
        // A core cut short may simply have lost those notes: only a complete note segment counts.
        if (!thrMisc && !proc && threads.Count > 0 && !elf.NotesTruncated)
            gdb.Add("no NT_THRMISC and no NT_PROCSTAT_PROC notes: gdb writes neither (gdb/fbsd-tdep.c: fbsd_make_corefile_notes)");
        if (gdb.Count > 0) return (CoreProducer.Gdb, gdb);

        var kernel = new List<string>();
        var gcore = new List<string>();
        if (cursig != 0)
            kernel.Add($"pr_cursig is {cursig} in NT_PRSTATUS: the kernel records the signal that caused the dump; gcore writes 0 (sys/kern/imgact_elf.c, usr.bin/gcore/elfcore.c)");
        if (readOnly.Count > 0)
            kernel.Add($"{readOnly.Count} of {loads.Count} PT_LOAD segments are not writable: the kernel writes true protections, gcore forces R|W (sys/kern/imgact_elf.c; usr.bin/gcore/elfcore.c: readmap)");
        else if (loads.Count > 0)
            gcore.Add($"all {loads.Count} PT_LOAD segments have PF_W: gcore forces R|W whatever the mapping's protection (usr.bin/gcore/elfcore.c: readmap)");

        var freeBsd = process.FreeBsd!;
        var kinfoOrder = freeBsd.KinfoProcs.Select(k => k.Lwp).ToList();
        var noteOrder = threads.Select(t => t.Lwp).ToList();
        if (noteOrder.Count > 1 && kinfoOrder.Count == noteOrder.Count && !kinfoOrder.SequenceEqual(noteOrder)
            && kinfoOrder.Order().SequenceEqual(noteOrder.Order()))
            kernel.Add($"the first NT_PRSTATUS is LWP {noteOrder[0]} while kinfo_proc lists the threads in p_threads order from LWP {kinfoOrder[0]}: the kernel writes the thread that caused the dump first, gcore keeps p_threads order (sys/kern/imgact_elf.c, usr.bin/gcore/elfcore.c)");

        var signalled = threads.Where(t => t.FreeBsd?.LwpInfo is { Event: LwpInfo.EventSignal } l && l.HasSigInfo).ToList();
        if (cursig != 0 && signalled.Count > 0 && signalled[0].FreeBsd!.LwpInfo!.SigInfo.Signal == cursig)
            kernel.Add($"NT_PTLWPINFO of LWP {signalled[0].Lwp} carries the fatal signal {cursig} with its siginfo, as the kernel writes it for the dumping thread (sys/kern/imgact_elf.c)");
        if (signalled.FirstOrDefault(t => t.FreeBsd!.LwpInfo!.SigInfo.Signal == Sigstop) is { } stopped)
            gcore.Add($"NT_PTLWPINFO of LWP {stopped.Lwp} reports SIGSTOP: the signal gcore's ptrace attach delivers (sys/kern/sys_process.c: kern_ptrace, PT_ATTACH)");
        if (freeBsd.ProcessFlags is { } f && (f & KinfoProc.P_TRACED) != 0)
            gcore.Add("ki_flag has P_TRACED: the process was under ptrace when dumped, as gcore attaches (so does gcore -k)");

        // True protections and a fatal signal are things userland gcore cannot write (spec §1.2, §3.1).
        if (cursig != 0 || readOnly.Count > 0)
            return (CoreProducer.Kernel, kernel);
        if (gcore.Count > 0)
        {
            gcore.Add("pr_cursig is 0 in NT_PRSTATUS, as gcore writes it (usr.bin/gcore/elfcore.c)");
            return (CoreProducer.Gcore, gcore);
        }
        return (CoreProducer.Unknown, ["no distinguishing evidence (no PT_LOAD segments, no signal, no gdb note, no ptrace flag)"]);
    }

    private const int Sigstop = 17;

    /// <summary>
    /// A thread's notes while they are read: a value, kept in the list of threads, with the
    /// register-state notes by index in the note list (their descriptors are taken when the thread is made).
    /// </summary>
    private struct ThreadBuilder(PrStatus status, int statusNote)
    {
        public readonly PrStatus Status = status;
        public readonly int StatusNote = statusNote;
        public int FpRegSetNote = -1, XSaveNote = -1;
        public ThrMisc? ThrMisc;
        public LwpInfo? LwpInfo;
        public SegmentBases? SegBases;
    }
}
