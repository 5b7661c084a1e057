using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Elf;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Reader;

/// <summary>The ELF layer on hand-built images (spec §1, §2.1).</summary>
public sealed class ElfLayerTests
{
    private static ElfFile Parse(byte[] bytes) => ElfFile.Parse(ByteSource.FromBytes(bytes, "test.core"));

    [Fact]
    public void ExtendedNumberingTakesTheCountFromSectionHeaderZero()
    {
        var image = CoreImage.Sample();
        image.ExtendedNumbering = true;
        var elf = Parse(image.Build(out var layout));
        Assert.True(elf.Header.ExtendedNumbering);
        Assert.Equal(0xFFFF, elf.Header.RawProgramHeaderCount);
        Assert.Equal(layout.PhdrCount, elf.Header.ProgramHeaderCount);
        Assert.Equal(layout.PhdrCount, elf.ProgramHeaders.Count);
        Assert.Equal(image.Notes.Count, elf.Notes.Count);
        Assert.Empty(elf.Warnings);

        // The PN_XNUM section header is no BFD section table: the producer is still the kernel.
        using var core = CoreFile.Load(ByteSource.FromBytes(image.Build()));
        Assert.Equal(CoreProducer.Kernel, core.Producer);
    }

    [Fact]
    public void ExtendedNumberingWithSectionHeaderCutOffInfersTheCountWithAWarning()
    {
        var image = CoreImage.Sample();
        image.ExtendedNumbering = true;
        var bytes = image.Build(out var layout);
        int shoff = layout.PhdrOffset + 56 * layout.PhdrCount;
        var elf = Parse(bytes[..(shoff + 10)]);
        Assert.Equal(layout.PhdrCount, elf.Header.ProgramHeaderCount);
        Assert.Equal(layout.PhdrCount, elf.ProgramHeaders.Count);
        Assert.Contains(elf.Warnings, w => w.Contains("PN_XNUM", StringComparison.Ordinal) && w.Contains($"0x{shoff + 10:x}", StringComparison.Ordinal));
    }

    [Fact]
    public void ExtendedNumberingWithoutSectionHeaderOffsetIsAFormatError()
    {
        var image = CoreImage.Sample();
        image.ExtendedNumbering = true;
        var bytes = image.Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), 0); // e_shoff
        var e = Assert.Throws<CoreFormatException>(() => Parse(bytes));
        Assert.Equal(56, e.FileOffset);
    }

    [Fact]
    public void HostileExtendedCountIsBoundedAndDoesNotThrow()
    {
        var image = CoreImage.Sample();
        image.ExtendedNumbering = true;
        var bytes = image.Build(out var layout);
        int shoff = layout.PhdrOffset + 56 * layout.PhdrCount;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(shoff + 44), uint.MaxValue); // sh_info
        var elf = Parse(bytes);
        Assert.Equal(ElfFile.MaxProgramHeaders, elf.Header.ProgramHeaderCount);
        Assert.Contains(elf.Warnings, w => w.Contains("sh_info", StringComparison.Ordinal));
        // The table runs into the note segment the first header points at: only the real headers are read.
        Assert.Equal(layout.PhdrCount, elf.ProgramHeaders.Count);
    }

    [Fact]
    public void HostileProgramHeaderCountStopsWhereSegmentDataBegins()
    {
        var image = CoreImage.Sample();
        image.PhnumOverride = 0xFFFE;
        var bytes = image.Build(out var layout);
        var elf = Parse(bytes);
        // PT_NOTE (header 0) starts right after the real table: no more than that fits.
        Assert.Equal((layout.NoteSegmentOffset - 64) / 56, elf.ProgramHeaders.Count);
        Assert.Contains(elf.Warnings, w => w.Contains("65534", StringComparison.Ordinal));
        Assert.Equal(image.Notes.Count, elf.Notes.Count);
    }

    [Fact]
    public void ProgramHeaderTablePastTheEndGivesAWarningNotAnException()
    {
        var bytes = CoreImage.Sample().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), (ulong)bytes.Length + 100);
        var elf = Parse(bytes);
        Assert.Empty(elf.ProgramHeaders);
        Assert.Contains(elf.Warnings, w => w.Contains($"0x{bytes.Length:x}", StringComparison.Ordinal));
    }

    [Fact]
    public void WrongProgramHeaderEntrySizeIsAFormatError()
    {
        var bytes = CoreImage.Sample().Build();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(54), 32);
        var e = Assert.Throws<CoreFormatException>(() => Parse(bytes));
        Assert.Equal(54, e.FileOffset);
    }

    [Theory]
    [InlineData("a", 1)]
    [InlineData("ab", 5)]
    [InlineData("abc", 6)]
    [InlineData("abcd", 7)]
    [InlineData("FreeBSD", 3)]
    [InlineData("GDB", 0)]
    public void NotesArePaddedToFourBytes(string name, int descSize)
    {
        var desc = Enumerable.Range(1, descSize).Select(i => (byte)i).ToArray();
        var image = new CoreImage().Note(0x77, desc, name).Note(0x78, [0xAA, 0xBB], "FreeBSD").Note(0x79, [], "X");
        var elf = Parse(image.Build(out var layout));
        Assert.Empty(elf.Warnings);
        Assert.Equal(3, elf.Notes.Count);

        // Spec §2.1: next = this + 12 + align4(namesz) + align4(descsz), computed here by hand.
        int Align4(int n) => (n + 3) & ~3;
        int first = layout.NoteSegmentOffset;
        int second = first + 12 + Align4(name.Length + 1) + Align4(descSize);
        int third = second + 12 + Align4(8) + Align4(2);
        Assert.Equal([first, second, third], elf.Notes.Select(n => (int)n.FileOffset));
        Assert.Equal(first + 12 + Align4(name.Length + 1), elf.Notes[0].DescriptorFileOffset);
        Assert.Equal(name, elf.Notes[0].Name);
        Assert.Equal(desc, elf.Notes[0].Descriptor.ToArray());
        Assert.Equal([0xAA, 0xBB], elf.Notes[1].Descriptor.ToArray());
        Assert.Equal(0, elf.Notes[2].Descriptor.Length); // zero-length descriptor, last in the segment
        Assert.Equal((uint)0x79, elf.Notes[2].Type);
        Assert.Equal(layout.NoteSegmentOffset + layout.NoteSegmentSize, third + 12 + 4);
    }

    [Fact]
    public void EmptyXStateDescriptorIsLegal()
    {
        // gcore writes NT_X86_XSTATE with an empty descriptor on CPUs without XSAVE (spec §2.1).
        var image = new CoreImage().Note(1, CoreImage.PrStatus(5)).Note(0x202, []).Note(7, CoreImage.ThrMisc("t"));
        using var core = CoreFile.Load(ByteSource.FromBytes(image.Build()));
        var t = Assert.Single(core.Threads);
        Assert.NotNull(t.XState);
        Assert.Equal(0, t.XState!.Length);
        Assert.Null(t.XState.YmmHigh);
        Assert.Equal("t", t.Name);
        Assert.Empty(core.Warnings);
    }

    [Fact]
    public void DescriptorRunningPastTheSegmentIsAWarningAndEarlierNotesStay()
    {
        var image = new CoreImage().Note(3, CoreImage.PrPsInfo("p", "p", 9)).Note(1, CoreImage.PrStatus(5)).Note(7, CoreImage.ThrMisc("t"));
        var bytes = image.Build(out var layout);
        // Make the third note claim 4 KB: the PT_NOTE segment (and the file) continue past it
        // with PT_LOAD bytes, but a note must not run out of its segment.
        int third = layout.NoteOffsets[2];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(third + 4), 4096);
        var padded = bytes.Concat(new byte[8192]).ToArray();
        var elf = Parse(padded);
        Assert.Equal(2, elf.Notes.Count);
        Assert.Contains(elf.Warnings, w => w.Contains($"0x{third:x}", StringComparison.Ordinal) && w.Contains("4096-byte descriptor", StringComparison.Ordinal));
        Assert.False(elf.NotesTruncated);

        using var core = CoreFile.Load(ByteSource.FromBytes(padded));
        Assert.Single(core.Threads);
        Assert.Null(core.Threads[0].Name);
    }

    [Fact]
    public void HugeNameSizeDoesNotOverflow()
    {
        var bytes = new CoreImage().Note(1, CoreImage.PrStatus(5)).Build(out var layout);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.NoteOffsets[0]), uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(layout.NoteOffsets[0] + 4), uint.MaxValue);
        var elf = Parse(bytes);
        Assert.Empty(elf.Notes);
        Assert.Single(elf.Warnings);
    }

    [Fact]
    public void TrailingGarbageShorterThanANoteHeaderIsReported()
    {
        var image = new CoreImage().Note(1, CoreImage.PrStatus(5));
        var bytes = image.Build(out var layout);
        // Grow p_filesz of PT_NOTE by 8 bytes of non-zero garbage (the PT_LOAD-less image ends there).
        var grown = bytes.Concat(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(grown.AsSpan(64 + 32), (ulong)layout.NoteSegmentSize + 8);
        var elf = Parse(grown);
        Assert.Single(elf.Notes);
        Assert.Contains(elf.Warnings, w => w.Contains("too short for a note header", StringComparison.Ordinal));
    }

    [Fact]
    public void SectionHeadersAreReadWhenPresentButNeverRequired()
    {
        // A BFD-style section table (gdb cores) with a name string table.
        var bytes = new CoreImage().Note(1, CoreImage.PrStatus(5)).Note(7, CoreImage.ThrMisc("t")).Build();
        var strtab = Encoding.ASCII.GetBytes("\0.shstrtab\0note0\0");
        int strOff = bytes.Length, shOff = strOff + strtab.Length + 7 & ~7;
        var file = new byte[shOff + 3 * 64];
        bytes.CopyTo(file, 0);
        strtab.CopyTo(file, strOff);
        void Sh(int i, uint name, uint type, long off, long size)
        {
            var s = file.AsSpan(shOff + 64 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(s, name);
            BinaryPrimitives.WriteUInt32LittleEndian(s[4..], type);
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], off);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], size);
        }
        Sh(1, 1, 3, strOff, strtab.Length);
        Sh(2, 11, 7, 0, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(40), (ulong)shOff);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(60), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(62), 1);
        var elf = Parse(file);
        Assert.Equal(["", ".shstrtab", "note0"], elf.SectionHeaders.Select(s => s.Name));

        using var core = CoreFile.Load(ByteSource.FromBytes(file));
        Assert.Equal(CoreProducer.Gdb, core.Producer);
        Assert.Contains(core.ProducerEvidence, e => e.Contains("section header table", StringComparison.Ordinal));
    }
}
