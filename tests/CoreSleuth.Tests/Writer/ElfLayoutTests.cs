using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>ELF header and program headers as readelf reports them, against spec §1.</summary>
public class ElfLayoutTests
{
    private const ulong Page = 0x1000;

    /// <summary>One mapping of each kind the dump rules of spec §1.3 distinguish.</summary>
    private static readonly MappingSpec[] Kinds =
    [
        MappingSpec.File(0x200000, Page, "/bin/prog", KveProt.Read) with { Flags = KveFlags.NoCoreDump },          // A: NOCORE text
        MappingSpec.File(0x201000, Page, "/bin/prog", KveProt.Read, 0x1000),                                        // B: RELRO, read-only
        MappingSpec.File(0x202000, Page, "/lib/libc.so.7", KveProt.ReadExec),                                       // C: shared-library text
        MappingSpec.Anonymous(0x203000, Page) with { Protection = KveProt.Exec },                                    // D: exec-only
        MappingSpec.Anonymous(0x204000, Page) with { Protection = 0, Flags = KveFlags.NoCoreDump },                 // E: guard page
        MappingSpec.Anonymous(0x205000, Page) with { Type = KveType.Device, Protection = KveProt.Read },             // F: device memory
        MappingSpec.Anonymous(0x206000, 2 * Page, new byte[] { 0xde, 0xad }),                                        // G: heap
        MappingSpec.Anonymous(0x208000, Page) with { Type = KveType.Phys, Protection = KveProt.ReadExec },           // H: shared page
        MappingSpec.Anonymous(0x209000, Page) with { Type = KveType.Swap, Protection = KveProt.Write },              // I: write-only
    ];

    public static TheoryData<CoreProducer, bool, string[]> DumpRules => new()
    {
        // gcore: readable, not NOCORE, DEFAULT/VNODE/SWAP/PHYS; p_flags always R|W (+X)   (spec §1.2, §1.3)
        { CoreProducer.Gcore, false, ["0x201000 RW", "0x202000 RWE", "0x206000 RW", "0x208000 RWE"] },
        // gcore -f also takes device memory
        { CoreProducer.Gcore, true, ["0x201000 RW", "0x202000 RWE", "0x205000 RW", "0x206000 RW", "0x208000 RWE"] },
        // kernel: any protection, not NOCORE, not fictitious; real protections
        { CoreProducer.Kernel, false, ["0x201000 R", "0x202000 RE", "0x203000 E", "0x206000 RW", "0x208000 RE", "0x209000 W"] },
        // gdb: the gcore default filter with real protections
        { CoreProducer.Gdb, false, ["0x201000 R", "0x202000 RE", "0x206000 RW", "0x208000 RE"] },
    };

    [ReadelfTheory]
    [MemberData(nameof(DumpRules))]
    public void ProducersDumpTheMappingsTheSpecSays(CoreProducer producer, bool full, string[] expectedLoads)
    {
        var spec = new CoreSpec { Producer = producer, GcoreFull = full, Mappings = Enumerable.Reverse(Kinds).ToArray() };
        using var core = new WrittenCore(spec);
        var (_, segments, _) = ReadelfOutput.HeaderAndSegments(core.Path);
        var loads = segments.Where(s => s.Type == "LOAD").Select(s => $"0x{s.VirtAddr:x} {s.Flags}");
        Assert.Equal(expectedLoads, loads);
    }

    [ReadelfTheory]
    [InlineData(CoreProducer.Gcore)]
    [InlineData(CoreProducer.Kernel)]
    [InlineData(CoreProducer.Gdb)]
    public void HeaderAndSegmentLayoutFollowSpec(CoreProducer producer)
    {
        var spec = Scenarios.TwoThreads(producer, 1400097);
        using var core = new WrittenCore(spec);
        var (header, segments, stderr) = ReadelfOutput.HeaderAndSegments(core.Path);

        Assert.Equal("", stderr);
        Assert.StartsWith("7f 45 4c 46 02 01 01 09 00", header["Magic"]);
        Assert.Equal("ELF64", header["Class"]);
        Assert.Equal("UNIX - FreeBSD", header["OS/ABI"]);
        Assert.Equal("CORE (Core file)", header["Type"]);
        Assert.Equal("Advanced Micro Devices X86-64", header["Machine"]);
        Assert.Equal("0x0", header["Entry point address"]);
        Assert.Equal("64 (bytes into file)", header["Start of program headers"]);
        Assert.Equal("56 (bytes)", header["Size of program headers"]);
        Assert.Equal("64 (bytes)", header["Size of section headers"]);

        // phdr[0] = PT_NOTE right after the headers; p_flags R, p_align 4, p_memsz 0 (spec §1.2)
        int phnum = segments.Count;
        Assert.Equal(phnum.ToString(), header["Number of program headers"]);
        var note = segments[0];
        Assert.Equal("NOTE", note.Type);
        Assert.Equal((ulong)(64 + 56 * phnum), note.Offset);
        Assert.Equal("R", note.Flags);
        Assert.Equal(4UL, note.Align);
        Assert.Equal(0UL, note.MemSize);

        // PT_LOADs ascending, first at round_up(notes end, 4096), back to back, filesz == memsz, align 4096
        var loads = segments.Skip(1).ToArray();
        Assert.All(loads, l => Assert.Equal("LOAD", l.Type));
        Assert.Equal(loads.Select(l => l.VirtAddr).Order(), loads.Select(l => l.VirtAddr));
        ulong expectedOffset = (note.Offset + note.FileSize + 0xfff) & ~0xfffUL;
        foreach (var l in loads)
        {
            Assert.Equal(expectedOffset, l.Offset);
            Assert.Equal(l.MemSize, l.FileSize);
            Assert.Equal(0x1000UL, l.Align);
            expectedOffset += l.FileSize;
        }
        // the mysqld RELRO page, the data page, the heap and the stack (the NOCORE text is absent)
        Assert.Equal([0x205000UL, 0x206000UL, 0x8_0000_0000UL, 0x7fff_dffd_f000UL], loads.Select(l => l.VirtAddr));
        if (producer != CoreProducer.Gdb)
        {
            Assert.Equal("0 (bytes into file)", header["Start of section headers"]);
            Assert.Equal("0", header["Number of section headers"]);
            Assert.Equal(expectedOffset, (ulong)new FileInfo(core.Path).Length);
        }
    }

    [ReadelfFact]
    public void MemoryLandsAtTheSegmentOffsets()
    {
        var heap = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var spec = new CoreSpec { Mappings = [MappingSpec.Anonymous(0x8_0000_0000, 2 * Page, heap), MappingSpec.Anonymous(0x8_1000_0000, Page, "tail"u8.ToArray())] };
        using var core = new WrittenCore(spec);
        var (_, segments, _) = ReadelfOutput.HeaderAndSegments(core.Path);
        var bytes = core.Bytes;
        var first = segments[1];
        Assert.Equal(heap, bytes.AsSpan((int)first.Offset, heap.Length).ToArray());
        Assert.All(bytes.AsSpan((int)first.Offset + heap.Length, 2 * 0x1000 - heap.Length).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal("tail"u8.ToArray(), bytes.AsSpan((int)segments[2].Offset, 4).ToArray());
    }

    [ReadelfFact]
    public void GdbCoresCarryAValidSectionTable()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Gdb, 1400097);
        using var core = new WrittenCore(spec);
        var (header, segments, _) = ReadelfOutput.HeaderAndSegments(core.Path);
        var (sections, stderr) = ReadelfOutput.Sections(core.Path);
        Assert.Equal("", stderr);

        Assert.Equal(sections.Count.ToString(), header["Number of section headers"]);
        Assert.Equal((sections.Count - 1).ToString(), header["Section header string table index"]);
        Assert.Equal("NULL", sections[0].Type);
        Assert.Equal(("note0", "NOTE"), (sections[1].Name, sections[1].Type));
        Assert.Equal((segments[0].Offset, segments[0].FileSize), (sections[1].Offset, sections[1].Size));
        var loadSections = sections.Skip(2).Take(segments.Count - 1).ToArray();
        Assert.Equal(segments.Skip(1).Select(s => (s.VirtAddr, s.Offset, s.FileSize)), loadSections.Select(s => (s.Address, s.Offset, s.Size)));
        Assert.All(loadSections, s => Assert.Equal(("load", "PROGBITS"), (s.Name, s.Type)));
        Assert.Equal(("WA", "A"), (loadSections[^1].Flags.Trim(), loadSections[0].Flags.Trim())); // stack RW, RELRO R
        Assert.Equal((".shstrtab", "STRTAB"), (sections[^1].Name, sections[^1].Type));
    }

    [ReadelfFact]
    public void ExtendedNumberingWhenThereAreTooManySegments()
    {
        // 65540 one-page mappings, each every other page: 65541 program headers ≥ PN_XNUM (spec §1.1).
        const int count = 65540;
        var maps = Enumerable.Range(0, count).Select(i => MappingSpec.Anonymous(0x1000_0000UL + (ulong)i * 2 * Page, Page)).ToArray();
        foreach (var producer in new[] { CoreProducer.Kernel, CoreProducer.Gcore })
        {
            var spec = new CoreSpec { Producer = producer, OsRelDate = 1400097, Mappings = maps, SparseZeroPages = true };
            using var core = new WrittenCore(spec);
            var (header, segments, stderr) = ReadelfOutput.HeaderAndSegments(core.Path);
            Assert.Equal("", stderr);
            Assert.Equal("65535 (65541)", header["Number of program headers"]);
            Assert.Equal("1", header["Number of section headers"]);
            Assert.Equal("0", header["Section header string table index"]);
            // the one section header follows the program headers; the notes follow it
            Assert.Equal($"{64 + 56 * 65541} (bytes into file)", header["Start of section headers"]);
            Assert.Equal(65541, segments.Count);
            Assert.Equal((ulong)(64 + 56 * 65541 + 64), segments[0].Offset);
            Assert.Equal(0x1000_0000UL + (count - 1) * 2 * Page, segments[^1].VirtAddr);
        }
    }

    [ReadelfFact]
    public void GdbExtendedNumberingMovesTheCountsIntoSectionZero()
    {
        // 65540 PT_LOADs → 65541 program headers and 65543 sections (null, note0, loads, .shstrtab):
        // both counts and the string-table index overflow the ELF header fields (ELF gABI).
        const int count = 65540;
        var maps = Enumerable.Range(0, count).Select(i => MappingSpec.Anonymous(0x1000_0000UL + (ulong)i * 2 * Page, Page)).ToArray();
        var spec = new CoreSpec { Producer = CoreProducer.Gdb, Mappings = maps, SparseZeroPages = true };
        using var core = new WrittenCore(spec);
        var (header, stderr) = ReadelfOutput.Header(core.Path);
        Assert.Equal("", stderr);
        Assert.Equal("65535 (65541)", header["Number of program headers"]);
        Assert.Equal("0 (65543)", header["Number of section headers"]);
        Assert.Equal("65535 (65542)", header["Section header string table index"]);
        // The table itself: note0 right after the program headers, .shstrtab last. (readelf -S also
        // warns that section 0 has a non-zero sh_info, which is where the gABI puts the real e_phnum.)
        var (sections, _) = ReadelfOutput.Sections(core.Path);
        Assert.Equal(65543, sections.Count);
        Assert.Equal(("note0", (ulong)(64 + 56 * 65541)), (sections[1].Name, sections[1].Offset));
        Assert.Equal((".shstrtab", "STRTAB"), (sections[^1].Name, sections[^1].Type));
    }

    [Fact]
    public void FreeBsd10GcoreCannotWriteExtendedNumbering()
    {
        var maps = Enumerable.Range(0, 65534).Select(i => MappingSpec.Anonymous(0x1000_0000UL + (ulong)i * 2 * Page, Page)).ToArray();
        var spec = new CoreSpec { Producer = CoreProducer.Gcore, OsRelDate = 1004000, Mappings = maps };
        var e = Assert.Throws<NotSupportedException>(() => CoreWriter.Plan(spec));
        Assert.Contains("PN_XNUM", e.Message);
        // one mapping fewer still fits in e_phnum
        Assert.False(CoreWriter.Plan(spec with { Mappings = maps[..^1] }).ExtendedNumbering);
    }

    [ReadelfFact]
    public void OmittedMemoryLeavesSegmentsPastEndOfFile()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Kernel, 1300130) with { OmitMemory = true };
        using var core = new WrittenCore(spec);
        var (_, segments, _) = ReadelfOutput.HeaderAndSegments(core.Path);
        long length = new FileInfo(core.Path).Length;
        Assert.Equal((long)(segments[0].Offset + segments[0].FileSize), length);
        Assert.All(segments.Skip(1), l => Assert.True((long)l.Offset >= length));
        Assert.Equal(4, segments.Count - 1);
    }

    [Fact]
    public void SameSpecSameBytesAndSparseFilesReadBackTheSame()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Kernel, 1400097);
        var a = CoreWriter.WriteToArray(spec);
        var b = CoreWriter.WriteToArray(spec);
        Assert.Equal(a, b);

        using var sparse = new WrittenCore(spec with { SparseZeroPages = true });
        Assert.Equal(a, sparse.Bytes);
        var notes = CoreWriter.WriteNotes(spec);
        Assert.Equal(notes, a.AsSpan((int)CoreWriter.Plan(spec).NoteOffset, notes.Length).ToArray());
    }

    [Fact]
    public void InvalidMappingsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => CoreWriter.Plan(new CoreSpec { Mappings = [MappingSpec.Anonymous(0x1000, 0x800)] }));
        Assert.Throws<ArgumentException>(() => CoreWriter.Plan(new CoreSpec { Mappings = [MappingSpec.Anonymous(0x1000, 0x2000), MappingSpec.Anonymous(0x2000, 0x1000)] }));
        Assert.Throws<ArgumentException>(() => CoreWriter.Plan(new CoreSpec { Mappings = [MappingSpec.Anonymous(0x1000, 0x1000, new byte[0x1001])] }));
    }
}
