using System.Buffers.Binary;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Linux;

/// <summary>What a Linux core says of one thread beyond the OS-neutral registers: orig_rax, fs_base, its siginfo.</summary>
public sealed record LinuxThreadState(LinuxPrStatus Status, LinuxSigInfo? SigInfo)
{
    public LinuxRegisters Registers => Status.Registers;
}

/// <summary>What a Linux core says of the process beyond the OS-neutral model: NT_PRPSINFO, NT_FILE, NT_SIGINFO.</summary>
public sealed record LinuxProcessState(LinuxPrPsInfo? PsInfo, LinuxFileNote? Files, LinuxSigInfo? SigInfo)
{
    /// <summary>The file-backed mappings of NT_FILE, in address order; empty without the note.</summary>
    public IReadOnlyList<LinuxMappedFile> MappedFiles => Files?.Files ?? [];
}

/// <summary>
/// Decodes the notes of a Linux x86-64 core (kernel, gdb's gcore, systemd-coredump after
/// decompression) into the process model FreeBSD cores fill: threads from NT_PRSTATUS with
/// the NT_PRFPREG, NT_X86_XSTATE and NT_SIGINFO after them, the process from NT_PRPSINFO,
/// NT_AUXV and NT_FILE. A note that cannot be read is a warning, never the end of the core.
/// </summary>
internal static class LinuxCoreReader
{
    private const int FxSaveSize = 512;

    /// <summary>The process, its threads, the NT_PRSTATUS notes that could not be read, and how to tell the producer with its evidence.</summary>
    public static CoreNotes Read(ElfFile elf, AddressSpace memory, Action<string> warn)
    {
        var (process, threads, unusable) = Decode(elf, memory, warn);
        return new CoreNotes(process, threads, unusable, () => DetectProducer(elf, threads));
    }

    private static (CoreProcess Process, IReadOnlyList<CoreThread> Threads, int UnusableStatusNotes) Decode(ElfFile elf, AddressSpace memory, Action<string> warn)
    {
        var threads = new List<Builder>();
        Builder? current = null;
        LinuxPrPsInfo? psinfo = null;
        LinuxFileNote? files = null;
        LinuxSigInfo? firstSigInfo = null;
        IReadOnlyList<LinuxAuxvEntry> auxv = [];
        var present = new List<string>();
        int unusable = 0;

        foreach (var note in elf.Notes)
        {
            if (note.Name is not ("CORE" or "LINUX")) continue;
            var d = note.Descriptor.Span;
            // Made only for a warning, not for each of ten thousand threads' notes.
            string Where() => $"{LinuxNoteType.Name(note.Type)} at file offset 0x{note.FileOffset:x}";
            try
            {
                switch (note.Type)
                {
                    case LinuxNoteType.PrStatus:
                        current = null;
                        var status = LinuxPrStatus.Parse(d, note.DescriptorFileOffset);
                        current = new Builder(status, note.FileOffset);
                        threads.Add(current);
                        break;
                    case LinuxNoteType.PrFpReg when current is not null:
                        if (d.Length >= FxSaveSize) current.FpRegSet = note.Descriptor;
                        else warn($"{Where()} has {d.Length} bytes, fewer than the {FxSaveSize} of an FXSAVE image; ignored");
                        break;
                    case LinuxNoteType.X86XState when current is not null:
                        current.XSaveArea = note.Descriptor;
                        break;
                    case LinuxNoteType.SigInfo:
                        // gdb writes one after every thread's registers; the kernel one, after the dumping thread's.
                        var si = LinuxSigInfo.Parse(d, note.DescriptorFileOffset);
                        firstSigInfo ??= si;
                        if (current is not null) current.SigInfo ??= si;
                        break;
                    case LinuxNoteType.PrPsInfo:
                        present.Add("NT_PRPSINFO");
                        psinfo = LinuxPrPsInfo.Parse(d, note.DescriptorFileOffset);
                        break;
                    case LinuxNoteType.Auxv:
                        present.Add("NT_AUXV");
                        auxv = LinuxAuxvEntry.ParseVector(d, note.DescriptorFileOffset);
                        break;
                    case LinuxNoteType.File:
                        present.Add("NT_FILE");
                        files = LinuxFileNote.Parse(d, note.DescriptorFileOffset);
                        break;
                    case var t when LinuxNoteType.IsPerThread(t) && current is null:
                        warn(threads.Count == 0 ? $"{Where()} comes before any NT_PRSTATUS, so it belongs to no thread; ignored"
                            : $"{Where()} follows an unusable NT_PRSTATUS, so it belongs to no thread; ignored");
                        break;
                }
            }
            catch (CoreFormatException e)
            {
                warn($"{Where()}: {e.Message}; ignored");
                if (note.Type == LinuxNoteType.PrStatus) unusable++;
            }
        }

        var built = new List<CoreThread>(threads.Count);
        foreach (var t in threads)
        {
            var r = t.Status.Registers;
            // The OS-neutral registers: FreeBSD's trapframe has the same general registers; trapno and
            // err have no Linux counterpart (orig_rax and fs_base stay in LinuxThreadState).
            var registers = new Registers(r.R15, r.R14, r.R13, r.R12, r.R11, r.R10, r.R9, r.R8, r.Rdi, r.Rsi, r.Rbp, r.Rbx, r.Rdx, r.Rcx, r.Rax,
                0, (ushort)r.Fs, (ushort)r.Gs, 0, (ushort)r.Es, (ushort)r.Ds, r.Rip, r.Cs, r.Eflags, r.Rsp, r.Ss);
            built.Add(new CoreThread
            {
                Index = built.Count + 1, Lwp = t.Status.Pid, Registers = registers, CurrentSignal = t.Status.CurrentSignal,
                FpRegSet = t.FpRegSet, XSaveArea = t.XSaveArea,
                SegmentBases = new SegmentBases(r.FsBase, r.GsBase),
                Linux = new LinuxThreadState(t.Status, t.SigInfo),
            });
        }

        var aux = auxv.Select(a => new AuxvEntry(unchecked((long)a.Type), a.Value)).ToList();
        var mapped = files?.Files ?? [];
        var mappings = Mappings(elf, memory, mapped);
        string? exe = null;
        foreach (ulong type in (ulong[])[LinuxAuxvEntry.AT_ENTRY, LinuxAuxvEntry.AT_PHDR])
            if (exe is null && auxv.FirstOrDefault(a => a.Type == type) is { } at && mapped.FirstOrDefault(m => at.Value >= m.Start && at.Value < m.End) is { } m)
                exe = m.Path;
        if (exe is null && auxv.FirstOrDefault(a => a.Type == LinuxAuxvEntry.AT_EXECFN) is { } fn && memory.ReadCString(fn.Value, 4096) is { Status: CoreStringStatus.Complete } s)
            exe = s.Text;

        var process = new CoreProcess
        {
            Os = CoreOs.Linux,
            Pid = psinfo?.Pid, PidSource = psinfo is null ? null : "NT_PRPSINFO",
            ParentPid = psinfo?.ParentPid, Uid = psinfo?.Uid, RealGid = psinfo?.Gid,
            Command = psinfo?.FileName is { Length: > 0 } c ? c : null,
            Arguments = psinfo?.CommandLine, ArgumentsSource = psinfo is null ? null : "NT_PRPSINFO",
            PsArgs = psinfo?.Arguments,
            Executable = exe,
            Signal = threads.Count > 0 ? threads[0].Status.CurrentSignal : 0,
            Mappings = mappings, MappingsAreFilesOnly = true, Auxv = aux, NotesPresent = present,
            Linux = new LinuxProcessState(psinfo, files, firstSigInfo),
        };
        return (process, built, unusable);
    }

    /// <summary>
    /// NT_FILE's mappings in the model's words (a file mapping with its file offset and
    /// protection), so modules are found the same way as FreeBSD's. NT_FILE has no protection: it
    /// is the PT_LOAD's flags where the core holds the mapping, else those of the image's own
    /// PT_LOAD at that file offset, read from the image's headers in the core (gcore and the kernel
    /// leave out file-backed code that was never written, but keep each image's first page).
    /// </summary>
    private static List<Mapping> Mappings(ElfFile elf, AddressSpace memory, IReadOnlyList<LinuxMappedFile> files)
    {
        var loads = elf.ProgramHeaders.Where(p => p.IsLoad).ToList();
        var headers = new Dictionary<string, List<ProgramHeader>?>(StringComparer.Ordinal);
        var list = new List<Mapping>(files.Count);
        foreach (var f in files.OrderBy(f => f.Start))
        {
            uint flags;
            if (loads.FirstOrDefault(p => p.VirtualAddress <= f.Start && f.Start < p.VirtualAddress + Math.Max(p.MemorySize, 1)) is { } load)
                flags = load.Flags;
            else
            {
                if (!headers.TryGetValue(f.Path, out var phdrs))
                    headers[f.Path] = phdrs = files.FirstOrDefault(o => o.Path == f.Path && o.FileOffset == 0) is { } first ? ImageHeaders(memory, first.Start) : null;
                flags = phdrs?.FirstOrDefault(p => p.IsLoad && (p.Offset & ~0xfffUL) <= f.FileOffset && f.FileOffset < p.Offset + Math.Max(p.FileSize, 1))?.Flags ?? PF_R;
            }
            var protection = ((flags & PF_R) != 0 ? MappingProtection.Read : 0) | ((flags & PF_W) != 0 ? MappingProtection.Write : 0)
                | ((flags & PF_X) != 0 ? MappingProtection.Execute : 0);
            // anon_inode:[io_uring] and the like are kernel objects, no files: not the start of an image.
            var kind = f.Path.StartsWith('/') ? MappingKind.File : MappingKind.Other;
            list.Add(new Mapping(f.Start, f.End, f.FileOffset, protection, kind, f.Path));
        }
        return list;
    }

    /// <summary>The program headers of the ELF image whose first page is at <paramref name="start"/> in the core; null when not there.</summary>
    private static List<ProgramHeader>? ImageHeaders(AddressSpace memory, ulong start)
    {
        Span<byte> ehdr = stackalloc byte[EhdrSize];
        if (!memory.TryRead(start, ehdr) || !ehdr[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']))
            return null;
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(ehdr[32..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(ehdr[56..]);
        if (phoff > 4096 || count is 0 or > 64) return null;
        var table = new byte[count * PhdrSize];
        if (!memory.TryRead(start + phoff, table)) return null;
        var list = new List<ProgramHeader>(count);
        for (int i = 0; i < count; i++) list.Add(ProgramHeader.Parse(i, table.AsSpan(i * PhdrSize, PhdrSize)));
        return list;
    }

    /// <summary>
    /// gdb's gcore (a "GDB" target-description note; gdb/linux-tdep.c writes the registers as
    /// "CORE" notes with the SIGSTOP of its attach), else the kernel (a fatal signal in pr_cursig
    /// and NT_SIGINFO; fs/binfmt_elf.c).
    /// </summary>
    private static (CoreProducer, IReadOnlyList<string>) DetectProducer(ElfFile elf, IReadOnlyList<CoreThread> threads)
    {
        if (elf.Notes.Any(n => n.Name == "GDB"))
            return (CoreProducer.Gdb, ["a \"GDB\" note is present (gdb's target description; gdb/linux-tdep.c: linux_make_corefile_notes): gdb's gcore wrote the core of a live process"]);
        int cursig = threads.Select(t => (int)(t.Linux?.Status.CurrentSignal ?? 0)).FirstOrDefault(s => s != 0);
        if (cursig != 0 && cursig != LinuxSignals.Sigstop)
            return (CoreProducer.Kernel, [$"pr_cursig is {cursig} ({LinuxSignals.Name(cursig)}) in the first NT_PRSTATUS and there is no \"GDB\" note: the kernel dumped the process as that signal ended it (fs/binfmt_elf.c)"]);
        return (CoreProducer.Unknown, ["no \"GDB\" note and no fatal signal in pr_cursig"]);
    }

    private sealed class Builder(LinuxPrStatus status, long fileOffset)
    {
        public LinuxPrStatus Status { get; } = status;
        public long FileOffset { get; } = fileOffset;
        public ReadOnlyMemory<byte>? FpRegSet { get; set; }
        public ReadOnlyMemory<byte>? XSaveArea { get; set; }
        public LinuxSigInfo? SigInfo { get; set; }
    }
}
