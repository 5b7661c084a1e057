using Iced.Intel;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// An unwind plan for code without CFI, made as LLDB's x86 assembly inspection
/// (<c>x86AssemblyInspectionEngine</c>) and gdb's amd64 prologue analyzer make theirs: decode
/// the function from its first instruction up to the pc and track where the CFA is (rsp + n,
/// or rbp + n once <c>push rbp; mov rbp,rsp</c> set up a frame) and where callee-saved
/// registers were pushed, through <c>push</c>/<c>pop</c>, <c>sub</c>/<c>add</c>/<c>lea</c> on rsp,
/// <c>mov rsp,rbp</c>, <c>leave</c> and epilogues (after a <c>ret</c> or a tail-call <c>jmp</c> the
/// code that follows runs with the body's frame, as a branch target). The plan is expressed as
/// a CFI row, so one step interprets compiler CFI and this alike. Anything it cannot follow (rsp
/// set from another register without a frame pointer, an instruction that does not decode, a pc
/// inside an instruction) is a failure with the reason, never a guess.
/// </summary>
public static class InstructionAnalysis
{
    /// <summary>The most code decoded for one pc: larger distances from a function start are not believable.</summary>
    public const int MaxBytes = 256 << 10;

    private static readonly Cie PlanCie = new(0, 1, "", 1, -8, DwarfRegisters.ReturnAddress, 0, 0xff, 0xff, null, false, false, default, 0);

    /// <summary>
    /// The plan at <paramref name="pc"/> for the function whose code starts at <paramref name="start"/>;
    /// <paramref name="code"/> holds the bytes from <paramref name="start"/> to at least <paramref name="pc"/>.
    /// </summary>
    public static CfiResult<CfiRow> PlanAt(ReadOnlySpan<byte> code, ulong start, ulong pc)
    {
        if (pc < start) return CfiResult<CfiRow>.Failure($"pc 0x{pc:x} is before the function start 0x{start:x}");
        if (pc - start > MaxBytes) return CfiResult<CfiRow>.Failure($"pc 0x{pc:x} is {pc - start} bytes past the function start 0x{start:x}: too far to analyse");
        int length = (int)(pc - start);
        if (code.Length < length) return CfiResult<CfiRow>.Failure($"only {code.Length} of the {length} code bytes from 0x{start:x} to pc are available");

        var state = new State();
        State? beforeEpilogue = null;
        // The frame at the targets of the forward branches seen so far: the code after a return is
        // entered by one of them (with shrink-wrapping, from before the prologue).
        var targets = new Dictionary<ulong, State>();
        bool afterLeaving = false;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code[..length].ToArray()), start, DecoderOptions.None);
        while (decoder.IP < pc)
        {
            ulong ip = decoder.IP;
            if (afterLeaving && targets.TryGetValue(ip, out var entered)) state = entered.Clone();
            afterLeaving = false;
            decoder.Decode(out var ins);
            if (ins.IsInvalid)
                return CfiResult<CfiRow>.Failure(decoder.LastError == DecoderError.NoMoreBytes
                    ? $"pc 0x{pc:x} is inside the instruction at 0x{ip:x}: the function does not start at 0x{start:x}"
                    : $"the instruction at 0x{ip:x} does not decode");
            if (ins.NextIP > pc) return CfiResult<CfiRow>.Failure($"pc 0x{pc:x} is inside the instruction at 0x{ip:x}: the function does not start at 0x{start:x}");

            bool epilogue = IsEpilogue(ins);
            bool leaves = ins.FlowControl is FlowControl.Return or FlowControl.UnconditionalBranch or FlowControl.IndirectBranch;
            if (epilogue && beforeEpilogue is null) beforeEpilogue = state.Clone();
            if (!epilogue && !leaves) beforeEpilogue = null;

            if (Apply(ref state, ins) is { } failure) return CfiResult<CfiRow>.Failure(failure);
            if (ins.FlowControl is FlowControl.ConditionalBranch or FlowControl.UnconditionalBranch && ins.NearBranchTarget > ip)
                targets.TryAdd(ins.NearBranchTarget, state.Clone());

            // The code after a return or an unconditional jump (a tail call) is reached only by a
            // branch: from one seen above when there is one, else from the body, with the frame it
            // had before the epilogue that just ended.
            if (leaves)
            {
                if (beforeEpilogue is not null) state = beforeEpilogue;
                beforeEpilogue = null;
                afterLeaving = true;
            }
        }
        return state.Row(start, pc);
    }

    private static bool IsEpilogue(in Instruction ins) => ins.Mnemonic switch
    {
        Mnemonic.Pop or Mnemonic.Leave => true,
        Mnemonic.Add or Mnemonic.Lea => ins.Op0Kind == OpKind.Register && ins.Op0Register == Register.RSP,
        Mnemonic.Mov => ins.Op0Kind == OpKind.Register && ins.Op0Register == Register.RSP && ins.Op1Kind == OpKind.Register && ins.Op1Register == Register.RBP,
        _ => false,
    };

    /// <summary>Applies one instruction's effect on the frame; a reason when it cannot be followed.</summary>
    private static string? Apply(ref State s, in Instruction ins)
    {
        bool op0Rsp = ins.Op0Kind == OpKind.Register && ins.Op0Register == Register.RSP;
        bool op0Rbp = ins.Op0Kind == OpKind.Register && ins.Op0Register == Register.RBP;
        switch (ins.Mnemonic)
        {
            case Mnemonic.Push:
                if (!s.RspKnown) return null;
                s.RspOffset += 8;
                if (ins.Op0Kind == OpKind.Register && CalleeSaved(ins.Op0Register) is int pushed && !s.Saved.ContainsKey(pushed))
                    s.Saved[pushed] = -s.RspOffset;
                return null;
            case Mnemonic.Pop:
                if (ins.Op0Kind == OpKind.Register && CalleeSaved(ins.Op0Register) is int popped)
                {
                    if (s.RspKnown && s.Saved.TryGetValue(popped, out long at) && at == -s.RspOffset) s.Saved.Remove(popped);
                    if (popped == DwarfRegisters.Rbp) s.LoseFramePointer();
                }
                if (s.RspKnown) s.RspOffset -= 8;
                return s.CheckCfa(ins);
            case Mnemonic.Leave:
                if (!s.FramePointerSet) return $"leave at 0x{ins.IP:x} without a frame pointer set up";
                s.RspOffset = s.RbpOffset;
                s.RspKnown = true;
                if (s.Saved.TryGetValue(DwarfRegisters.Rbp, out long slot) && slot == -s.RspOffset) s.Saved.Remove(DwarfRegisters.Rbp);
                s.RspOffset -= 8;
                s.LoseFramePointer();
                return null;
            case Mnemonic.Sub when op0Rsp && ins.Op1Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64 or OpKind.Immediate8 or OpKind.Immediate32:
                if (s.RspKnown) s.RspOffset += (long)ins.GetImmediate(1);
                return null;
            case Mnemonic.Add when op0Rsp && ins.Op1Kind is OpKind.Immediate8to64 or OpKind.Immediate32to64 or OpKind.Immediate8 or OpKind.Immediate32:
                if (s.RspKnown) s.RspOffset -= (long)ins.GetImmediate(1);
                return s.CheckCfa(ins);
            case Mnemonic.Lea when op0Rsp && ins.MemoryIndex == Register.None && ins.MemoryBase is Register.RSP or Register.RBP:
                long displacement = (long)ins.MemoryDisplacement64;
                if (ins.MemoryBase == Register.RSP)
                {
                    if (s.RspKnown) s.RspOffset -= displacement;
                }
                else if (s.FramePointerSet) { s.RspOffset = s.RbpOffset - displacement; s.RspKnown = true; }
                else return s.RspLost(ins);
                return s.CheckCfa(ins);
            case Mnemonic.Mov when op0Rbp && ins.Op1Kind == OpKind.Register && ins.Op1Register == Register.RSP:
                if (!s.RspKnown) return $"mov rbp, rsp at 0x{ins.IP:x} while rsp is not known relative to the CFA";
                s.FramePointerSet = true;
                s.RbpOffset = s.RspOffset;
                return null;
            case Mnemonic.Mov when op0Rsp && ins.Op1Kind == OpKind.Register && ins.Op1Register == Register.RBP:
                if (!s.FramePointerSet) return s.RspLost(ins);
                s.RspOffset = s.RbpOffset;
                s.RspKnown = true;
                return null;
            case Mnemonic.Call or Mnemonic.Syscall or Mnemonic.Ret or Mnemonic.Jmp:
                return null;
        }
        // Any other write to rsp (and rsp, -16; mov rsp, rax; sub rsp, rax …) leaves it unknown;
        // any other write to rbp ends its role as the frame pointer.
        if (op0Rsp && WritesOperand0(ins)) return s.RspLost(ins);
        if (op0Rbp && WritesOperand0(ins) && s.FramePointerSet) s.LoseFramePointer();
        return null;
    }

    /// <summary>Whether the instruction writes its first operand (compare, test and stores to memory do not count).</summary>
    private static bool WritesOperand0(in Instruction ins) =>
        ins.Mnemonic is not (Mnemonic.Cmp or Mnemonic.Test or Mnemonic.Bt or Mnemonic.Push);

    private static int? CalleeSaved(Register register) => register switch
    {
        Register.RBX => DwarfRegisters.Rbx,
        Register.RBP => DwarfRegisters.Rbp,
        Register.R12 => DwarfRegisters.R12,
        Register.R13 => DwarfRegisters.R13,
        Register.R14 => DwarfRegisters.R14,
        Register.R15 => DwarfRegisters.R15,
        _ => null,
    };

    /// <summary>What the frame looks like after the instructions so far.</summary>
    private sealed class State
    {
        /// <summary>CFA − rsp, when <see cref="RspKnown"/>.</summary>
        public long RspOffset = 8;
        public bool RspKnown = true;
        /// <summary>CFA − rbp, when <see cref="FramePointerSet"/>.</summary>
        public long RbpOffset;
        public bool FramePointerSet;
        /// <summary>Callee-saved registers and their slot, as an offset from the CFA.</summary>
        public Dictionary<int, long> Saved = [];

        public State Clone() => new() { RspOffset = RspOffset, RspKnown = RspKnown, RbpOffset = RbpOffset, FramePointerSet = FramePointerSet, Saved = new(Saved) };

        public void LoseFramePointer() => FramePointerSet = false;

        public string? RspLost(in Instruction ins)
        {
            if (!FramePointerSet) return $"the instruction at 0x{ins.IP:x} ({ins}) changes rsp in a way that cannot be followed, and no frame pointer is set up";
            RspKnown = false;
            return null;
        }

        public string? CheckCfa(in Instruction ins) =>
            RspKnown && RspOffset < 8 ? $"rsp moves above the return address at 0x{ins.IP:x} ({ins}): the function does not start where assumed" : null;

        public CfiResult<CfiRow> Row(ulong start, ulong pc)
        {
            CfaRule cfa;
            if (FramePointerSet) cfa = CfaRule.RegisterPlus(DwarfRegisters.Rbp, RbpOffset);
            else if (RspKnown) cfa = CfaRule.RegisterPlus(DwarfRegisters.Rsp, RspOffset);
            else return CfiResult<CfiRow>.Failure($"rsp is not known relative to the CFA at 0x{pc:x}");
            var rules = new List<KeyValuePair<int, RegisterRule>>(Saved.Count + 1);
            foreach (var (register, offset) in Saved.OrderBy(r => r.Key)) rules.Add(new(register, RegisterRule.AtCfa(offset)));
            rules.Add(new(DwarfRegisters.ReturnAddress, RegisterRule.AtCfa(-8)));
            return CfiResult<CfiRow>.Success(new CfiRow(pc, pc + 1, cfa, rules, new Fde(0, PlanCie, start, pc + 1, null, default, 0)));
        }
    }
}
