using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Elf;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// Call-frame instructions real FreeBSD libraries rarely use (remember/restore, undefined,
/// same_value, register, expressions, val_offset, the _sf forms, advance_loc2/4, GNU_args_size,
/// personality and LSDA, signal frames), assembled by GNU as into a shared object linked with
/// --eh-frame-hdr, then checked row by row: register rules against llvm-dwarfdump, the CFA
/// against readelf. (llvm-dwarfdump 14 does not restore the CFA on DW_CFA_restore_state,
/// unlike readelf, libgcc, libunwind and gdb, so its CFA column is not used here.)
/// </summary>
public sealed partial class AssembledCfiTests : IDisposable
{
    private const string Source = """
            .text
            .globl f1
            .type f1,@function
        f1:
            .cfi_startproc
            .cfi_personality 0x9b, pers_ref
            .cfi_lsda 0x1b, lsda
            push %rbp
            .cfi_def_cfa_offset 16
            .cfi_offset %rbp, -16
            mov %rsp, %rbp
            .cfi_def_cfa_register %rbp
            push %rbx
            .cfi_offset %rbx, -24
            .cfi_remember_state
            nop
            .cfi_undefined %r12
            .cfi_same_value %r13
            .cfi_register %r14, %rax
            .cfi_def_cfa %rsp, 48
            nop
            .cfi_restore_state
            nop
            .cfi_escape 0x10, 0x0f, 0x02, 0x76, 0x70
            nop
            .cfi_escape 0x16, 0x0e, 0x03, 0x77, 0x08, 0x06
            .skip 300, 0x90
            .cfi_val_offset %r12, -32
            nop
            .cfi_escape 0x2e, 0x10
            .skip 70000, 0x90
            .cfi_escape 0x11, 0x03, 0x7d
            nop
            .cfi_escape 0x05, 0x03, 0x04
            nop
            .cfi_escape 0x06, 0x03
            nop
            .cfi_restore %rbp
            nop
            .cfi_escape 0x12, 0x07, 0x7e
            nop
            .cfi_escape 0x13, 0x7d
            nop
            .cfi_escape 0x15, 0x0c, 0x7e
            nop
            .cfi_escape 0x14, 0x0c, 0x02
            nop
            .cfi_escape 0x0f, 0x03, 0x77, 0x10, 0x06
            nop
            .cfi_def_cfa %rsp, 8
            ret
            .cfi_endproc

            .globl f2
            .type f2,@function
        f2:
            .cfi_startproc
            .cfi_signal_frame
            nop
            .cfi_escape 0x0f, 0x05, 0x77, 0x28, 0x06, 0x23, 0x08
            nop
            .cfi_escape 0x10, 0x10, 0x03, 0x77, 0x20, 0x06
            nop
            ret
            .cfi_endproc

            .section .rodata
        lsda: .byte 0xff, 0xff, 0x01, 0x00
            .data
        pers_ref: .quad 0
        """;

    private readonly string dir = Directory.CreateTempSubdirectory("coresleuth-cfi-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [GeneratedRegex(@"^[0-9a-f]{8} [0-9a-f]{16} [0-9a-f]{8} FDE cie=[0-9a-f]{8} pc=([0-9a-f]{16})\.\.([0-9a-f]{16})")]
    private static partial Regex ReadelfFde();

    [GeneratedRegex(@"^([0-9a-f]{16}) (\S+)")]
    private static partial Regex ReadelfRow();

    [GeneratedRegex(@"Personality Address: ([0-9a-f]+)")]
    private static partial Regex LlvmPersonality();

    [GeneratedRegex(@"LSDA Address: ([0-9a-f]+)")]
    private static partial Regex LlvmLsda();

    private string Build()
    {
        string s = Path.Combine(dir, "t.s"), o = Path.Combine(dir, "t.o"), so = Path.Combine(dir, "t.so");
        File.WriteAllText(s, Source + "\n");
        UnwindCorpus.Run("as", "-o", o, s);
        UnwindCorpus.Run("ld", "-shared", "--eh-frame-hdr", "-o", so, o);
        return so;
    }

    [ToolFact("as", "ld", "llvm-dwarfdump", "readelf")]
    public void Rare_instructions_agree_with_llvm_dwarfdump_and_readelf()
    {
        string so = Build();
        string llvm = UnwindCorpus.Run("llvm-dwarfdump", "--eh-frame", so);
        var llvmFdes = LlvmCfiOracle.Parse(llvm);
        var readelfCfa = new List<(ulong Begin, ulong End, List<(ulong Loc, string Cfa)> Rows)>();
        List<(ulong, string)>? current = null;
        foreach (var line in UnwindCorpus.Run("readelf", "--debug-dump=frames-interp", so).Split('\n'))
        {
            if (ReadelfFde().Match(line) is { Success: true } f)
            {
                readelfCfa.Add((Hex(f.Groups[1].Value), Hex(f.Groups[2].Value), current = []));
            }
            else if (line.Contains(" CIE ", StringComparison.Ordinal)) current = null;
            else if (current is not null && ReadelfRow().Match(line) is { Success: true } r) current.Add((Hex(r.Groups[1].Value), r.Groups[2].Value));
        }
        Assert.Equal(2, llvmFdes.Count);
        Assert.Equal(2, readelfCfa.Count);

        using var source = ByteSource.OpenFile(so);
        var elf = ElfFile.Parse(source);
        var eh = EhFrame.Open(new FileImageView(elf), elf.ProgramHeaders, out string? problem);
        Assert.True(eh is not null, problem);

        int compared = 0;
        for (int i = 0; i < llvmFdes.Count; i++)
        {
            var fde = llvmFdes[i];
            Assert.Equal((fde.PcBegin, fde.PcEnd), (readelfCfa[i].Begin, readelfCfa[i].End));
            foreach (var (address, text) in fde.Rows)
            {
                foreach (ulong pc in new[] { address, Math.Min(address + 1, fde.PcEnd - 1) })
                {
                    var row = eh!.FindRow(pc);
                    Assert.True(row.IsSuccess, row.Error);
                    string mine = LlvmCfiOracle.Format(row.Value!);
                    string expectedRegisters = RegistersPart(LlvmCfiOracle.RowAt(fde, pc)!);
                    Assert.Equal(expectedRegisters, RegistersPart(mine));
                    string readelf = readelfCfa[i].Rows.Last(r => r.Loc <= pc).Cfa;
                    Assert.Equal(readelf, ReadelfCfa(row.Value!.Cfa));
                    compared++;
                }
            }
        }
        Assert.True(compared >= 40, $"{compared} rows compared");

        // Augmentations: "zPLR" with an indirect pc-relative personality and an LSDA; "zRS" for the signal frame.
        var f1 = eh!.FindFde(llvmFdes[0].PcBegin).Value!;
        Assert.Equal("zPLR", f1.Cie.Augmentation);
        Assert.True(f1.Cie.PersonalityIndirect);
        Assert.Equal(Hex(LlvmPersonality().Match(llvm).Groups[1].Value), f1.Cie.Personality);
        Assert.Equal(Hex(LlvmLsda().Match(llvm).Groups[1].Value), f1.Lsda);
        Assert.False(f1.Cie.IsSignalFrame);
        var f2 = eh.FindFde(llvmFdes[1].PcBegin).Value!;
        Assert.Equal("zRS", f2.Cie.Augmentation);
        Assert.True(f2.Cie.IsSignalFrame);
        Assert.True(eh.FindRow(llvmFdes[1].PcBegin).Value!.IsSignalFrame);
    }

    private static string RegistersPart(string row)
    {
        int colon = row.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? "" : row[(colon + 2)..];
    }

    private static string ReadelfCfa(CfaRule cfa) => cfa.Kind == CfaRuleKind.Expression
        ? "exp"
        : $"{DwarfRegisters.Name(cfa.Register)}{(cfa.Offset >= 0 ? "+" : "")}{cfa.Offset}";

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
