using CoreSleuth.Analysis.Unwind;
using Iced.Intel;
using static CoreSleuth.Analysis.Unwind.DwarfRegisters;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// The instruction-analysis unwind plan judged by the compilers' own CFI: for every function of
/// real FreeBSD libraries that has an FDE, at every instruction boundary, the plan made from the
/// code alone must say what the FDE says (where the CFA is, where the return address is saved,
/// and where the callee-saved registers it names are saved), or decline with a reason. It never
/// sees the FDE. The referee is the compiler (clang for FreeBSD 13.5's base), not this project.
/// </summary>
public sealed class InstructionAnalysisTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [CorpusTheory]
    [InlineData("freebsd13.5/libc.so.7")]
    [InlineData("freebsd13.5/libthr.so.3")]
    [InlineData("freebsd13.5/ld-elf.so.1")]
    [InlineData("freebsd13.5/libc++.so.1")]
    [InlineData("freebsd12.0/libc.so.7")]
    public void Plans_from_instructions_agree_with_the_compilers_CFI(string binary)
    {
        using var file = new UnwindCorpus.OpenedElf(binary);
        var eh = EhFrame.Open(file.View, file.Elf.ProgramHeaders, out string? problem) ?? throw new InvalidOperationException(problem);
        int compared = 0, declined = 0, functions = 0, afterLeaving = 0, staleEpilogue = 0;
        var disagreements = new List<string>();
        foreach (var entry in eh.Entries())
        {
            if (entry.Fde is not { } fde || fde.PcEnd - fde.PcBegin is 0 or > 2048) continue;  // bounded: each pc is planned from the start
            // Not judged: entry points that are not called (rtld's _rtld_bind_start starts at
            // CFA = rsp+24: the PLT pushed two words), and FDEs with no instruction at all, which
            // assembly with a bare .cfi_startproc gets: they describe the entry state only, and the
            // pushes the code makes go unsaid (ld-elf.so.1's sigsetjmp pushes rdi at 0x1a2f7 and its
            // FDE keeps CFA = rsp+8).
            if (CfiInterpreter.RowAt(fde, fde.PcBegin).Value is not { Cfa: { Register: Rsp, Offset: 8 } }) continue;
            if (!fde.Instructions.Span.ContainsAnyExcept((byte)0)) continue;
            var code = new byte[fde.PcEnd - fde.PcBegin];
            if (file.View.Read(fde.PcBegin, code) != code.Length) continue;
            functions++;
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), fde.PcBegin, DecoderOptions.None);
            bool left = false, afterPopRbp = false;
            while (decoder.IP < fde.PcEnd)
            {
                ulong pc = decoder.IP;
                decoder.Decode(out var ins);
                if (ins.IsInvalid) break;
                bool inBlockAfterLeaving = left, inEpilogue = afterPopRbp;
                left |= ins.FlowControl is FlowControl.Return or FlowControl.UnconditionalBranch or FlowControl.IndirectBranch;
                if (ins.Mnemonic == Mnemonic.Leave || ins.Mnemonic == Mnemonic.Pop && ins.Op0Register == Register.RBP) afterPopRbp = true;
                if (ins.Mnemonic == Mnemonic.Push && ins.Op0Register == Register.RBP) afterPopRbp = false;
                var cfi = CfiInterpreter.RowAt(fde, pc);
                if (cfi.Value is not { } row || row.Cfa.Kind != CfaRuleKind.RegisterOffset) continue;
                var plan = InstructionAnalysis.PlanAt(code, fde.PcBegin, pc);
                if (plan.Value is not { } planned) { declined++; continue; }
                compared++;
                if (Disagreement(row, planned) is not { } why) continue;
                // Blocks placed after a return or a tail jump are entered by a branch; a linear pass
                // knows the frame there only when it saw a forward branch to it (LLDB's assembly
                // inspection has the same limit). Clang's shrink-wrapping enters some from before the
                // prologue, some by backward branches: those may disagree, within a bound.
                // Clang before LLVM 10 (FreeBSD 12's base) wrote no CFI for epilogues: after `pop rbp`
                // its CFA stays rbp+16, which no longer holds; the plan's rsp+8 is right there.
                if (inEpilogue && row.Cfa.Register == Rbp && planned.Cfa is { Register: Rsp, Offset: 8 }) { staleEpilogue++; continue; }
                if (inBlockAfterLeaving) { afterLeaving++; continue; }
                disagreements.Add($"0x{pc:x} (FDE [0x{fde.PcBegin:x}, 0x{fde.PcEnd:x})): {why}; CFI {row}; plan {planned}");
            }
        }
        output.WriteLine($"{binary}: {functions} functions, {compared} pcs compared, {declined} declined; disagreements: {disagreements.Count} in straight-line code, " +
                         $"{afterLeaving} in blocks after a return, {staleEpilogue} where the CFI does not describe the epilogue");
        foreach (var d in disagreements.Take(40)) output.WriteLine(d);
        Assert.True(compared > 1000, $"only {compared} pcs compared");
        Assert.True(declined * 20 < compared, $"the analysis declined {declined} of {compared + declined} pcs");
        // What remains in straight-line code are hand-written calling sequences (libthr pushes a
        // call's arguments that the callee consumes) and code after a call that does not return
        // (pthread_exit), whose next instruction is entered by an earlier branch. Return addresses
        // there are planned right: the plan stops before the instruction at the pc.
        Assert.True(disagreements.Count * 1000 < compared, $"{disagreements.Count} of {compared} pcs disagree in straight-line code");
        Assert.True(afterLeaving * 100 < compared, $"{afterLeaving} of {compared} pcs in blocks after a return disagree");
    }

    /// <summary>
    /// Where the plan says something the CFI contradicts. A register only one of them names as
    /// saved is not judged: both values are equal then. After an epilogue's <c>pop</c> the plan has
    /// it in the register again while clang's CFI keeps naming the slot; inside a prologue under a
    /// frame pointer, clang names the slots only once all pushes are done.
    /// </summary>
    private static string? Disagreement(CfiRow cfi, CfiRow plan)
    {
        if (cfi.Cfa.Register != plan.Cfa.Register || cfi.Cfa.Offset != plan.Cfa.Offset) return $"CFA {cfi.Cfa} vs {plan.Cfa}";
        if (cfi.RuleFor(ReturnAddress) is { Kind: RegisterRuleKind.Offset } ra && plan.RuleFor(ReturnAddress) is { } planRa && ra.Offset != planRa.Offset)
            return "return address slot";
        foreach (int r in CalleeSaved)
        {
            if (plan.RuleFor(r) is not { } p) continue;
            if (cfi.RuleFor(r) is { } c && (c.Kind != RegisterRuleKind.Offset || p.Offset != c.Offset))
                return $"{Name(r)} saved at CFA{p.Offset:+0;-0} by the plan, {c} in the CFI";
        }
        return null;
    }

    [Fact]
    public void Follows_a_frame_pointer_prologue_and_epilogue()
    {
        // push rbp; mov rbp,rsp; push rbx; sub rsp,0x18; call x; add rsp,0x18; pop rbx; pop rbp; ret; (then a branch target)
        var a = new Assembler(64);
        var body = a.CreateLabel();
        a.push(AssemblerRegisters.rbp);
        a.mov(AssemblerRegisters.rbp, AssemblerRegisters.rsp);
        a.push(AssemblerRegisters.rbx);
        a.sub(AssemblerRegisters.rsp, 0x18);
        a.call(0x2000UL);
        a.Label(ref body);
        a.add(AssemblerRegisters.rsp, 0x18);
        a.pop(AssemblerRegisters.rbx);
        a.pop(AssemblerRegisters.rbp);
        a.ret();
        a.nop();
        var (code, offsets) = Assemble(a, 0x1000);

        Expect(code, offsets[0], Rsp, 8);                  // at the first instruction
        Expect(code, offsets[1], Rsp, 16, (Rbp, -16));     // after push rbp
        Expect(code, offsets[2], Rbp, 16, (Rbp, -16));     // after mov rbp,rsp
        Expect(code, offsets[5], Rbp, 16, (Rbp, -16), (Rbx, -24)); // after the call: the return address of a callee
        Expect(code, offsets[8], Rsp, 8);                  // after pop rbp: at ret
        Expect(code, offsets[9], Rbp, 16, (Rbp, -16), (Rbx, -24)); // code after ret runs with the body's frame
    }

    [Fact]
    public void Follows_a_function_without_frame_pointer_and_a_syscall_stub()
    {
        var a = new Assembler(64);
        a.push(AssemblerRegisters.r15);
        a.push(AssemblerRegisters.rbx);
        a.sub(AssemblerRegisters.rsp, 0x28);
        a.lea(AssemblerRegisters.rsp, AssemblerRegisters.__[AssemblerRegisters.rsp + 0x28]);
        a.pop(AssemblerRegisters.rbx);
        var (code, offsets) = Assemble(a, 0x1000);
        Expect(code, offsets[3], Rsp, 0x40, (R15, -16), (Rbx, -24));
        Expect(code, offsets[4], Rsp, 0x18, (R15, -16), (Rbx, -24));
        Expect(code, offsets[5], Rsp, 0x10, (R15, -16));

        // FreeBSD's SYS.h stub: mov eax,5; mov r10,rcx; syscall; jb .cerror; ret
        var stub = new Assembler(64);
        stub.mov(AssemblerRegisters.eax, 5);
        stub.mov(AssemblerRegisters.r10, AssemblerRegisters.rcx);
        stub.syscall();
        stub.jb(0x3000UL);
        stub.ret();
        var (stubCode, stubOffsets) = Assemble(stub, 0x1000);
        Expect(stubCode, stubOffsets[3], Rsp, 8);
    }

    [Fact]
    public void Declines_what_it_cannot_follow()
    {
        var a = new Assembler(64);
        a.push(AssemblerRegisters.rbx);
        a.and(AssemblerRegisters.rsp, -16);
        a.nop();
        var (code, offsets) = Assemble(a, 0x1000);
        var plan = InstructionAnalysis.PlanAt(code, 0x1000, 0x1000 + (ulong)offsets[2]);
        Assert.Null(plan.Value);
        Assert.Contains("changes rsp", plan.Error);

        // A pc inside an instruction: the assumed function start is wrong.
        var inside = InstructionAnalysis.PlanAt(code, 0x1000, 0x1000 + (ulong)offsets[1] + 1);
        Assert.Contains("inside the instruction", inside.Error);
    }

    private static void Expect(byte[] code, int offset, int cfaRegister, long cfaOffset, params (int Register, long Offset)[] saved)
    {
        var plan = InstructionAnalysis.PlanAt(code, 0x1000, 0x1000 + (ulong)offset);
        var row = Assert.IsType<CfiRow>(plan.Value);
        Assert.Equal((cfaRegister, cfaOffset), (row.Cfa.Register, row.Cfa.Offset));
        Assert.Equal(-8, row.RuleFor(ReturnAddress)!.Value.Offset);
        foreach (int r in CalleeSaved)
        {
            var expected = saved.Where(s => s.Register == r).Select(s => (long?)s.Offset).FirstOrDefault();
            Assert.Equal(expected, row.RuleFor(r)?.Offset);
        }
    }

    /// <summary>The code and the offset of every instruction boundary (the last is the end).</summary>
    private static (byte[] Code, int[] Offsets) Assemble(Assembler a, ulong at)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), at);
        var code = stream.ToArray();
        var offsets = new List<int>();
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code), at, DecoderOptions.None);
        while (decoder.IP < at + (ulong)code.Length)
        {
            offsets.Add((int)(decoder.IP - at));
            decoder.Decode(out _);
        }
        offsets.Add(code.Length);
        return (code, [.. offsets]);
    }
}
