using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace CoreSleuth.Testing.Images;

/// <summary>Where a call instruction goes, as decided by the image layout.</summary>
/// <param name="DirectTarget">Target of a <c>call rel32</c> (a function or a PLT entry).</param>
/// <param name="SlotAddress">Address of the pointer for <c>call [rip+slot]</c>.</param>
internal readonly record struct CallTarget(ulong? DirectTarget, ulong? SlotAddress);

internal sealed record AssembledCallSite(CallSite Spec, int CallOffset, int ReturnOffset, CallTarget Target);

internal sealed record AssembledCode(
    byte[] Code,
    IReadOnlyList<CfiOp> Cfi,
    IReadOnlyList<AssembledCallSite> CallSites,
    int? SyscallOffset,
    FrameLayout Frame)
{
    /// <summary>Offset of the <see cref="FunctionSpec.FaultingLoad"/> instruction.</summary>
    public int? FaultOffset { get; init; }
}

/// <summary>
/// Turns a <see cref="FunctionSpec"/> into x86-64 code with Iced's assembler, and records the CFI
/// rules that describe exactly the prologue/epilogue it emitted. Branches are always encoded in
/// their near form (and never shortened), so the code size does not depend on the addresses.
/// </summary>
internal static class FunctionAssembler
{
    private static readonly AssemblerRegister64[] ArgumentRegisters = [rdi, rsi, rdx, rcx, r8, r9];

    private static AssemblerRegister64 Reg(CalleeSavedRegister register) => register switch
    {
        CalleeSavedRegister.Rbx => rbx,
        CalleeSavedRegister.Rbp => rbp,
        CalleeSavedRegister.R12 => r12,
        CalleeSavedRegister.R13 => r13,
        CalleeSavedRegister.R14 => r14,
        CalleeSavedRegister.R15 => r15,
        _ => throw new ArgumentOutOfRangeException(nameof(register)),
    };

    public static FrameLayout Layout(FunctionSpec spec, FrameStyle style)
    {
        if (spec.SyscallNumber is not null || style == FrameStyle.None)
        {
            if (spec.Calls.Count > 0)
            {
                throw new ArgumentException($"{spec.Name}: a function without a frame cannot make calls");
            }

            return new FrameLayout(false, [], 0);
        }

        if (spec.SavedRegisters.Distinct().Count() != spec.SavedRegisters.Count)
        {
            throw new ArgumentException($"{spec.Name}: a callee-saved register is listed twice");
        }

        var pushes = new List<CalleeSavedRegister>();
        if (style == FrameStyle.FramePointer)
        {
            pushes.Add(CalleeSavedRegister.Rbp);
            pushes.AddRange(spec.SavedRegisters.Where(r => r != CalleeSavedRegister.Rbp));
        }
        else
        {
            pushes.AddRange(spec.SavedRegisters);
        }

        // SysV: rsp is 16-aligned at every call, i.e. CFA − (8 + 8·pushes + locals) ≡ 0 (mod 16).
        var locals = Math.Max(0, spec.LocalsSize);
        locals = (locals + 7) & ~7;
        if ((8 + (8 * pushes.Count) + locals) % 16 != 0)
        {
            locals += 8;
        }

        return new FrameLayout(style == FrameStyle.FramePointer, pushes, locals);
    }

    public static AssembledCode Assemble(FunctionSpec spec, FrameStyle style, ulong address, Func<CallSite, CallTarget> resolve)
    {
        var frame = Layout(spec, style);
        var asm = new Assembler(64) { PreferShortBranch = false };
        var cfi = new List<(int AfterInstruction, CfiOpKind Kind, int Register, int Value)>();
        var calls = new List<(CallSite Site, int Index, CallTarget Target)>();
        int? syscallIndex = null;
        int? faultIndex = null;

        int Count() => asm.Instructions.Count;
        void After(CfiOpKind kind, int register = 0, int value = 0) => cfi.Add((Count(), kind, register, value));

        if (spec.TerminatesCallChain)
        {
            cfi.Add((0, CfiOpKind.Undefined, DwarfRegister.ReturnAddress, 0));
        }

        if (spec.SyscallNumber is int number)
        {
            // FreeBSD libc RSYSCALL/KERNCALL (lib/libc/amd64/SYS.h): the 4th argument moves to r10
            // because `syscall` clobbers rcx; CF set = error (spec §7.1).
            asm.mov(eax, number);
            asm.mov(r10, rcx);
            syscallIndex = Count();
            asm.syscall();
            if (spec.SyscallErrorHandler is { } handler)
            {
                var target = resolve(new CallSite(handler));
                asm.jb(target.DirectTarget ?? throw new InvalidOperationException($"{spec.Name}: no address for {handler}"));
                asm.ret();
            }
            else
            {
                var error = asm.CreateLabel();
                asm.PreferShortBranch = true;
                asm.jb(error);
                asm.PreferShortBranch = false;
                asm.ret();
                asm.Label(ref error);
                asm.ret();
            }
        }
        else
        {
            EmitPrologue(asm, frame, After);
            faultIndex = EmitBody(spec, frame, asm, resolve, calls);
            EmitEpilogue(asm, frame, After);
        }

        var writer = new CodeBuffer();
        var result = asm.Assemble(writer, address, BlockEncoderOptions.ReturnNewInstructionOffsets | BlockEncoderOptions.DontFixBranches);
        var code = writer.ToArray();
        var offsets = result.Result[0].NewInstructionOffsets;
        int EndOf(int index) => index + 1 < offsets.Length ? (int)offsets[index + 1] : code.Length;
        int StartOf(int index) => index < offsets.Length ? (int)offsets[index] : code.Length;

        var cfiOps = cfi.Select(c => new CfiOp(StartOf(c.AfterInstruction), c.Kind, c.Register, c.Value)).ToList();
        var callSites = calls.Select(c => new AssembledCallSite(c.Site, StartOf(c.Index), EndOf(c.Index), c.Target)).ToList();
        return new AssembledCode(code, cfiOps, callSites, syscallIndex is int s ? StartOf(s) : null, frame)
        {
            FaultOffset = faultIndex is int f ? StartOf(f) : null,
        };
    }

    private static void EmitPrologue(Assembler asm, FrameLayout frame, Action<CfiOpKind, int, int> after)
    {
        if (frame.UsesFramePointer)
        {
            asm.push(rbp);
            after(CfiOpKind.DefCfaOffset, 0, 16);
            after(CfiOpKind.Offset, DwarfRegister.Rbp, -16);
            asm.mov(rbp, rsp);
            after(CfiOpKind.DefCfaRegister, DwarfRegister.Rbp, 0);
            foreach (var register in frame.PushOrder.Skip(1))
            {
                asm.push(Reg(register));
            }

            if (frame.LocalsSize > 0)
            {
                asm.sub(rsp, frame.LocalsSize);
            }

            // clang describes the registers pushed after the frame pointer once the prologue is done,
            // last pushed first (cf. the real libc.so.7 `open`: DW_CFA_offset RBX -24 after the sub).
            for (var i = frame.PushOrder.Count - 1; i >= 1; i--)
            {
                after(CfiOpKind.Offset, DwarfRegister.Of(frame.PushOrder[i]), frame.SaveSlotOffset(i));
            }
        }
        else
        {
            for (var i = 0; i < frame.PushOrder.Count; i++)
            {
                asm.push(Reg(frame.PushOrder[i]));
                after(CfiOpKind.DefCfaOffset, 0, 16 + (8 * i));
            }

            if (frame.LocalsSize > 0)
            {
                asm.sub(rsp, frame.LocalsSize);
                after(CfiOpKind.DefCfaOffset, 0, frame.FrameSize);
            }

            for (var i = frame.PushOrder.Count - 1; i >= 0; i--)
            {
                after(CfiOpKind.Offset, DwarfRegister.Of(frame.PushOrder[i]), frame.SaveSlotOffset(i));
            }
        }
    }

    private static void EmitEpilogue(Assembler asm, FrameLayout frame, Action<CfiOpKind, int, int> after)
    {
        if (frame.LocalsSize > 0)
        {
            asm.add(rsp, frame.LocalsSize);
            if (!frame.UsesFramePointer)
            {
                after(CfiOpKind.DefCfaOffset, 0, 8 + (8 * frame.PushOrder.Count));
            }
        }

        for (var i = frame.PushOrder.Count - 1; i >= 0; i--)
        {
            asm.pop(Reg(frame.PushOrder[i]));
            if (frame.UsesFramePointer)
            {
                if (i == 0)
                {
                    after(CfiOpKind.DefCfa, DwarfRegister.Rsp, 8);
                }
            }
            else
            {
                after(CfiOpKind.DefCfaOffset, 0, 8 + (8 * i));
            }
        }

        asm.ret();
    }

    /// <returns>The index of the faulting load's instruction, if the spec has one.</returns>
    private static int? EmitBody(
        FunctionSpec spec,
        FrameLayout frame,
        Assembler asm,
        Func<CallSite, CallTarget> resolve,
        List<(CallSite Site, int Index, CallTarget Target)> calls)
    {
        // The callee-saved registers hold the incoming arguments, as compiled code keeps them across calls.
        var kept = frame.PushOrder.Where(r => !(frame.UsesFramePointer && r == CalleeSavedRegister.Rbp)).ToList();
        for (var i = 0; i < kept.Count; i++)
        {
            asm.mov(Reg(kept[i]), ArgumentRegisters[i % ArgumentRegisters.Length]);
        }

        int? faultIndex = null;
        if (spec.FaultingLoad is { } load)
        {
            if (!kept.Contains(load.Base))
            {
                throw new ArgumentException($"{spec.Name}: the faulting load's base {load.Base} is not one of the registers it keeps");
            }

            faultIndex = asm.Instructions.Count;
            asm.mov(rax, __qword_ptr[Reg(load.Base) + load.Displacement]);
        }

        var seed = (int)(ElfHashes.Gnu(spec.Name) & 0x7fff);
        for (var j = 0; j < spec.Calls.Count; j++)
        {
            var site = spec.Calls[j];
            var index = asm.Instructions.Count;
            switch (site.Kind)
            {
                case CallKind.Direct:
                {
                    EmitArguments(asm, kept, seed + j);
                    var target = resolve(site);
                    index = asm.Instructions.Count;
                    asm.call(target.DirectTarget ?? throw new InvalidOperationException($"{spec.Name}: no address for {site.Callee}"));
                    calls.Add((site, index, target));
                    break;
                }

                case CallKind.ThroughSlot:
                {
                    EmitArguments(asm, kept, seed + j);
                    var target = resolve(site);
                    var slot = target.SlotAddress ?? throw new InvalidOperationException($"{spec.Name}: no slot address for {site.SlotSymbol}");
                    index = asm.Instructions.Count;
                    asm.AddInstruction(Instruction.Create(Code.Call_rm64, new MemoryOperand(Register.RIP, Register.None, 1, (long)slot, 8)));
                    calls.Add((site, index, target));
                    break;
                }

                case CallKind.ThroughThreadPointer:
                {
                    if (!kept.Contains(CalleeSavedRegister.Rbx))
                    {
                        throw new ArgumentException($"{spec.Name}: a call through the thread pointer needs rbx saved (it holds curthread)");
                    }

                    // thread_start: curthread->start_routine(curthread->arg); arg follows start_routine.
                    asm.mov(rdi, __qword_ptr[rbx + (site.ThreadPointerDisplacement + 8)]);
                    index = asm.Instructions.Count;
                    asm.call(__qword_ptr[rbx + site.ThreadPointerDisplacement]);
                    calls.Add((site, index, new CallTarget(null, null)));
                    break;
                }

                default:
                    throw new ArgumentOutOfRangeException(nameof(spec));
            }

            // Use the result the way compiled code does: keep it in a local or test it.
            if (frame.LocalsSize >= 16)
            {
                asm.mov(__qword_ptr[rsp + 8], rax);
            }
            else
            {
                asm.test(eax, eax);
            }
        }

        // An empty function (e.g. libthr's _thread_bp_create) is only prologue and epilogue, as compiled.
        if (spec.Calls.Count == 0 && (kept.Count > 0 || frame.LocalsSize > 0))
        {
            asm.xor(eax, eax);
        }

        return faultIndex;
    }

    private static void EmitArguments(Assembler asm, List<CalleeSavedRegister> kept, int variant)
    {
        if (kept.Count > 0)
        {
            asm.mov(rdi, Reg(kept[0]));
        }
        else
        {
            asm.xor(edi, edi);
        }

        if (kept.Count > 1)
        {
            asm.mov(rsi, Reg(kept[1]));
        }
        else
        {
            asm.lea(rsi, __[rsp + 16]);
        }

        asm.mov(edx, variant & 0xfff);
    }

    private sealed class CodeBuffer : CodeWriter
    {
        private readonly List<byte> _bytes = [];

        public override void WriteByte(byte value) => _bytes.Add(value);

        public byte[] ToArray() => [.. _bytes];
    }
}
