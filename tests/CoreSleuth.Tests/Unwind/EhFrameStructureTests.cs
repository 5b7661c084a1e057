using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Elf;

namespace CoreSleuth.Tests.Unwind;

/// <summary>Every record of real .eh_frame sections parses, and the header's table agrees with a linear scan.</summary>
public sealed partial class EhFrameStructureTests
{
    [GeneratedRegex(@"^([0-9a-f]{8}) [0-9a-f]{16} [0-9a-f]{8} (CIE|FDE)(?: cie=[0-9a-f]{8} pc=([0-9a-f]{16})\.\.([0-9a-f]{16}))?")]
    private static partial Regex ReadelfRecord();

    public static TheoryData<string> Libraries => new()
    {
        "freebsd13.5/libc.so.7", "freebsd13.5/libthr.so.3", "freebsd13.5/ld-elf.so.1", "freebsd12.0/libc.so.7", "freebsd13.5/libc++.so.1",
    };

    [CorpusTheory("readelf")]
    [MemberData(nameof(Libraries))]
    public void Every_record_parses_and_matches_readelf(string library)
    {
        using var file = new UnwindCorpus.OpenedElf(library);
        var eh = file.OpenCfi();
        var expected = new List<(ulong Offset, string Kind, ulong Begin, ulong End)>();
        foreach (var line in UnwindCorpus.Run("readelf", "--debug-dump=frames", file.Path).Split('\n'))
            if (ReadelfRecord().Match(line) is { Success: true } m)
                expected.Add((Hex(m.Groups[1].Value), m.Groups[2].Value,
                    m.Groups[3].Success ? Hex(m.Groups[3].Value) : 0, m.Groups[4].Success ? Hex(m.Groups[4].Value) : 0));

        var entries = eh.Entries().ToList();
        Assert.All(entries, e => Assert.True(e.Error is null, e.Error));
        var actual = entries.Select(e => (e.Address - eh.Address, e.Cie is null ? "FDE" : "CIE",
            e.Fde?.PcBegin ?? 0, e.Fde?.PcEnd ?? 0)).ToList();
        Assert.True(expected.Count > 50, $"readelf listed only {expected.Count} records");
        Assert.Equal(expected, actual);
        // Every FDE's instructions run to completion.
        Assert.All(entries.Where(e => e.Fde is not null), e => Assert.True(CfiInterpreter.Table(e.Fde!).IsSuccess, CfiInterpreter.Table(e.Fde!).Error));
    }

    [CorpusTheory]
    [MemberData(nameof(Libraries))]
    public void Header_table_lookup_agrees_with_linear_scan(string library)
    {
        using var file = new UnwindCorpus.OpenedElf(library);
        var eh = file.OpenCfi();
        var header = Assert.IsType<EhFrameHeader>(eh.Header);
        Assert.Null(header.TableProblem);
        // The header's own section, found by name, says where it is: PT_GNU_EH_FRAME agrees with it.
        var hdrSection = file.Elf.SectionHeaders.Single(s => s.Name == ".eh_frame_hdr");
        var ehSection = file.Elf.SectionHeaders.Single(s => s.Name == ".eh_frame");
        Assert.Equal(hdrSection.Address, header.Address);
        Assert.Equal(ehSection.Address, eh.Address);
        Assert.True((ulong)eh.Length >= ehSection.Size);

        int fdes = eh.Entries().Count(e => e.Fde is not null);
        Assert.Equal(fdes, header.Table.Count);
        foreach (var entry in header.Table)
        {
            var byTable = eh.FindFde(entry.InitialLocation);
            var byScan = eh.FindFdeByScan(entry.InitialLocation);
            Assert.True(byTable.IsSuccess, byTable.Error);
            Assert.True(byScan.IsSuccess, byScan.Error);
            Assert.Equal(entry.FdeAddress, byTable.Value!.Address);
            Assert.Equal(byScan.Value!.Address, byTable.Value.Address);
            Assert.Equal(entry.InitialLocation, byTable.Value.PcBegin);
            // The last byte of the range resolves to the same FDE both ways.
            ulong last = byTable.Value.PcEnd - 1;
            Assert.Equal(eh.FindFdeByScan(last).Value?.Address, eh.FindFde(last).Value?.Address);
        }
    }

    [CorpusFact]
    public void Without_a_header_the_linear_scan_finds_the_same_rows()
    {
        using var file = new UnwindCorpus.OpenedElf("freebsd13.5/libthr.so.3");
        var withHeader = file.OpenCfi();
        var section = file.Elf.SectionHeaders.Single(s => s.Name == ".eh_frame");
        var bytes = file.Source.Slice((long)section.Offset, (int)section.Size).ToArray();
        var bare = EhFrame.FromBytes(bytes, section.Address);
        Assert.Null(bare.Header);
        foreach (var entry in withHeader.Header!.Table)
        {
            var a = withHeader.FindRow(entry.InitialLocation + 1);
            var b = bare.FindRow(entry.InitialLocation + 1);
            Assert.Equal(a.Value is null ? a.Error : LlvmCfiOracle.Format(a.Value), b.Value is null ? b.Error : LlvmCfiOracle.Format(b.Value));
        }
        Assert.False(bare.FindRow(0).IsSuccess);
    }

    [CorpusFact]
    public void Program_headers_alone_suffice()
    {
        // The same bytes with no section headers at all: CFI must still be found (spec: cores have none).
        using var file = new UnwindCorpus.OpenedElf("freebsd13.5/ld-elf.so.1");
        var bytes = File.ReadAllBytes(file.Path);
        bytes.AsSpan(0x28, 8).Clear();   // e_shoff
        bytes.AsSpan(0x3c, 4).Clear();   // e_shnum, e_shstrndx
        using var stripped = ByteSource.FromBytes(bytes);
        var elf = ElfFile.Parse(stripped);
        Assert.Empty(elf.SectionHeaders);
        var eh = EhFrame.Open(new CoreSleuth.Analysis.Modules.FileImageView(elf), elf.ProgramHeaders, out string? problem);
        Assert.True(eh is not null, problem);
        Assert.Equal(file.OpenCfi().Header!.Table.Count, eh!.Header!.Table.Count);
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
