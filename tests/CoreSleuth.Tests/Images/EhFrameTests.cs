using System.Buffers.Binary;
using CoreSleuth.Testing.Images;
using Iced.Intel;

namespace CoreSleuth.Tests.Images;

/// <summary>
/// .eh_frame and .eh_frame_hdr, read back by llvm-dwarfdump and by a small parser here; the CFI
/// rows are compared with what the machine code does, found by decoding it with Iced.
/// </summary>
public sealed class EhFrameTests
{
    [ToolFact("llvm-dwarfdump")]
    public void Cie_is_the_one_FreeBSD_linkers_emit()
    {
        using var temp = new TempFiles();
        var output = Tools.RunClean("llvm-dwarfdump", "--eh-frame", temp.Write(Samples.Images("13.5").Libc));
        var cie = output[output.IndexOf(" CIE", StringComparison.Ordinal)..];
        Assert.Contains("Version:               1", cie);
        Assert.Contains("Augmentation:          \"zR\"", cie);
        Assert.Contains("Code alignment factor: 1", cie);
        Assert.Contains("Data alignment factor: -8", cie);
        Assert.Contains("Return address column: 16", cie);
        Assert.Contains("Augmentation data:     1B", cie);
        Assert.Contains("DW_CFA_def_cfa: RSP +8", cie);
        Assert.Contains("DW_CFA_offset: RIP -8", cie);
    }

    [ToolTheory("llvm-dwarfdump", "readelf")]
    [InlineData("13.5", false)]
    [InlineData("13.5", true)]
    [InlineData("10.4", false)]
    public void Cfi_rows_describe_exactly_what_the_code_does(string version, bool omitFramePointers)
    {
        using var temp = new TempFiles();
        foreach (var image in Samples.AllImages(Samples.Images(version, omitFramePointers)))
        {
            var path = temp.Write(image);
            var fdes = DwarfDump.EhFrame(path);
            var segments = ReadElf.Segments(path);
            // Every exported function has an FDE, except the syscall stubs of releases whose assembly stubs have no CFI (≤ 12).
            var withoutFde = image.Functions.Where(f => !image.Spec.EmitsFde(f.Spec)).Select(f => f.Address).ToHashSet();
            var functions = ReadElf.DynamicSymbols(path).Where(s => s.Type == "FUNC" && s.Section != "UND" && !withoutFde.Contains(s.Value)).Select(s => s.Value).ToHashSet();
            Assert.Superset(functions, fdes.Select(f => f.PcBegin).ToHashSet());
            Assert.DoesNotContain(fdes, f => withoutFde.Contains(f.PcBegin));
            foreach (var fde in fdes)
            {
                CheckFde(image.FileName, path, segments, fde);
            }
        }
    }

    /// <summary>Walks the code with a model of push/pop/sub/add/mov rbp,rsp and compares every row.</summary>
    private static void CheckFde(string file, string path, IReadOnlyList<ReadElf.Segment> segments, DwarfFde fde)
    {
        var code = ReadElf.ReadAt(path, segments, fde.PcBegin, (int)(fde.PcEnd - fde.PcBegin))!;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
        decoder.IP = fde.PcBegin;
        var depth = 8L;             // CFA − rsp
        var cfaRegister = "RSP";
        var cfaOffset = 8L;
        var saved = new Dictionary<string, long> { ["RIP"] = -8 };
        if (fde.Rows[0].ReturnAddressUndefined)
        {
            saved.Remove("RIP"); // crt1's _start (checked separately)
        }
        while (decoder.IP < fde.PcEnd)
        {
            decoder.Decode(out var ins);
            var row = DwarfDump.RowAt([fde], ins.IP);
            var where = $"{file} 0x{ins.IP:x} ({ins})";
            Assert.True(row.CfaRegister == cfaRegister && row.CfaOffset == cfaOffset, $"{where}: CFA={row.CfaRegister}{row.CfaOffset:+#;-#;0}, expected {cfaRegister}{cfaOffset:+#;-#;0}");
            if (ins.Mnemonic is Mnemonic.Call or Mnemonic.Syscall)
            {
                Assert.True(saved.Count == row.Saved.Count && saved.All(s => row.Saved.TryGetValue(s.Key, out var o) && o == s.Value), $"{where}: saved {Describe(row.Saved)}, expected {Describe(saved)}");
            }

            switch (ins.Mnemonic)
            {
                case Mnemonic.Push:
                    depth += 8;
                    saved.TryAdd(Name(ins.Op0Register), -depth);
                    break;
                case Mnemonic.Pop:
                    depth -= 8;
                    if (ins.Op0Register == Register.RBP && cfaRegister == "RBP")
                    {
                        cfaRegister = "RSP";
                    }

                    break;
                case Mnemonic.Sub when ins.Op0Register == Register.RSP:
                    depth += (long)ins.GetImmediate(1);
                    break;
                case Mnemonic.Add when ins.Op0Register == Register.RSP:
                    depth -= (long)ins.GetImmediate(1);
                    break;
                case Mnemonic.Mov when ins.Op0Register == Register.RBP && ins.Op1Register == Register.RSP:
                    cfaRegister = "RBP";
                    break;
            }

            if (cfaRegister == "RSP")
            {
                cfaOffset = depth;
            }
        }

    }

    private static string Name(Register register) => register.ToString().ToUpperInvariant();

    private static string Describe(IReadOnlyDictionary<string, long> saved) => string.Join(", ", saved.OrderBy(s => s.Key).Select(s => $"{s.Key}=[CFA{s.Value}]"));

    private sealed record EhFrameHeader(byte Version, byte PointerEncoding, byte CountEncoding, byte TableEncoding, ulong EhFrameAddress, List<(ulong Location, ulong Fde)> Table);

    /// <summary>Reads .eh_frame_hdr through PT_GNU_EH_FRAME (LSB 3.0 §10.6.2 layout).</summary>
    private static EhFrameHeader ReadHeader(string path)
    {
        var segment = ReadElf.Segments(path).Single(s => s.Type == "GNU_EH_FRAME");
        var bytes = File.ReadAllBytes(path).AsSpan((int)segment.Offset, (int)segment.FileSize);
        var address = segment.VirtualAddress;
        var ehFrame = (ulong)((long)address + 4 + BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]));
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        var table = new List<(ulong, ulong)>();
        for (var i = 0; i < count; i++)
        {
            var location = (ulong)((long)address + BinaryPrimitives.ReadInt32LittleEndian(bytes[(12 + (8 * i))..]));
            var fde = (ulong)((long)address + BinaryPrimitives.ReadInt32LittleEndian(bytes[(16 + (8 * i))..]));
            table.Add((location, fde));
        }

        return new EhFrameHeader(bytes[0], bytes[1], bytes[2], bytes[3], ehFrame, table);
    }

    [ToolFact("llvm-dwarfdump", "readelf")]
    public void Eh_frame_hdr_is_a_sorted_search_table_over_the_FDEs()
    {
        using var temp = new TempFiles();
        foreach (var image in Samples.AllImages(Samples.Images("13.5")))
        {
            var path = temp.Write(image);
            var header = ReadHeader(path);
            Assert.Equal((1, 0x1b, 0x03, 0x3b), (header.Version, header.PointerEncoding, header.CountEncoding, header.TableEncoding));
            var ehFrame = ReadElf.Sections(path).Single(s => s.Name == ".eh_frame");
            Assert.Equal(ehFrame.Address, header.EhFrameAddress);
            var fdes = DwarfDump.EhFrame(path);
            Assert.Equal(fdes.Count, header.Table.Count);
            Assert.Equal(header.Table.Select(t => t.Location).Order(), header.Table.Select(t => t.Location));
            Assert.Equal(header.Table.Count, header.Table.Select(t => t.Location).Distinct().Count());
            foreach (var (location, fde) in header.Table)
            {
                var match = fdes.Single(f => f.PcBegin == location);
                Assert.Equal(ehFrame.Address + match.Offset, fde);
            }
        }
    }

    [CorpusFact("binaries/freebsd13.5/libc.so.7", "readelf")]
    public void Eh_frame_hdr_encodings_match_a_real_FreeBSD_library()
    {
        var real = ReadHeader(Corpus.Find("binaries/freebsd13.5/libc.so.7")!);
        using var temp = new TempFiles();
        var ours = ReadHeader(temp.Write(Samples.Images("13.5").Libc));
        Assert.Equal((real.Version, real.PointerEncoding, real.CountEncoding, real.TableEncoding), (ours.Version, ours.PointerEncoding, ours.CountEncoding, ours.TableEncoding));
    }

    [ToolFact("llvm-dwarfdump")]
    public void Outermost_function_of_the_main_thread_has_an_undefined_return_address()
    {
        using var temp = new TempFiles();
        var mysqld = Samples.Images("13.5").Mysqld;
        var fdes = DwarfDump.EhFrame(temp.Write(mysqld));
        var start = mysqld.Function("_start").Address;
        Assert.All(fdes.Single(f => f.PcBegin == start).Rows, r => Assert.True(r.ReturnAddressUndefined));
        Assert.All(fdes.Where(f => f.PcBegin != start).SelectMany(f => f.Rows), r => Assert.False(r.ReturnAddressUndefined));
    }

    [ToolFact("llvm-dwarfdump")]
    public void Frame_pointer_prologue_matches_the_real_libc_open()
    {
        // The real 13.5 libc `open` (corpus): push rbp / mov rbp,rsp / push rbx / sub rsp,0xd8, CFI
        // advance 1 → CFA rsp+16, rbp at cfa-16; advance 3 → CFA rbp; advance 8 → rbx at cfa-24.
        using var temp = new TempFiles();
        var libc = Samples.Images("13.5").Libc;
        var open = libc.Function("open").Address;
        var rows = DwarfDump.EhFrame(temp.Write(libc)).Single(f => f.PcBegin == open).Rows;
        Assert.Equal([open, open + 1, open + 4, open + 12], rows.Take(4).Select(r => r.Address));
        Assert.Equal(("RSP", 16L), (rows[1].CfaRegister, rows[1].CfaOffset));
        Assert.Equal(("RBP", 16L), (rows[2].CfaRegister, rows[2].CfaOffset));
        Assert.Equal(-24, rows[3].Saved["RBX"]);
        Assert.Equal(-16, rows[3].Saved["RBP"]);
    }
}
