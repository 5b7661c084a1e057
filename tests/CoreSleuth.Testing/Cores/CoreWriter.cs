namespace CoreSleuth.Testing.Cores;

/// <summary>One PT_LOAD segment of a written core.</summary>
public sealed record LoadSegment(MappingSpec Mapping, long FileOffset, uint Flags)
{
    public ulong VirtualAddress => Mapping.Start;
    public ulong Size => Mapping.Size;
}

/// <summary>Where everything goes in the file (spec §1.1, §1.2).</summary>
public sealed record CoreLayout
{
    /// <summary>Real number of program headers (PT_NOTE + PT_LOADs).</summary>
    public required int ProgramHeaderCount { get; init; }
    /// <summary>e_phnum is PN_XNUM (0xFFFF) and the real count is in section header 0's sh_info.</summary>
    public required bool ExtendedNumbering { get; init; }
    /// <summary>Bytes of ELF header + program headers (+ the PN_XNUM section header for gcore/kernel).</summary>
    public required long HeaderSize { get; init; }
    public required long NoteOffset { get; init; }
    public required int NoteSize { get; init; }
    public required IReadOnlyList<LoadSegment> Loads { get; init; }
    /// <summary>e_shoff (0 when there is no section header).</summary>
    public required long SectionHeaderOffset { get; init; }
    /// <summary>Real number of section headers (0, 1 for PN_XNUM, or gdb's table).</summary>
    public required int SectionCount { get; init; }
    /// <summary>Offset and size of gdb's .shstrtab (0 otherwise).</summary>
    public long StringTableOffset { get; init; }
    public int StringTableSize { get; init; }
    /// <summary>Length of the file as written.</summary>
    public required long FileSize { get; init; }
}

/// <summary>
/// Writes FreeBSD/amd64 ELF cores as gcore(1), the kernel or gdb would (spec §1–§7). Output is
/// a pure function of the <see cref="CoreSpec"/>: the same spec always gives the same bytes.
/// </summary>
/// <remarks>
/// Layout (gcore and kernel, spec §1.2): ELF header; program headers (PT_NOTE first, then
/// one PT_LOAD per dumped mapping in ascending address order); with PN_XNUM one section header;
/// the notes; the memory of each PT_LOAD from round_up(header + notes, 4096), back to back.
/// gdb variant (a simplification of what BFD writes): the same layout followed by a section
/// header table — [0] null (carries the PN_XNUM counts when needed), "note0" (SHT_NOTE over the
/// notes), one "load" (SHT_PROGBITS, SHF_ALLOC [+WRITE] [+EXECINSTR]) per PT_LOAD, and
/// ".shstrtab" — placed after the memory, the string table first, the headers 8-aligned.
/// </remarks>
public static class CoreWriter
{
    public const int PageSize = 4096;
    private const int EhdrSize = 64, PhdrSize = 56, ShdrSize = 64;
    private const ushort PnXnum = 0xffff;
    private const int ShnLoReserve = 0xff00;
    private const ushort ShnXIndex = 0xffff;
    private const uint PtLoad = 1, PtNote = 4;
    private const uint PfX = 1, PfW = 2, PfR = 4;
    private static readonly byte[] ShStrTab = "\0note0\0load\0.shstrtab\0"u8.ToArray();

    /// <summary>Writes the whole core to <paramref name="output"/>.</summary>
    public static CoreLayout Write(CoreSpec spec, Stream output) => Write(spec, CoreNotes.Build(spec), output);

    /// <summary>Writes a core whose PT_NOTE holds exactly <paramref name="notes"/> (headers and memory from <paramref name="spec"/>).</summary>
    public static CoreLayout Write(CoreSpec spec, IReadOnlyList<NoteSpec> notes, Stream output)
    {
        var noteBytes = CoreNotes.Encode(notes);
        var layout = Plan(spec, noteBytes.Length);
        long start = output.CanSeek ? output.Position : 0;
        var pos = new Position(output);

        pos.Write(Headers(spec, layout));
        pos.Write(noteBytes);
        if (!spec.OmitMemory)
        {
            foreach (var load in layout.Loads)
            {
                pos.ZeroFillTo(load.FileOffset, spec.SparseZeroPages);
                WriteMemory(pos, load.Mapping, spec.SparseZeroPages);
            }
            if (spec.Producer == CoreProducer.Gdb)
            {
                pos.ZeroFillTo(layout.StringTableOffset, false);
                pos.Write(ShStrTab);
                pos.ZeroFillTo(layout.SectionHeaderOffset, false);
                pos.Write(GdbSectionHeaders(layout));
            }
        }
        pos.Finish(start + layout.FileSize);
        return layout;
    }

    /// <summary>Writes the core to a file (sparse where <see cref="CoreSpec.SparseZeroPages"/> asks for holes).</summary>
    public static CoreLayout WriteFile(CoreSpec spec, string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        return Write(spec, fs);
    }

    /// <summary>The whole core as a byte array.</summary>
    public static byte[] WriteToArray(CoreSpec spec)
    {
        using var ms = new MemoryStream();
        Write(spec, ms);
        return ms.ToArray();
    }

    /// <summary>Just the PT_NOTE segment the core would contain.</summary>
    public static byte[] WriteNotes(CoreSpec spec) => CoreNotes.Encode(CoreNotes.Build(spec));

    /// <summary>The layout of the core, without writing it.</summary>
    public static CoreLayout Plan(CoreSpec spec) => Plan(spec, WriteNotes(spec).Length);

    /// <summary>Mappings in VM-map (ascending address) order; validates alignment and overlaps.</summary>
    public static IReadOnlyList<MappingSpec> SortedMappings(CoreSpec spec)
    {
        var sorted = spec.Mappings.OrderBy(m => m.Start).ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            var m = sorted[i];
            if (m.End <= m.Start)
                throw new ArgumentException($"mapping 0x{m.Start:x}-0x{m.End:x} is empty or inverted");
            if (m.Start % PageSize != 0 || m.End % PageSize != 0)
                throw new ArgumentException($"mapping 0x{m.Start:x}-0x{m.End:x} is not page-aligned");
            if ((ulong)m.Contents.Length > m.Size)
                throw new ArgumentException($"mapping 0x{m.Start:x}-0x{m.End:x} has {m.Contents.Length} bytes of contents for {m.Size} bytes");
            if (i > 0 && sorted[i - 1].End > m.Start)
                throw new ArgumentException($"mappings 0x{sorted[i - 1].Start:x} and 0x{m.Start:x} overlap");
        }
        return sorted;
    }

    /// <summary>Whether the producer writes a PT_LOAD for the mapping (spec §1.3).</summary>
    public static bool IsDumped(CoreSpec spec, MappingSpec m)
    {
        if (m.Dumped is bool forced) return forced;
        if ((m.Flags & KveFlags.NoCoreDump) != 0) return false;
        bool ordinary = m.Type is KveType.Default or KveType.Vnode or KveType.Swap or KveType.Phys;
        switch (spec.Producer)
        {
            case CoreProducer.Kernel:
                // Any protection (R and W with the legacy sysctl); a VM object that is not fictitious.
                bool prot = spec.KernelLegacyCoredump
                    ? (m.Protection & KveProt.ReadWrite) == KveProt.ReadWrite
                    : (m.Protection & (KveProt.Read | KveProt.Write | KveProt.Exec)) != 0;
                return prot && ordinary;
            case CoreProducer.Gcore:
                if ((m.Protection & KveProt.Read) == 0) return false;
                if (m.Type is KveType.Dead or KveType.Unknown) return false;
                return ordinary || spec.GcoreFull;
            default: // gdb: the gcore default filter
                return (m.Protection & KveProt.Read) != 0 && ordinary;
        }
    }

    /// <summary>p_flags of the mapping's PT_LOAD (spec §1.2): gcore forces R|W; the kernel and gdb write the real protection.</summary>
    public static uint LoadFlags(CoreSpec spec, MappingSpec m)
    {
        uint x = (m.Protection & KveProt.Exec) != 0 ? PfX : 0;
        if (spec.Producer == CoreProducer.Gcore) return PfR | PfW | x;
        return ((m.Protection & KveProt.Read) != 0 ? PfR : 0) | ((m.Protection & KveProt.Write) != 0 ? PfW : 0) | x;
    }

    private static CoreLayout Plan(CoreSpec spec, int noteSize)
    {
        var dumped = SortedMappings(spec).Where(m => IsDumped(spec, m)).ToArray();
        long phnum = dumped.Length + 1L;
        bool xnum = phnum >= PnXnum;
        if (xnum && spec.Producer == CoreProducer.Gcore && spec.OsRelDate < FreeBsdVersion.GcoreExtendedNumbering)
            throw new NotSupportedException(
                $"FreeBSD 10.x gcore cannot write {phnum} program headers: it has no PN_XNUM extended numbering (spec §1.1)");
        if (spec.OmitMemory && spec.Producer == CoreProducer.Gdb)
            throw new NotSupportedException("OmitMemory is not supported for gdb cores (their section headers follow the memory)");

        bool kernelStyleShdr = xnum && spec.Producer != CoreProducer.Gdb;
        long headerSize = EhdrSize + PhdrSize * phnum + (kernelStyleShdr ? ShdrSize : 0);
        long noteOffset = headerSize;
        long offset = RoundUp(noteOffset + noteSize, PageSize);
        var loads = new List<LoadSegment>(dumped.Length);
        foreach (var m in dumped)
        {
            loads.Add(new LoadSegment(m, offset, LoadFlags(spec, m)));
            offset += (long)m.Size;
        }
        long memoryEnd = loads.Count > 0 ? offset : noteOffset + noteSize;

        if (spec.Producer == CoreProducer.Gdb)
        {
            long strtab = memoryEnd;
            long shoff = RoundUp(strtab + ShStrTab.Length, 8);
            int shnum = loads.Count + 3;
            return new CoreLayout
            {
                ProgramHeaderCount = (int)phnum, ExtendedNumbering = xnum, HeaderSize = headerSize,
                NoteOffset = noteOffset, NoteSize = noteSize, Loads = loads,
                SectionHeaderOffset = shoff, SectionCount = shnum,
                StringTableOffset = strtab, StringTableSize = ShStrTab.Length,
                FileSize = shoff + (long)ShdrSize * shnum,
            };
        }
        return new CoreLayout
        {
            ProgramHeaderCount = (int)phnum, ExtendedNumbering = xnum, HeaderSize = headerSize,
            NoteOffset = noteOffset, NoteSize = noteSize, Loads = loads,
            SectionHeaderOffset = kernelStyleShdr ? EhdrSize + PhdrSize * phnum : 0,
            SectionCount = kernelStyleShdr ? 1 : 0,
            FileSize = spec.OmitMemory ? noteOffset + noteSize : memoryEnd,
        };
    }

    private static byte[] Headers(CoreSpec spec, CoreLayout layout)
    {
        var b = new byte[layout.HeaderSize];
        bool gdb = spec.Producer == CoreProducer.Gdb;
        // Elf64_Ehdr (spec §1.1)
        b[0] = 0x7f; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 2;  // ELFCLASS64
        b[5] = 1;  // ELFDATA2LSB
        b[6] = 1;  // EV_CURRENT
        b[7] = 9;  // ELFOSABI_FREEBSD
        Le.U16(b, 16, 4);                 // ET_CORE
        Le.U16(b, 18, spec.Machine);
        Le.U32(b, 20, 1);                 // e_version
        Le.U64(b, 24, 0);                 // e_entry
        Le.U64(b, 32, EhdrSize);          // e_phoff
        Le.U64(b, 40, (ulong)layout.SectionHeaderOffset);
        Le.U32(b, 48, spec.ElfFlags);
        Le.U16(b, 52, EhdrSize);
        Le.U16(b, 54, PhdrSize);
        Le.U16(b, 56, layout.ExtendedNumbering ? PnXnum : (ushort)layout.ProgramHeaderCount);
        Le.U16(b, 58, ShdrSize);
        if (gdb)
        {
            int strndx = layout.SectionCount - 1;
            Le.U16(b, 60, layout.SectionCount >= ShnLoReserve ? (ushort)0 : (ushort)layout.SectionCount);
            Le.U16(b, 62, strndx >= ShnLoReserve ? ShnXIndex : (ushort)strndx);
        }
        else
        {
            Le.U16(b, 60, (ushort)layout.SectionCount); // 0, or 1 with PN_XNUM
            Le.U16(b, 62, 0);                           // SHN_UNDEF
        }

        // Program headers (spec §1.2): PT_NOTE first, then the PT_LOADs.
        int ph = EhdrSize;
        Phdr(b, ph, PtNote, PfR, layout.NoteOffset, 0, (ulong)layout.NoteSize, 0, 4);
        foreach (var load in layout.Loads)
        {
            ph += PhdrSize;
            Phdr(b, ph, PtLoad, load.Flags, load.FileOffset, load.VirtualAddress, load.Size, load.Size, PageSize);
        }

        if (layout.ExtendedNumbering && !gdb)
        {
            // The one extended-numbering section header: SHT_NULL, sh_size = e_shnum,
            // sh_link = e_shstrndx, sh_info = real program-header count (spec §1.1).
            int sh = (int)layout.SectionHeaderOffset;
            Le.U64(b, sh + 32, 1);                                  // sh_size
            Le.U32(b, sh + 40, 0);                                  // sh_link
            Le.U32(b, sh + 44, (uint)layout.ProgramHeaderCount);    // sh_info
        }
        return b;
    }

    private static byte[] GdbSectionHeaders(CoreLayout layout)
    {
        var b = new byte[(long)ShdrSize * layout.SectionCount];
        int strndx = layout.SectionCount - 1;
        // [0] SHT_NULL, holding the real counts when they overflow the ELF header fields.
        if (layout.SectionCount >= ShnLoReserve) Le.U64(b, 32, (ulong)layout.SectionCount);
        if (strndx >= ShnLoReserve) Le.U32(b, 40, (uint)strndx);
        if (layout.ExtendedNumbering) Le.U32(b, 44, (uint)layout.ProgramHeaderCount);
        // [1] note0
        Shdr(b, 1, name: 1, type: 7 /* SHT_NOTE */, flags: 2 /* SHF_ALLOC */, addr: 0, layout.NoteOffset, (ulong)layout.NoteSize);
        int i = 2;
        foreach (var load in layout.Loads)
        {
            ulong flags = 2; // SHF_ALLOC
            if ((load.Flags & PfW) != 0) flags |= 1; // SHF_WRITE
            if ((load.Flags & PfX) != 0) flags |= 4; // SHF_EXECINSTR
            Shdr(b, i++, name: 7, type: 1 /* SHT_PROGBITS */, flags, load.VirtualAddress, load.FileOffset, load.Size);
        }
        Shdr(b, i, name: 12, type: 3 /* SHT_STRTAB */, flags: 0, addr: 0, layout.StringTableOffset, (ulong)layout.StringTableSize);
        return b;
    }

    private static void Phdr(byte[] b, int off, uint type, uint flags, long offset, ulong vaddr, ulong filesz, ulong memsz, ulong align)
    {
        Le.U32(b, off + 0, type);
        Le.U32(b, off + 4, flags);
        Le.U64(b, off + 8, (ulong)offset);
        Le.U64(b, off + 16, vaddr);
        Le.U64(b, off + 24, 0); // p_paddr
        Le.U64(b, off + 32, filesz);
        Le.U64(b, off + 40, memsz);
        Le.U64(b, off + 48, align);
    }

    private static void Shdr(byte[] b, int index, uint name, uint type, ulong flags, ulong addr, long offset, ulong size)
    {
        int off = index * ShdrSize;
        Le.U32(b, off + 0, name);
        Le.U32(b, off + 4, type);
        Le.U64(b, off + 8, flags);
        Le.U64(b, off + 16, addr);
        Le.U64(b, off + 24, (ulong)offset);
        Le.U64(b, off + 32, size);
        Le.U64(b, off + 48, 1); // sh_addralign
    }

    private static void WriteMemory(Position pos, MappingSpec m, bool sparse)
    {
        var contents = m.Contents.Span;
        ulong size = m.Size;
        for (ulong page = 0; page < size; page += PageSize)
        {
            int from = (int)Math.Min(page, (ulong)contents.Length);
            int to = (int)Math.Min(page + PageSize, (ulong)contents.Length);
            var chunk = contents[from..to];
            if (chunk.Length == 0 || !chunk.ContainsAnyExcept((byte)0))
            {
                pos.Zeros(PageSize, sparse);
                continue;
            }
            pos.Write(chunk);
            if (chunk.Length < PageSize) pos.Zeros(PageSize - chunk.Length, false);
        }
    }

    internal static long RoundUp(long n, long to) => (n + to - 1) / to * to;

    /// <summary>Tracks the write position; turns zero runs into holes on seekable streams when asked.</summary>
    private sealed class Position(Stream output)
    {
        private static readonly byte[] ZeroPage = new byte[PageSize];
        private long _written;
        private bool _pendingHole;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            output.Write(bytes);
            _written += bytes.Length;
            _pendingHole = false;
        }

        public void Zeros(long count, bool hole)
        {
            if (hole && output.CanSeek)
            {
                output.Seek(count, SeekOrigin.Current);
                _written += count;
                _pendingHole = true;
                return;
            }
            while (count > 0)
            {
                int n = (int)Math.Min(count, ZeroPage.Length);
                Write(ZeroPage.AsSpan(0, n));
                count -= n;
            }
        }

        public void ZeroFillTo(long offset, bool hole)
        {
            if (offset < _written) throw new InvalidOperationException("layout error: writing backwards");
            Zeros(offset - _written, hole && offset - _written >= PageSize);
        }

        public void Finish(long endPosition)
        {
            // A trailing hole only moved the position; make the file long enough.
            if (_pendingHole && output.CanSeek && output.Length < endPosition)
                output.SetLength(endPosition);
        }
    }
}
