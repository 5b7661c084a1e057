using CoreSleuth.Analysis.Unwind;
using CsCheck;

namespace CoreSleuth.Tests.Unwind;

/// <summary>Malformed and hostile .eh_frame data gives bounded errors, never exceptions or hangs.</summary>
public sealed class HostileEhFrameTests
{
    private const ulong Pc = 0x4000;

    private static EhFrame Single(byte[] fdeInstructions, out EhFrameBlob blob)
    {
        blob = new EhFrameBlob();
        int cie = blob.Cie(EhFrameBlob.StandardCie);
        blob.Fde(cie, Pc, 0x100, fdeInstructions);
        return EhFrame.FromBytes(blob.ToArray(), EhFrameBlob.Address);
    }

    [Fact]
    public void Hand_built_records_decode_per_the_dwarf_rules()
    {
        // advance 4; DW_CFA_GNU_negative_offset_extended rbx, 2 → rbx at -(2 × -8) = CFA+16;
        // advance 4; DW_CFA_def_cfa_sf rbp, -2 → CFA = rbp + 16; DW_CFA_val_offset r12, 1 → r12 = CFA-8;
        // advance 4; DW_CFA_same_value rbx; DW_CFA_register r13 in rdi.
        var eh = Single([0x44, 0x2f, 0x03, 0x02, 0x44, 0x12, 0x06, 0x7e, 0x14, 0x0c, 0x01, 0x44, 0x08, 0x03, 0x09, 0x0d, 0x05], out _);
        var at0 = eh.FindRow(Pc).Value!;
        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rsp, 8), at0.Cfa);
        Assert.Equal(RegisterRule.AtCfa(-8), at0.RuleFor(DwarfRegisters.ReturnAddress));
        Assert.Null(at0.RuleFor(DwarfRegisters.Rbx));

        var at4 = eh.FindRow(Pc + 7).Value!;
        Assert.Equal((Pc + 4, Pc + 8), (at4.Address, at4.EndAddress));
        Assert.Equal(RegisterRule.AtCfa(16), at4.RuleFor(DwarfRegisters.Rbx));

        var at8 = eh.FindRow(Pc + 8).Value!;
        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rbp, 16), at8.Cfa);
        Assert.Equal(RegisterRule.ValAtCfa(-8), at8.RuleFor(DwarfRegisters.R12));

        var at12 = eh.FindRow(Pc + 0xff).Value!;
        Assert.Equal(RegisterRule.SameValue, at12.RuleFor(DwarfRegisters.Rbx));
        Assert.Equal(RegisterRule.InRegister(DwarfRegisters.Rdi), at12.RuleFor(DwarfRegisters.R13));
        Assert.False(eh.FindRow(Pc + 0x100).IsSuccess); // one past the FDE's end
    }

    [Fact]
    public void Set_loc_and_absolute_pointers_and_remember_state_with_cfa()
    {
        // A CIE with FDE pointers as absolute udata4 ("zR", R = 0x03).
        var blob = new EhFrameBlob();
        int cie = blob.Cie(EhFrameBlob.StandardCie, "zR", [0x03]);
        // FDE by hand: CIE pointer, pc begin 0x4000 (udata4), range 0x100, no augmentation data, then
        // remember_state; def_cfa rbp+16; set_loc 0x4010; restore_state; set_loc 0x4020; def_cfa_offset 32.
        int start = blob.Length;
        var body = new List<byte>();
        body.AddRange(BitConverter.GetBytes((uint)(start + 4 - cie)));
        body.AddRange(BitConverter.GetBytes(0x4000u));
        body.AddRange(BitConverter.GetBytes(0x100u));
        body.Add(0);
        body.AddRange([0x0a, 0x0c, 0x06, 0x10, 0x01, 0x10, 0x40, 0x00, 0x00, 0x0b, 0x01, 0x20, 0x40, 0x00, 0x00, 0x0e, 0x20]);
        blob.Raw(BitConverter.GetBytes((uint)body.Count));
        blob.Raw([.. body]);
        var eh = EhFrame.FromBytes(blob.ToArray(), EhFrameBlob.Address);

        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rbp, 16), eh.FindRow(0x400f).Value!.Cfa);
        // DW_CFA_restore_state brings back the CFA rule too (as libgcc, libunwind and readelf do).
        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rsp, 8), eh.FindRow(0x4010).Value!.Cfa);
        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rsp, 32), eh.FindRow(0x40ff).Value!.Cfa);
    }

    [Fact]
    public void Dwarf64_records_parse()
    {
        var blob = new EhFrameBlob();
        int cie = blob.Cie(EhFrameBlob.StandardCie, dwarf64: true);
        blob.Fde(cie, Pc, 0x10, [0x41, 0x0e, 0x10], dwarf64: true);
        var eh = EhFrame.FromBytes(blob.ToArray(), EhFrameBlob.Address);
        Assert.All(eh.Entries(), e => Assert.Null(e.Error));
        Assert.Equal(CfaRule.RegisterPlus(DwarfRegisters.Rsp, 16), eh.FindRow(Pc + 1).Value!.Cfa);
    }

    [Fact]
    public void Remember_state_loops_and_unbalanced_restores_are_errors()
    {
        var deep = Single(Enumerable.Repeat((byte)0x0a, 100).ToArray(), out _);
        Assert.Contains("deeper than", deep.FindRow(Pc).Error);
        var unbalanced = Single([0x0b], out _);
        Assert.Contains("without a remembered state", unbalanced.FindRow(Pc).Error);
        // An operand cut off by the end of the FDE.
        var cutBlob = new EhFrameBlob();
        cutBlob.Fde(cutBlob.Cie(EhFrameBlob.StandardCie), Pc, 0x100, [0x41, 0x04, 0x01], pad: false);
        var cut = EhFrame.FromBytes(cutBlob.ToArray(), EhFrameBlob.Address);
        Assert.True(cut.FindRow(Pc).IsSuccess);        // the row before the damage is complete
        Assert.Contains("remain", cut.FindRow(Pc + 1).Error);
    }

    [Fact]
    public void Hostile_lengths_and_cie_pointers_are_errors()
    {
        // A 32-bit length running far past the section.
        var blob = new EhFrameBlob();
        int cie = blob.Cie(EhFrameBlob.StandardCie);
        int fde = blob.Fde(cie, Pc, 0x100, []);
        blob.Patch32(fde, 0xfffffff0);
        var huge = EhFrame.FromBytes(blob.ToArray(), EhFrameBlob.Address);
        Assert.Contains("beyond", huge.Entries().Last().Error);
        Assert.False(huge.FindFdeByScan(Pc).IsSuccess);

        // A 64-bit length of 2^63.
        var huge64 = EhFrame.FromBytes(new byte[] { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0 }, EhFrameBlob.Address);
        Assert.Contains("beyond", Assert.Single(huge64.Entries()).Error);

        // A CIE pointer that leads before the section, and one that points at the FDE itself (a cycle).
        var outside = new EhFrameBlob();
        int c = outside.Cie(EhFrameBlob.StandardCie);
        int bad = outside.Fde(c, Pc, 0x100, [], ciePointer: 0x7fff0000);
        int self = outside.Fde(c, Pc + 0x100, 0x100, [], ciePointer: 4);
        var eh = EhFrame.FromBytes(outside.ToArray(), EhFrameBlob.Address);
        Assert.Contains("outside .eh_frame", eh.ParseFde(EhFrameBlob.Address + (ulong)bad).Error);
        Assert.Contains("FDE, not a CIE", eh.ParseFde(EhFrameBlob.Address + (ulong)self).Error);
        Assert.Equal(3, eh.Entries().Count());

        // Truncated in the middle of an FDE.
        var truncated = EhFrame.FromBytes(blob.ToArray()[..(fde + 6)], EhFrameBlob.Address);
        Assert.NotNull(truncated.Entries().Last().Error);
    }

    [Fact]
    public void Hostile_header_tables_fall_back_to_the_scan()
    {
        var blob = new EhFrameBlob();
        int cie = blob.Cie(EhFrameBlob.StandardCie);
        int a = blob.Fde(cie, 0x5000, 0x10, []), b = blob.Fde(cie, 0x4000, 0x10, []);
        byte[] frame = blob.ToArray();
        const ulong hdrAt = 0x8000;
        // version 1, eh_frame_ptr udata8, fde_count udata4, table datarel|sdata4.
        byte[] Header(params (ulong Pc, int At)[] table)
        {
            var hdr = new List<byte> { 1, 0x04, 0x03, 0x3b };
            hdr.AddRange(BitConverter.GetBytes(EhFrameBlob.Address));
            hdr.AddRange(BitConverter.GetBytes((uint)table.Length));
            foreach (var (pc, at) in table)
            {
                hdr.AddRange(BitConverter.GetBytes((int)(pc - hdrAt)));
                hdr.AddRange(BitConverter.GetBytes((int)(EhFrameBlob.Address + (ulong)at - hdrAt)));
            }
            return hdr.ToArray();
        }
        var unsorted = EhFrame.FromBytes(frame, EhFrameBlob.Address, Header((0x5000, a), (0x4000, b)), hdrAt);
        Assert.Contains("not sorted", unsorted.Header!.TableProblem);
        Assert.Equal(EhFrameBlob.Address + (ulong)b, unsorted.FindFde(0x4008).Value!.Address);

        // A count far beyond the header's bytes is clamped.
        var lying = Header((0x4000, b), (0x5000, a));
        BitConverter.GetBytes(0x7fffffffu).CopyTo(lying, 12);
        var clamped = EhFrame.FromBytes(frame, EhFrameBlob.Address, lying, hdrAt);
        Assert.Contains("room for 2", clamped.Header!.TableProblem);
    }

    [Fact]
    public void Expressions_are_bounded()
    {
        var ctx = new ExpressionContextStub();
        // DW_OP_skip -3 jumps to itself forever.
        Assert.Contains("operations", DwarfExpression.Evaluate([0x2f, 0xfd, 0xff], ctx).Error);
        // 300 × DW_OP_lit1 overflows the stack.
        Assert.Contains("stack deeper", DwarfExpression.Evaluate(Enumerable.Repeat((byte)0x31, 300).ToArray(), ctx).Error);
        Assert.Contains("underflow", DwarfExpression.Evaluate([0x22], ctx).Error);
        Assert.Contains("outside the expression", DwarfExpression.Evaluate([0x2f, 0x10, 0x00], ctx).Error);
    }

    /// <summary>
    /// Random byte mutations and truncations of libthr.so.3's real .eh_frame and .eh_frame_hdr:
    /// every operation returns (success or error) without throwing, and walks stay bounded.
    /// </summary>
    [CorpusFact]
    public void Random_mutations_of_a_real_eh_frame_never_throw()
    {
        using var file = new UnwindCorpus.OpenedElf("freebsd13.5/libthr.so.3");
        var ehSection = file.Elf.SectionHeaders.Single(s => s.Name == ".eh_frame");
        var hdrSection = file.Elf.SectionHeaders.Single(s => s.Name == ".eh_frame_hdr");
        byte[] frame = file.Source.Slice((long)ehSection.Offset, (int)ehSection.Size).ToArray();
        byte[] hdr = file.Source.Slice((long)hdrSection.Offset, (int)hdrSection.Size).ToArray();
        var pcs = file.OpenCfi().Header!.Table.Where((_, i) => i % 25 == 0).Select(e => e.InitialLocation + 3).ToArray();

        var mutation = Gen.Select(Gen.Int[0, frame.Length + hdr.Length - 1], Gen.Byte);
        var gen = Gen.Select(mutation.Array[1, 24], Gen.Int[frame.Length / 2, frame.Length], Gen.Bool);
        gen.Sample((mutations, keep, pointAtHdr) =>
        {
            var f = (byte[])frame.Clone();
            var h = (byte[])hdr.Clone();
            foreach (var (at, value) in mutations)
            {
                if (at < f.Length) f[at] = value;
                else h[at - f.Length] = value;
            }
            var eh = EhFrame.FromBytes(f.AsMemory(0, keep), ehSection.Address, pointAtHdr ? h : default, hdrSection.Address);
            int entries = eh.Entries().Count();
            Assert.True(entries <= keep / 4 + 1);
            foreach (var e in eh.Entries().Take(200))
                if (e.Fde is { } fde) _ = CfiInterpreter.Table(fde);
            foreach (ulong pc in pcs)
            {
                var row = eh.FindRow(pc);
                _ = eh.FindFdeByScan(pc);
                if (row.Value is { Cfa.Kind: CfaRuleKind.Expression } r) _ = DwarfExpression.Evaluate(r.Cfa.Expression.Span, new ExpressionContextStub());
            }
        }, iter: 400);
    }

    private sealed class ExpressionContextStub : IDwarfExpressionContext
    {
        public ulong? Cfa => 0x7fff0000;
        public bool TryGetRegister(int dwarfRegister, out ulong value) { value = 0x1000UL * (ulong)dwarfRegister; return dwarfRegister < 17; }
        public bool TryReadMemory(ulong address, int size, out ulong value) { value = address ^ 0x5a5a; return (address & 1) == 0; }
    }
}
