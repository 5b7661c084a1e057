using System.Buffers.Binary;

namespace CoreSleuth.Tests.Hostile;

/// <summary>What a field of a core means to a reader, which decides how it is damaged.</summary>
public enum FieldKind
{
    /// <summary>A byte count: namesz, descsz, p_filesz, p_memsz, pr_statussz…</summary>
    Size,
    /// <summary>A record size that a reader checks or steps by: kinfo structsize, kf_structsize, kve_structsize.</summary>
    StructSize,
    /// <summary>A count: e_phnum, e_shnum, the PN_XNUM count in section 0, ps_nargvstr.</summary>
    Count,
    /// <summary>A file offset: e_phoff, e_shoff, p_offset.</summary>
    FileOffset,
    /// <summary>A virtual address in a header or note: p_vaddr, kve_start, auxv values, registers.</summary>
    Address,
    /// <summary>A type or selector: p_type, note type, kf_type, e_machine.</summary>
    Type,
    /// <summary>A word of dumped memory whose value points into dumped memory.</summary>
    Pointer,
    /// <summary>A TCB's tcb_self (spec §9.2): it points at itself.</summary>
    SelfPointer,
    /// <summary>tcb_thread, the pthread_t of a TCB (spec §9.2).</summary>
    ThreadPointer,
    /// <summary>A struct pthread's tle.tqe_next, or the head of _thread_list (spec §9.1, §9.3).</summary>
    ListLink,
    /// <summary>struct pthread's back-pointer to its TCB (spec §9.1).</summary>
    BackPointer,
    /// <summary>A saved %rbp in a frame-pointer chain on a thread's stack.</summary>
    SavedFramePointer,
    /// <summary>A return address beside a saved %rbp.</summary>
    ReturnAddress,
}

/// <summary>An integer field of the file: where it is, how wide, what it means.</summary>
public readonly record struct CoreField(int Offset, int Width, FieldKind Kind, string Label);

/// <summary>A C string (or fixed char array) in the file.</summary>
public readonly record struct CoreString(int Offset, int Capacity, string Label);

/// <summary>A PT_LOAD segment's bytes in the file.</summary>
public readonly record struct LoadRange(ulong VirtualAddress, int FileOffset, int Length)
{
    public bool Contains(ulong address) => address >= VirtualAddress && address - VirtualAddress < (ulong)Length;
}

/// <summary>
/// A map of a FreeBSD amd64 core for structure-aware damage, read here independently of the
/// reader under test (spec §1–§6, §9): the ELF and program headers, every note header and the
/// size, type and string fields of the notes, and in dumped memory the pointers, TCB and libthr
/// links and frame-pointer chains that an analysis follows. Works on any bytes: whatever does
/// not parse is simply not mapped.
/// </summary>
public sealed class CoreFields
{
    private const int EhdrSize = 64, PhdrSize = 56, NoteHeaderSize = 12;
    private const int KinfoProcSize = 1088, KinfoFileSize = 1392, KinfoVmEntrySize = 1160;
    private const int MaxPointers = 60_000, MaxMemoryStrings = 4_000;

    public List<CoreField> Fields { get; } = [];
    public List<CoreString> Strings { get; } = [];
    public List<LoadRange> Loads { get; } = [];

    /// <summary>[start, end) of each PT_NOTE segment's bytes in the file.</summary>
    public List<(int Start, int End)> NoteSegments { get; } = [];

    /// <summary>File offsets of each note's header.</summary>
    public List<int> NoteHeaders { get; } = [];

    /// <summary>Where the headers end (program headers and PN_XNUM section header).</summary>
    public int HeaderEnd { get; private set; }

    public int Length { get; }

    private readonly byte[] bytes;
    private readonly List<(ulong Rbp, ulong Rsp)> threadRegisters = [];
    private ulong? psStrings;

    private CoreFields(byte[] bytes)
    {
        this.bytes = bytes;
        Length = bytes.Length;
    }

    /// <summary>Maps <paramref name="bytes"/>; <paramref name="hints"/> adds labelled addresses known from the image (e.g. _thread_list).</summary>
    public static CoreFields Parse(byte[] bytes, IEnumerable<(ulong Address, FieldKind Kind, string Label)>? hints = null)
    {
        var map = new CoreFields(bytes);
        map.ParseHeaders();
        map.ParseNotes();
        map.ParseMemory();
        foreach (var (address, kind, label) in hints ?? [])
            if (map.FileOffsetOf(address, 8) is { } at) map.Fields.Add(new CoreField(at, 8, kind, label));
        return map;
    }

    public int? FileOffsetOf(ulong address, int width)
    {
        foreach (var l in Loads)
            if (l.Contains(address) && address - l.VirtualAddress + (ulong)width <= (ulong)l.Length)
                return l.FileOffset + (int)(address - l.VirtualAddress);
        return null;
    }

    private bool Has(long offset, int width) => offset >= 0 && width >= 0 && offset + width <= bytes.Length;
    private ulong U64(long o) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)o));
    private uint U32(long o) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)o));
    private ushort U16(long o) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)o));

    private void Add(long offset, int width, FieldKind kind, string label)
    {
        if (Has(offset, width)) Fields.Add(new CoreField((int)offset, width, kind, label));
    }

    private void AddString(long offset, int capacity, string label)
    {
        if (capacity > 0 && Has(offset, 1)) Strings.Add(new CoreString((int)offset, (int)Math.Min(capacity, bytes.Length - offset), label));
    }

    private void ParseHeaders()
    {
        if (!Has(0, EhdrSize)) return;
        Add(4, 1, FieldKind.Type, "EI_CLASS");
        Add(5, 1, FieldKind.Type, "EI_DATA");
        Add(7, 1, FieldKind.Type, "EI_OSABI");
        Add(16, 2, FieldKind.Type, "e_type");
        Add(18, 2, FieldKind.Type, "e_machine");
        if (bytes[4] != 2) { HeaderEnd = EhdrSize; return; } // ELF32: only the identification is mapped
        Add(32, 8, FieldKind.FileOffset, "e_phoff");
        Add(40, 8, FieldKind.FileOffset, "e_shoff");
        Add(52, 2, FieldKind.Size, "e_ehsize");
        Add(54, 2, FieldKind.Size, "e_phentsize");
        Add(56, 2, FieldKind.Count, "e_phnum");
        Add(58, 2, FieldKind.Size, "e_shentsize");
        Add(60, 2, FieldKind.Count, "e_shnum");
        Add(62, 2, FieldKind.Count, "e_shstrndx");
        ulong phoff = U64(32), shoff = U64(40);
        int phnum = U16(56);
        if (shoff != 0 && shoff < (ulong)bytes.Length && Has((long)shoff, 64))
        {
            long sh0 = (long)shoff;
            Add(sh0 + 32, 8, FieldKind.Count, "sh_size of section 0 (PN_XNUM e_shnum)");
            Add(sh0 + 40, 4, FieldKind.Count, "sh_link of section 0 (PN_XNUM e_shstrndx)");
            Add(sh0 + 44, 4, FieldKind.Count, "sh_info of section 0 (PN_XNUM e_phnum)");
            if (phnum == 0xffff) phnum = (int)Math.Min(U32(sh0 + 44), 100_000);
            int shnum = U16(60) == 0 ? (int)Math.Min(U64(sh0 + 32), 1000) : U16(60);
            for (int i = 1; i < shnum && Has(sh0 + 64L * i, 64); i++)
            {
                long s = sh0 + 64L * i;
                Add(s + 4, 4, FieldKind.Type, $"sh_type[{i}]");
                Add(s + 24, 8, FieldKind.FileOffset, $"sh_offset[{i}]");
                Add(s + 32, 8, FieldKind.Size, $"sh_size[{i}]");
                Add(s + 0, 4, FieldKind.FileOffset, $"sh_name[{i}]");
            }
        }
        if (phoff >= (ulong)bytes.Length) { HeaderEnd = EhdrSize; return; }
        HeaderEnd = (int)Math.Min((long)phoff + (long)phnum * PhdrSize, bytes.Length);
        for (int i = 0; i < phnum; i++)
        {
            long p = (long)phoff + (long)i * PhdrSize;
            if (!Has(p, PhdrSize)) break;
            uint type = U32(p);
            ulong offset = U64(p + 8), vaddr = U64(p + 16), filesz = U64(p + 32);
            Add(p, 4, FieldKind.Type, $"p_type[{i}]");
            Add(p + 4, 4, FieldKind.Type, $"p_flags[{i}]");
            Add(p + 8, 8, FieldKind.FileOffset, $"p_offset[{i}]");
            Add(p + 16, 8, FieldKind.Address, $"p_vaddr[{i}]");
            Add(p + 32, 8, FieldKind.Size, $"p_filesz[{i}]");
            Add(p + 40, 8, FieldKind.Size, $"p_memsz[{i}]");
            Add(p + 48, 8, FieldKind.Size, $"p_align[{i}]");
            if (offset >= (ulong)bytes.Length || filesz == 0) continue;
            int length = (int)Math.Min(filesz, (ulong)bytes.Length - offset);
            if (type == 4) NoteSegments.Add(((int)offset, (int)offset + length));
            if (type == 1) Loads.Add(new LoadRange(vaddr, (int)offset, length));
        }
    }

    private void ParseNotes()
    {
        foreach (var (start, end) in NoteSegments)
        {
            int pos = start, index = 0;
            while (end - pos >= NoteHeaderSize)
            {
                uint namesz = U32(pos), descsz = U32(pos + 4), type = U32(pos + 8);
                long desc = pos + NoteHeaderSize + ((namesz + 3L) & ~3L);
                long next = desc + ((descsz + 3L) & ~3L);
                if (desc + descsz > end) break;
                NoteHeaders.Add(pos);
                string t = $"note {index} type 0x{type:x}";
                Add(pos, 4, FieldKind.Size, $"namesz of {t}");
                Add(pos + 4, 4, FieldKind.Size, $"descsz of {t}");
                Add(pos + 8, 4, FieldKind.Type, $"type of {t}");
                AddString(pos + NoteHeaderSize, (int)Math.Min(namesz, 256), $"name of {t}");
                ParseDescriptor(type, (int)desc, (int)descsz, t);
                pos = (int)next;
                index++;
            }
        }
    }

    private void ParseDescriptor(uint type, int d, int size, string note)
    {
        switch (type)
        {
            case 1 when size >= 224: // NT_PRSTATUS, spec §3.1, §3.2
                Add(d + 8, 8, FieldKind.Size, $"pr_statussz ({note})");
                Add(d + 16, 8, FieldKind.Size, $"pr_gregsetsz ({note})");
                Add(d + 24, 8, FieldKind.Size, $"pr_fpregsetsz ({note})");
                Add(d + 40, 4, FieldKind.Count, $"pr_pid ({note})");
                foreach (var (name, at) in (ReadOnlySpan<(string, int)>)[("rbp", 80), ("rsp", 160), ("rip", 136), ("rax", 112), ("rdi", 64), ("rsi", 72), ("rdx", 96), ("r10", 40)])
                    Add(d + 48 + at, 8, FieldKind.Address, $"{name} ({note})");
                Add(d + 48 + 128, 4, FieldKind.Size, $"tf_err ({note})");
                threadRegisters.Add((U64(d + 48 + 80), U64(d + 48 + 160)));
                break;
            case 3 when size >= 120: // NT_PRPSINFO, spec §3.4
                Add(d + 8, 8, FieldKind.Size, $"pr_psinfosz ({note})");
                AddString(d + 16, 17, $"pr_fname ({note})");
                AddString(d + 33, 81, $"pr_psargs ({note})");
                break;
            case 7: // NT_THRMISC, spec §3.5
                AddString(d, Math.Min(size, 20), $"pr_tname ({note})");
                break;
            case 8 when size >= 4: // NT_PROCSTAT_PROC, spec §4
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                for (int r = d + 4, i = 0; r + KinfoProcSize <= d + size; r += KinfoProcSize, i++)
                {
                    string k = $"kinfo_proc {i} ({note})";
                    Add(r, 4, FieldKind.StructSize, $"ki_structsize of {k}");
                    Add(r + 600, 4, FieldKind.Count, $"ki_tid of {k}");
                    Add(r + 388, 1, FieldKind.Type, $"ki_stat of {k}");
                    Add(r + 1080, 8, FieldKind.Type, $"ki_tdflags of {k}");
                    Add(r + 64, 8, FieldKind.Address, $"ki_wchan of {k}");
                    foreach (var (name, at, capacity) in (ReadOnlySpan<(string, int, int)>)[("ki_tdname", 394, 17), ("ki_wmesg", 411, 9), ("ki_login", 420, 18),
                        ("ki_lockname", 438, 9), ("ki_comm", 447, 20), ("ki_emul", 467, 17), ("ki_moretdname", 502, 4)])
                        AddString(r + at, capacity, $"{name} of {k}");
                }
                break;
            case 9 or 10 when size >= 4: // NT_PROCSTAT_FILES / VMMAP, spec §5, §6: packed records
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                bool files = type == 9;
                int pathAt = files ? 368 : 136, full = files ? KinfoFileSize : KinfoVmEntrySize;
                for (int r = d + 4, i = 0; r + 4 <= d + size; i++)
                {
                    int rs = (int)U32(r);
                    string k = $"{(files ? "kinfo_file" : "kinfo_vmentry")} {i} ({note})";
                    Add(r, 4, FieldKind.StructSize, $"structsize of {k}");
                    if (files)
                    {
                        Add(r + 4, 4, FieldKind.Type, $"kf_type of {k}");
                        Add(r + 8, 4, FieldKind.Count, $"kf_fd of {k}");
                        Add(r + 32, 4, FieldKind.Type, $"kf_vnode_type of {k}");
                    }
                    else
                    {
                        Add(r + 8, 8, FieldKind.Address, $"kve_start of {k}");
                        Add(r + 16, 8, FieldKind.Address, $"kve_end of {k}");
                        Add(r + 24, 8, FieldKind.FileOffset, $"kve_offset of {k}");
                        Add(r + 56, 4, FieldKind.Type, $"kve_type of {k}");
                        Add(r + 52, 4, FieldKind.Type, $"kve_protection of {k}");
                    }
                    AddString(r + pathAt, Math.Min(rs, full) - pathAt, $"path of {k}");
                    if (rs <= pathAt || rs > full) break;
                    r += rs;
                }
                break;
            case 13 when size >= 4: // NT_PTLWPINFO, spec §3.6
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                Add(d + 4, 4, FieldKind.Count, $"pl_lwpid ({note})");
                AddString(d + 4 + 128, 20, $"pl_tdname ({note})");
                break;
            case 15 when size >= 12: // NT_PROCSTAT_PSSTRINGS
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                Add(d + 4, 8, FieldKind.Address, $"ps_strings ({note})");
                psStrings = U64(d + 4);
                break;
            case 16 when size >= 4: // NT_PROCSTAT_AUXV
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                for (int e = d + 4, i = 0; e + 16 <= d + size; e += 16, i++)
                {
                    Add(e, 8, FieldKind.Type, $"a_type of auxv {i}");
                    Add(e + 8, 8, FieldKind.Address, $"a_val of auxv {i}");
                }
                break;
            case 11 or 12 or 14 when size >= 4: // GROUPS, UMASK, OSREL, RLIMIT
                Add(d, 4, FieldKind.StructSize, $"structsize ({note})");
                break;
            case 0x200 when size >= 16: // NT_X86_SEGBASES, spec §3.7
                Add(d, 8, FieldKind.Address, $"fs_base ({note})");
                break;
            case 0x202 when size >= 512 + 64: // NT_X86_XSTATE: xstate_bv in the XSAVE header
                Add(d + 512, 8, FieldKind.Type, $"xstate_bv ({note})");
                break;
        }
    }

    private LoadRange[]? sortedLoads;

    /// <summary>Whether <paramref name="address"/> is in dumped memory (binary search over the loads by address).</summary>
    public bool InLoads(ulong address)
    {
        sortedLoads ??= [.. Loads.OrderBy(l => l.VirtualAddress)];
        int lo = 0, hi = sortedLoads.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sortedLoads[mid].VirtualAddress > address) hi = mid - 1;
            else if (sortedLoads[mid].Contains(address)) return true;
            else lo = mid + 1;
        }
        return false;
    }

    private void ParseMemory()
    {
        // ps_strings: argv pointer and count (spec §2.2 NT_PROCSTAT_PSSTRINGS).
        if (psStrings is { } ps)
        {
            if (FileOffsetOf(ps, 8) is { } argv) Fields.Add(new CoreField(argv, 8, FieldKind.Pointer, "ps_argvstr"));
            if (FileOffsetOf(ps + 8, 4) is { } argc) Fields.Add(new CoreField(argc, 4, FieldKind.Count, "ps_nargvstr"));
        }

        // Pointers, and TCBs found by their self-pointer (spec §9.2, §9.4).
        int pointers = 0;
        foreach (var load in Loads)
        {
            int first = (int)((8 - (load.VirtualAddress & 7)) & 7);
            for (int o = first; o + 8 <= load.Length && pointers < MaxPointers; o += 8)
            {
                int at = load.FileOffset + o;
                ulong value = U64(at);
                if (value == 0) continue;
                ulong address = load.VirtualAddress + (ulong)o;
                if (value == address)
                {
                    Fields.Add(new CoreField(at, 8, FieldKind.SelfPointer, $"tcb_self at 0x{address:x}"));
                    MapTcb(address);
                    continue;
                }
                if (!InLoads(value)) continue;
                Fields.Add(new CoreField(at, 8, FieldKind.Pointer, $"pointer at 0x{address:x}"));
                pointers++;
            }
        }

        // ELF images in dumped memory: their program headers, dynamic sections, hash tables (spec §9.3).
        foreach (var load in Loads.Where(l => l.Length >= EhdrSize && bytes.AsSpan(l.FileOffset, 4).SequenceEqual((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F'])).Take(32))
            MapImage(load);

        // Frame-pointer chains from each thread's %rbp.
        foreach (var (rbp, rsp) in threadRegisters)
        {
            ulong fp = rbp;
            for (int depth = 0; depth < 64 && FileOffsetOf(fp, 16) is { } at; depth++)
            {
                Fields.Add(new CoreField(at, 8, FieldKind.SavedFramePointer, $"saved rbp at 0x{fp:x}"));
                Fields.Add(new CoreField(at + 8, 8, FieldKind.ReturnAddress, $"return address at 0x{fp + 8:x}"));
                ulong next = U64(at);
                if (next <= fp) break;
                fp = next;
            }
            // Slots above rsp that CFI and stack scanning read as return addresses.
            for (ulong a = rsp & ~7UL, n = 0; n < 64 && FileOffsetOf(a, 8) is { } slot; a += 8, n++)
                if (InLoads(U64(slot)))
                    Fields.Add(new CoreField(slot, 8, FieldKind.ReturnAddress, $"stack slot at 0x{a:x}"));
        }

        // C strings in memory (paths, statements, argv): printable runs ended by a NUL.
        int strings = 0;
        foreach (var load in Loads)
        {
            int runStart = -1;
            for (int o = 0; o < load.Length && strings < MaxMemoryStrings; o++)
            {
                byte b = bytes[load.FileOffset + o];
                if (b >= 0x20 && b < 0x7f) { if (runStart < 0) runStart = o; continue; }
                if (b == 0 && runStart >= 0 && o - runStart >= 6)
                {
                    Strings.Add(new CoreString(load.FileOffset + runStart, o - runStart + 1, $"string at 0x{load.VirtualAddress + (ulong)runStart:x}"));
                    strings++;
                }
                runStart = -1;
            }
        }
    }

    /// <summary>An ELF image mapped at <paramref name="load"/>: phdr sizes, the dynamic entries' values, DT_HASH/DT_GNU_HASH counts.</summary>
    private void MapImage(LoadRange load)
    {
        int e = load.FileOffset;
        if (bytes[e + 4] != 2) return;
        Add(e + 32, 8, FieldKind.FileOffset, $"e_phoff of the image at 0x{load.VirtualAddress:x}");
        Add(e + 56, 2, FieldKind.Count, $"e_phnum of the image at 0x{load.VirtualAddress:x}");
        ulong phoff = U64(e + 32);
        int phnum = U16(e + 56);
        if (phoff > (ulong)load.Length || phnum > 64) return;
        ulong firstLoad = ulong.MaxValue;
        var phdrs = new List<(uint Type, ulong Vaddr, ulong Memsz)>();
        for (int i = 0; i < phnum && (long)phoff + 56L * (i + 1) <= load.Length; i++)
        {
            int p = e + (int)phoff + 56 * i;
            uint type = U32(p);
            string what = $"phdr {i} (type 0x{type:x}) of the image at 0x{load.VirtualAddress:x}";
            Add(p + 16, 8, FieldKind.Address, $"p_vaddr of {what}");
            Add(p + 32, 8, FieldKind.Size, $"p_filesz of {what}");
            Add(p + 40, 8, FieldKind.Size, $"p_memsz of {what}");
            phdrs.Add((type, U64(p + 16), U64(p + 40)));
            if (type == 1) firstLoad = Math.Min(firstLoad, U64(p + 16) & ~0xfffUL);
        }
        if (firstLoad == ulong.MaxValue) return;
        ulong bias = load.VirtualAddress - firstLoad;
        foreach (var (type, vaddr, memsz) in phdrs)
        {
            if (type == 2) // PT_DYNAMIC
            {
                for (ulong d = 0; d + 16 <= Math.Min(memsz, 4096); d += 16)
                {
                    if (FileOffsetOf(vaddr + bias + d, 16) is not { } at) break;
                    long tag = (long)U64(at);
                    if (tag == 0) break;
                    // DT_PLTRELSZ 2, DT_STRSZ 10, DT_SYMENT 11, DT_RELASZ 8, DT_RELAENT 9: sizes; the rest mostly addresses.
                    FieldKind kind = tag is 2 or 8 or 9 or 10 or 11 ? FieldKind.Size : FieldKind.Address;
                    Fields.Add(new CoreField(at + 8, 8, kind, $"d_val of DT 0x{tag:x} of the image at 0x{load.VirtualAddress:x}"));
                    if (tag is 4 or 0x6ffffef5 && FileOffsetOf(U64(at + 8) + (U64(at + 8) < bias ? bias : 0), 16) is { } hash)
                    {
                        Fields.Add(new CoreField(hash, 4, FieldKind.Count, $"nbucket of the hash table of the image at 0x{load.VirtualAddress:x}"));
                        Fields.Add(new CoreField(hash + 4, 4, FieldKind.Count, $"nchain/symoffset of the hash table of the image at 0x{load.VirtualAddress:x}"));
                        Fields.Add(new CoreField(hash + 8, 4, FieldKind.Count, $"bloom size of the hash table of the image at 0x{load.VirtualAddress:x}"));
                    }
                }
            }
            if (type == 0x6474e550 && FileOffsetOf(vaddr + bias, 12) is { } hdr) // PT_GNU_EH_FRAME: version, encodings, eh_frame_ptr, fde_count
            {
                Add(hdr, 4, FieldKind.Type, $".eh_frame_hdr encodings of the image at 0x{load.VirtualAddress:x}");
                Add(hdr + 4, 4, FieldKind.Address, $"eh_frame_ptr of the image at 0x{load.VirtualAddress:x}");
                Add(hdr + 8, 4, FieldKind.Count, $"fde_count of the image at 0x{load.VirtualAddress:x}");
            }
        }
    }

    /// <summary>tcb_thread → struct pthread: its tid, thread-list links and back-pointer (spec §9.1, §9.2).</summary>
    private void MapTcb(ulong tcb)
    {
        if (FileOffsetOf(tcb + 16, 8) is not { } threadSlot) return;
        Fields.Add(new CoreField(threadSlot, 8, FieldKind.ThreadPointer, $"tcb_thread of TCB 0x{tcb:x}"));
        ulong pthread = U64(threadSlot);
        if (FileOffsetOf(pthread, 0x500) is not { } p) return;
        Fields.Add(new CoreField(p, 8, FieldKind.Count, $"tid of pthread 0x{pthread:x}"));
        foreach (int next in (ReadOnlySpan<int>)[56, 64]) // tle.tqe_next: 10.x–12.x and 13.x+ (spec §9.1)
            Fields.Add(new CoreField(p + next, 8, FieldKind.ListLink, $"tle+{next} of pthread 0x{pthread:x}"));
        for (int o = 8; o + 8 <= 0x500; o += 8)
            if (U64(p + o) == tcb) Fields.Add(new CoreField(p + o, 8, FieldKind.BackPointer, $"tcb back-pointer at +{o} of pthread 0x{pthread:x}"));
    }
}
