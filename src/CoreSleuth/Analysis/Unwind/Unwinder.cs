using System.Buffers.Binary;
using CoreSleuth.Model;
using Iced.Intel;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// Walks a thread's stack. For each frame it tries, in order: call-frame information of the
/// frame's code, the rbp chain, and a validated scan of the stack; the first candidate that
/// passes the checks (pc 0 ends the walk; the pc must lie in a known module's executable code
/// or the signal trampoline; the stack pointer must grow) becomes the next frame. Bounded: at
/// most <see cref="MaxDepth"/> frames, and a strictly increasing stack pointer rules out loops.
/// One walk at a time: an unwinder reuses its register sets from frame to frame.
/// </summary>
public sealed class Unwinder(IStackMemory memory, ICfiProvider code)
{
    public const int MaxDepth = 256;

    /// <summary>How many stack words a scan examines for one frame.</summary>
    public const int ScanWords = 512;

    /// <param name="atSyscall">Whether the thread is in, restarting or just returned from a system call
    /// (spec §7.2): its frame 0 is then a syscall stub, even when its code is not available.</param>
    /// <param name="frameRegisters">Whether each frame keeps the callee-saved registers known in it
    /// (<see cref="StackFrame.Registers"/>); without, they are empty and the frames otherwise the same.</param>
    public StackWalk Walk(Registers registers, bool atSyscall = false, int maxDepth = MaxDepth, bool frameRegisters = true)
    {
        var regs = Rent();
        ReadOnlySpan<ulong> values =
        [
            registers.Rax, registers.Rdx, registers.Rcx, registers.Rbx, registers.Rsi, registers.Rdi, registers.Rbp, registers.Rsp,
            registers.R8, registers.R9, registers.R10, registers.R11, registers.R12, registers.R13, registers.R14, registers.R15, registers.Rip,
        ];
        for (int r = 0; r < values.Length; r++) regs.Set(r, values[r], Context);
        return Walk(regs, atSyscall, maxDepth, frameRegisters);
    }

    /// <summary>Walks from registers given by DWARF number (16 = rip; rsp and rip are required).</summary>
    public StackWalk Walk(IReadOnlyDictionary<int, ulong> registers, bool atSyscall = false, int maxDepth = MaxDepth)
    {
        var regs = Rent();
        foreach (var (reg, value) in registers)
            if (reg is >= 0 and < DwarfRegisters.Count) regs.Set(reg, value, Context);
        return Walk(regs, atSyscall, maxDepth, frameRegisters: true);
    }

    private static readonly RegisterOrigin Context = "context";

    private StackWalk Walk(RegisterSet regs, bool atSyscall, int maxDepth, bool frameRegisters)
    {
        maxDepth = Math.Clamp(maxDepth, 1, MaxDepth);
        if (!regs.Known(DwarfRegisters.ReturnAddress) || !regs.Known(DwarfRegisters.Rsp))
            return new StackWalk([], "the context has no rip or rsp");

        ulong pc = regs[DwarfRegisters.ReturnAddress], sp = regs[DwarfRegisters.Rsp];
        var stack = memory.RegionOf(sp);
        var frames = walking;
        frames.Clear();
        frames.Add(MakeFrame(0, pc, sp, FrameTrust.Context, regs, exactPc: true, null, frameRegisters));
        bool exact = true;
        string stop;
        while (true)
        {
            if (frames.Count >= maxDepth) { stop = $"stopped at the depth limit of {maxDepth} frames"; break; }
            var step = Step(frames[^1], regs, exact, stack, atSyscall);
            if (step.Cfa is { } cfa) frames[^1].Cfa = cfa;
            if (step.Next is not { } next) { stop = step.Stop!; break; }
            Return(regs);
            regs = step.Registers!;
            exact = step.NextPcExact;
            frames.Add(MakeFrame(frames.Count, next.Pc, next.Sp, next.Trust, regs, exact, step.Note, frameRegisters));
            if (step.MarkSignalFrame) frames[^2] = frames[^2] with { IsSignalFrame = true };
        }
        Return(regs);
        return new StackWalk(frames.ToArray(), stop);
    }

    // The frames of the walk under way, copied out whole when it ends: a list grown frame by frame
    // per thread left three discarded arrays behind each of ten thousand walks.
    private readonly List<StackFrame> walking = [];

    private StackFrame MakeFrame(int index, ulong pc, ulong sp, FrameTrust trust, RegisterSet regs, bool exactPc, string? note, bool keepRegisters)
    {
        ulong lookup = exactPc ? pc : pc - 1;
        var module = code.FindModule(lookup);
        bool trampoline = code.SignalTrampoline is { } t && t.Contains(pc);
        var saved = RecoveredRegisters.Empty;
        if (keepRegisters)
            foreach (int r in DwarfRegisters.CalleeSaved)
                if (regs.Known(r))
                {
                    if (saved.Count == 0) saved = new RecoveredRegisters();
                    saved.Add(r, regs[r], regs.Origin(r));
                }
        return new StackFrame(index, pc, sp, trust, module, module?.FunctionAt(lookup), trampoline, saved) { Note = note };
    }

    private readonly record struct Candidate(ulong Pc, ulong Sp, FrameTrust Trust);

    private readonly record struct StepResult(Candidate? Next, RegisterSet? Registers, bool NextPcExact, string? Stop, ulong? Cfa = null,
        string? Note = null, bool MarkSignalFrame = false);

    private StepResult Step(StackFrame frame, RegisterSet regs, bool exact, AddressRange? stack, bool atSyscall)
    {
        if (code.SignalTrampoline is { } page && page.Contains(frame.Pc)) return SignalStep(frame, page);

        // Reasons a method failed, made only when one does: most frames are found by CFI at once.
        List<string>? failures = null;
        ulong lookup = exact ? frame.Pc : frame.Pc - 1;
        ulong? cfaSeen = null;
        // Whether the frame's own code was read: without it, nothing can tell whether it set up a frame.
        bool codeKnown = false;

        // 1. Call-frame information; 2. for code without it, a plan made from the function's instructions.
        var module = code.FindModule(lookup);
        if (module is null)
            (failures ??= []).Add(code.MappedFileAt(lookup) is { } file
                ? $"cfi: 0x{lookup:x} is in {file}, whose file was not available (give --sysroot or --binary)"
                : $"cfi: 0x{lookup:x} is in no known module");
        else
        {
            var row = module.FindRow(lookup);
            var trust = FrameTrust.Cfi;
            if (row.Value is null)
            {
                (failures ??= []).Add($"cfi: {row.Error}");
                if (module.FunctionAt(lookup) is { Source: "symbol" } function)
                {
                    row = module.PlanByInstructions(function, frame.Pc);
                    trust = FrameTrust.Prologue;
                    if (row.Value is null) failures.Add($"instructions: {row.Error}");
                }
                else failures.Add($"instructions: no symbol gives the start of the function at 0x{lookup:x}");
            }
            if (row.Value is { } r)
            {
                codeKnown = true;
                var cfi = CfiStep(r, regs);
                cfaSeen = cfi.Cfa;
                if (cfi.Stop is { } end) return new StepResult(null, null, false, end, cfaSeen);
                string label = trust == FrameTrust.Cfi ? "cfi" : "instructions";
                if (cfi.Failure is { } why) (failures ??= []).Add($"{label}: {why}");
                else
                {
                    var check = Check(cfi.Pc, cfi.Sp, frame.Sp);
                    if (check.End is { } stop) { Return(cfi.Registers!); return new StepResult(null, null, false, stop, cfaSeen); }
                    // A plan made from instructions is a reading of the code, not the compiler's word:
                    // the return address it finds must follow a call to this function when that code is known.
                    if (check.Rejection is null && trust == FrameTrust.Prologue && !CallerConfirms(cfi.Pc, module.FunctionAt(lookup), out string denial))
                        check = (null, denial);
                    if (check.Rejection is null)
                        return new StepResult(new Candidate(cfi.Pc, cfi.Sp, trust), cfi.Registers, r.IsSignalFrame, null, cfaSeen,
                            Note: trust == FrameTrust.Prologue ? $"{string.Join("; ", failures ?? [])}; instructions: {r.Cfa} from {module.FunctionAt(lookup)?.Name}'s code" : null,
                            MarkSignalFrame: r.IsSignalFrame);
                    Return(cfi.Registers!);
                    (failures ??= []).Add($"{label}: {check.Rejection}");
                }
            }
        }

        // 3. Frame 0 whose code is unknown: a syscall stub, or else perhaps a frameless leaf.
        if (frame.Index == 0 && !codeKnown)
        {
            var top = TopOfStackStep(frame, regs, atSyscall);
            if (top.Failure is { } topWhy) (failures ??= []).Add(topWhy);
            else
            {
                var check = Check(top.Pc, top.Sp, frame.Sp);
                if (check.Rejection is null && check.End is null)
                    return new StepResult(new Candidate(top.Pc, top.Sp, atSyscall ? FrameTrust.SyscallStub : FrameTrust.Frameless), top.Registers, false, null, cfaSeen,
                        Note: string.Join("; ", (failures ?? []).Append(top.Note!)));
                Return(top.Registers!);
                (failures ??= []).Add($"{(atSyscall ? "syscall stub" : "frameless")}: {check.End ?? check.Rejection}");
            }
        }

        // 4. Frame pointer.
        var fp = FramePointerStep(frame, regs, stack);
        if (fp.Failure is { } fpWhy) (failures ??= []).Add($"frame pointer: {fpWhy}");
        else
        {
            var check = Check(fp.Pc, fp.Sp, frame.Sp);
            if (check.End is { } stop) { Return(fp.Registers!); return new StepResult(null, null, false, stop, cfaSeen); }
            if (check.Rejection is null)
                return new StepResult(new Candidate(fp.Pc, fp.Sp, FrameTrust.FramePointer), fp.Registers, false, null, cfaSeen,
                    Note: string.Join("; ", failures ?? []));
            Return(fp.Registers!);
            (failures ??= []).Add($"frame pointer: {check.Rejection}");
        }

        // 5. Validated scan.
        var scan = ScanStep(frame, regs, lookup);
        if (scan.Failure is { } scanWhy) (failures ??= []).Add($"scan: {scanWhy}");
        else
            return new StepResult(new Candidate(scan.Pc, scan.Sp, FrameTrust.Scan), scan.Registers, false, null, cfaSeen,
                Note: string.Join("; ", (failures ?? []).Append(scan.Note!)));

        return new StepResult(null, null, false, string.Join("; ", failures ?? []), cfaSeen);
    }

    /// <summary>Whether the code before <paramref name="returnAddress"/> is a call to <paramref name="callee"/>, or cannot be read.</summary>
    private bool CallerConfirms(ulong returnAddress, FunctionRange? callee, out string denial)
    {
        Span<byte> before = stackalloc byte[2];
        denial = "";
        if (ReadCode(returnAddress - 2, before) != 2 || FollowsCall(returnAddress, callee, out string why)) return true;
        denial = $"the return address 0x{returnAddress:x} does not follow a call to this function: {why}";
        return false;
    }

    /// <summary>
    /// Frame 0 without its code: the return address taken from the word at rsp. At a system call
    /// this is FreeBSD's libc stub (lib/libc/amd64/SYS.h: <c>mov $N,%eax; mov %rcx,%r10; syscall</c>,
    /// no push, no frame). Elsewhere it is a guess that frame 0 is a frameless leaf, made only when
    /// rbp does not equal rsp (equal, the frame had just run <c>push %rbp; mov %rsp,%rbp</c>, so the
    /// word at rsp is the saved rbp) and the word points into code; the note says it is unverified.
    /// Either way the word must follow a call instruction when the caller's code is known.
    /// </summary>
    private MethodResult TopOfStackStep(StackFrame frame, RegisterSet regs, bool atSyscall)
    {
        string method = atSyscall ? "syscall stub" : "frameless";
        if (!atSyscall && regs.Known(DwarfRegisters.Rbp) && regs[DwarfRegisters.Rbp] == frame.Sp)
            return MethodResult.Fail($"{method}: rbp = rsp, so frame 0 had just set up a frame (push rbp; mov rbp, rsp)");
        if (!memory.TryReadUInt64(frame.Sp, out ulong ra))
            return MethodResult.Fail($"{method}: the word at rsp 0x{frame.Sp:x} is unreadable: {memory.Explain(frame.Sp)}");
        if (!IsCode(ra) && code.MappedFileAt(ra) is null)
            return MethodResult.Fail($"{method}: the word at rsp, 0x{ra:x}, is not in the code of any module");
        string where;
        Span<byte> before = stackalloc byte[2];
        if (ReadCode(ra - 2, before) == 2)
        {
            if (!FollowsCall(ra, null, out string why)) return MethodResult.Fail($"{method}: the word at rsp, 0x{ra:x}: {why}");
            where = $"follows {why}";
        }
        else where = $"is in {code.FindModule(ra)?.Name ?? code.MappedFileAt(ra)}, whose code is not available to confirm a call before it";

        var next = Rent();
        next.Set(DwarfRegisters.ReturnAddress, ra, $"the word at rsp 0x{frame.Sp:x}");
        next.Set(DwarfRegisters.Rsp, frame.Sp + 8, "rsp+8");
        foreach (int r in DwarfRegisters.CalleeSaved)
            if (regs.Known(r)) next.Set(r, regs[r], atSyscall ? "unchanged (a syscall stub saves nothing)" : "carried over (assumed frameless)");
        string note = atSyscall
            ? $"syscall stub: frame 0 is at a system call and its code is not available; FreeBSD's libc stubs (SYS.h) push nothing, so the return address is the word at rsp (0x{ra:x}, which {where})"
            : $"frameless: frame 0's code is not available, so whether it had set up a frame is unknown; taken as a frameless leaf because the word at rsp (0x{ra:x}) {where}. If frame 0 had set up a frame, this frame is not real and the next one is frame 0's caller";
        return new MethodResult(ra, frame.Sp + 8, next, null, Note: note);
    }

    private (string? End, string? Rejection) Check(ulong pc, ulong sp, ulong previousSp)
    {
        if (pc == 0) return ("the return address is 0: end of the stack", null);
        if (sp <= previousSp) return (null, $"the stack pointer does not increase (0x{previousSp:x} → 0x{sp:x})");
        if (!IsCode(pc) && !code.IsExecutable(pc)) return (null, $"the return address 0x{pc:x} is outside every executable mapping");
        return (null, null);
    }

    private bool IsCode(ulong pc) => code.FindModule(pc) is not null || (code.SignalTrampoline is { } t && t.Contains(pc));

    // ---------------------------------------------------------------- CFI

    private readonly record struct MethodResult(ulong Pc, ulong Sp, RegisterSet? Registers, string? Failure, string? Stop = null, ulong? Cfa = null, string? Note = null)
    {
        public static MethodResult Fail(string why, ulong? cfa = null) => new(0, 0, null, why, null, cfa);
    }

    private MethodResult CfiStep(CfiRow row, RegisterSet regs)
    {
        ulong cfa;
        if (row.Cfa.Kind == CfaRuleKind.RegisterOffset)
        {
            if (!regs.Known(row.Cfa.Register)) return MethodResult.Fail($"the CFA register {DwarfRegisters.Name(row.Cfa.Register)} is not known in this frame");
            cfa = unchecked(regs[row.Cfa.Register] + (ulong)row.Cfa.Offset);
        }
        else
        {
            var e = DwarfExpression.Evaluate(row.Cfa.Expression.Span, new ExpressionContext(regs, memory, null));
            if (!e.IsSuccess) return MethodResult.Fail($"CFA expression: {e.Error}");
            cfa = e.Value;
        }

        int raColumn = row.ReturnAddressRegister;
        if ((uint)raColumn >= DwarfRegisters.Count)
            return MethodResult.Fail($"return address column {raColumn} is not an x86-64 general register", cfa);
        var rules = row.GeneralRules;
        if (rules[raColumn] is null) return MethodResult.Fail("the CFI has no rule for the return address", cfa);
        var next = Rent();
        ulong ra = 0;
        for (int r = 0; r < rules.Length; r++)
        {
            if (rules[r] is not { } rule)
            {
                if (r == DwarfRegisters.Rsp) next.Set(r, cfa, "CFA");
                else if (IsCalleeSaved(r) && regs.Known(r)) next.Set(r, regs[r], "unchanged (no CFI rule)");
                continue;
            }
            var value = Recover(rule, r, cfa, regs, out RegisterOrigin source);
            if (value is null)
            {
                if (r != raColumn) continue;
                Return(next);
                if (rule.Kind == RegisterRuleKind.Undefined)
                    return new MethodResult(0, 0, null, null, "the CFI marks the return address undefined: outermost frame", cfa);
                return MethodResult.Fail($"return address: {source}", cfa);
            }
            next.Set(r, value.Value, source);
            if (r == raColumn) ra = value.Value;
        }
        if (!next.Known(DwarfRegisters.Rsp)) next.Set(DwarfRegisters.Rsp, cfa, "CFA");
        return new MethodResult(ra, next[DwarfRegisters.Rsp], next, null, null, cfa);
    }

    private ulong? Recover(RegisterRule rule, int register, ulong cfa, RegisterSet regs, out RegisterOrigin source)
    {
        switch (rule.Kind)
        {
            case RegisterRuleKind.Undefined:
                source = "undefined in the CFI";
                return null;
            case RegisterRuleKind.SameValue:
                source = "unchanged (same-value rule)";
                return regs.Known(register) ? regs[register] : Unknown(out source, $"{DwarfRegisters.Name(register)} is not known in the frame below");
            case RegisterRuleKind.Offset:
                {
                    ulong at = unchecked(cfa + (ulong)rule.Offset);
                    if (!memory.TryReadUInt64(at, out ulong v))
                        return Unknown(out source, $"the slot at 0x{at:x} (CFA{rule.Offset:+0;-0;+0}) is unreadable: {memory.Explain(at)}");
                    source = RegisterOrigin.SavedAtCfa(at, rule.Offset);
                    return v;
                }
            case RegisterRuleKind.ValOffset:
                source = RegisterOrigin.CfaPlus(rule.Offset);
                return unchecked(cfa + (ulong)rule.Offset);
            case RegisterRuleKind.Register:
                source = $"copied from {DwarfRegisters.Name(rule.Register)}";
                return regs.Known(rule.Register) ? regs[rule.Register] : Unknown(out source, $"{DwarfRegisters.Name(rule.Register)} is not known in the frame below");
            case RegisterRuleKind.Expression:
            case RegisterRuleKind.ValExpression:
                {
                    var e = DwarfExpression.Evaluate(rule.Expression.Span, new ExpressionContext(regs, memory, cfa), cfa);
                    if (!e.IsSuccess) return Unknown(out source, $"expression: {e.Error}");
                    if (rule.Kind == RegisterRuleKind.ValExpression || e.InRegister is not null)
                    {
                        source = "value of a CFI expression";
                        return e.Value;
                    }
                    if (!memory.TryReadUInt64(e.Value, out ulong v))
                        return Unknown(out source, $"the slot at 0x{e.Value:x} (CFI expression) is unreadable: {memory.Explain(e.Value)}");
                    source = $"saved at 0x{e.Value:x} (CFI expression)";
                    return v;
                }
            default:
                source = "unknown rule";
                return null;
        }
    }

    private static ulong? Unknown(out RegisterOrigin source, string why)
    {
        source = why;
        return null;
    }

    private static bool IsCalleeSaved(int register) => register is >= 0 and < 64 && (CalleeSavedMask & (1UL << register)) != 0;

    private static readonly ulong CalleeSavedMask = Mask(DwarfRegisters.CalleeSaved);

    private static ulong Mask(ReadOnlySpan<int> registers)
    {
        ulong mask = 0;
        foreach (int r in registers) mask |= 1UL << r;
        return mask;
    }

    // ---------------------------------------------------------------- frame pointer

    private MethodResult FramePointerStep(StackFrame frame, RegisterSet regs, AddressRange? stack)
    {
        if (!regs.Known(DwarfRegisters.Rbp)) return MethodResult.Fail("rbp is not known in this frame");
        ulong rbp = regs[DwarfRegisters.Rbp];
        if (stack is not { } s) return MethodResult.Fail("the stack pointer is in no mapped region");
        if (rbp < frame.Sp || (rbp & 7) != 0 || !s.Contains(rbp) || rbp > s.End - 16)
            return MethodResult.Fail($"rbp 0x{rbp:x} does not point into the stack above rsp 0x{frame.Sp:x}");
        if (!memory.TryReadUInt64(rbp, out ulong savedRbp)) return MethodResult.Fail($"the saved rbp at 0x{rbp:x} is unreadable: {memory.Explain(rbp)}");
        if (!memory.TryReadUInt64(rbp + 8, out ulong ra)) return MethodResult.Fail($"return address at 0x{rbp + 8:x} is unreadable: {memory.Explain(rbp + 8)}");
        var next = Rent();
        next.Set(DwarfRegisters.Rbp, savedRbp, $"saved at 0x{rbp:x} ([rbp])");
        next.Set(DwarfRegisters.Rsp, rbp + 16, "rbp+16");
        next.Set(DwarfRegisters.ReturnAddress, ra, $"return address at 0x{rbp + 8:x} ([rbp+8])");
        return new MethodResult(ra, rbp + 16, next, null);
    }

    // ---------------------------------------------------------------- scan

    private MethodResult ScanStep(StackFrame frame, RegisterSet regs, ulong lookup)
    {
        if (memory.RegionOf(frame.Sp) is not { } region) return MethodResult.Fail($"the stack pointer 0x{frame.Sp:x} is in no mapped region");
        var callee = code.FindModule(lookup)?.FunctionAt(lookup);
        ulong start = (frame.Sp + 7) & ~7UL;
        ulong end = Math.Min(region.End, start + ScanWords * 8UL);
        string? lastRejection = null;
        int rejected = 0;
        for (ulong slot = start; slot + 8 <= end && slot >= start; slot += 8)
        {
            if (!memory.TryReadUInt64(slot, out ulong candidate))
                return MethodResult.Fail($"stack word at 0x{slot:x} is unreadable: {memory.Explain(slot)}" + Rejections(rejected, lastRejection));
            if (!IsCode(candidate)) continue;
            if (!FollowsCall(candidate, callee, out string why)) { rejected++; lastRejection = $"0x{candidate:x} at 0x{slot:x}: {why}"; continue; }

            var next = Rent();
            next.Set(DwarfRegisters.ReturnAddress, candidate, $"stack word at 0x{slot:x}");
            next.Set(DwarfRegisters.Rsp, slot + 8, "scan");
            // rbp: if the callee set up a frame right below the return address, the saved rbp sits there;
            // if rbp points above the slot, the callee did not change it; otherwise it is lost.
            if (regs.Known(DwarfRegisters.Rbp))
            {
                ulong rbp = regs[DwarfRegisters.Rbp];
                if (rbp == slot - 8 && memory.TryReadUInt64(rbp, out ulong saved)) next.Set(DwarfRegisters.Rbp, saved, $"saved at 0x{rbp:x} (frame pointer below the return address)");
                else if (rbp > slot) next.Set(DwarfRegisters.Rbp, rbp, "carried over (unverified)");
            }
            foreach (int r in DwarfRegisters.CalleeSaved)
                if (r != DwarfRegisters.Rbp && regs.Known(r)) next.Set(r, regs[r], "carried over (unverified)");
            return new MethodResult(candidate, slot + 8, next, null, Note: $"scan: 0x{candidate:x} at 0x{slot:x} follows {why}");
        }
        return MethodResult.Fail($"no return address in 0x{start:x}..0x{end:x}" + Rejections(rejected, lastRejection));
    }

    private static string Rejections(int count, string? last) => count == 0 ? "" : $" ({count} candidates rejected, last: {last})";

    /// <summary>
    /// Whether the bytes before <paramref name="returnAddress"/> end with a call instruction:
    /// E8 rel32 (5 bytes) or FF /2 (2–7 bytes, 8 with a REX prefix). A direct call must target
    /// <paramref name="callee"/> (the function of the frame below), possibly through a PLT stub.
    /// </summary>
    private bool FollowsCall(ulong returnAddress, FunctionRange? callee, out string why)
    {
        const int Window = 8;
        var bytes = new byte[Window];
        int got = ReadCode(returnAddress - Window, bytes);
        if (got != Window)
        {
            // Code near the start of a segment: read what precedes the return address, byte by byte.
            got = 0;
            for (int k = 1; k <= Window; k++)
            {
                if (ReadCode(returnAddress - (ulong)k, bytes.AsSpan(Window - k, 1)) != 1) break;
                got = k;
            }
        }
        if (got < 2) { why = "the code before it is unavailable"; return false; }

        if (got >= 5 && Decode(bytes, Window - 5, 5, returnAddress - 5) is { FlowControl: FlowControl.Call } direct)
        {
            ulong target = direct.NearBranchTarget;
            if (callee is null) { why = $"a direct call to 0x{target:x}"; return true; }
            if (callee.Contains(target)) { why = $"a direct call to 0x{target:x} in {Describe(callee)}"; return true; }
            if (ThroughPlt(target) is { } final && callee.Contains(final))
            {
                why = $"a call to 0x{target:x}, a PLT stub for 0x{final:x} in {Describe(callee)}";
                return true;
            }
            why = $"a direct call to 0x{target:x}, outside {Describe(callee)}";
            return false;
        }
        for (int k = 2; k <= Math.Min(got, Window); k++)
        {
            if (Decode(bytes, Window - k, k, returnAddress - (ulong)k) is { FlowControl: FlowControl.IndirectCall })
            {
                why = $"an indirect call ({k} bytes)";
                return true;
            }
        }
        why = "no call instruction ends there";
        return false;
    }

    private static string Describe(FunctionRange f) => f.Name is { } n ? $"{n} [0x{f.Start:x}, 0x{f.End:x})" : $"the function [0x{f.Start:x}, 0x{f.End:x}) ({f.Source})";

    /// <summary>Decodes one instruction of exactly <paramref name="length"/> bytes, or null.</summary>
    private static Instruction? Decode(byte[] bytes, int offset, int length, ulong ip)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes, offset, length), ip, DecoderOptions.None);
        decoder.Decode(out var instruction);
        return instruction.IsInvalid || instruction.Length != length ? null : instruction;
    }

    /// <summary>When <paramref name="target"/> is a PLT stub (<c>[endbr64;] jmp *slot(%rip)</c>), the address its GOT slot holds.</summary>
    private ulong? ThroughPlt(ulong target)
    {
        var bytes = new byte[16];
        int got = ReadCode(target, bytes);
        if (got < 6) return null;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes, 0, got), target, DecoderOptions.None);
        for (int i = 0; i < 2; i++)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) return null;
            if (ins.Mnemonic == Mnemonic.Endbr64) continue;
            if (ins.FlowControl == FlowControl.IndirectBranch && ins.IsIPRelativeMemoryOperand
                && memory.TryReadUInt64(ins.IPRelativeMemoryAddress, out ulong slot))
                return slot;
            return null;
        }
        return null;
    }

    /// <summary>Code bytes: from the module's image, or from memory for the signal trampoline.</summary>
    private int ReadCode(ulong address, Span<byte> destination)
    {
        if (code.FindModule(address) is { } m)
        {
            int got = m.ReadCode(address, destination);
            if (got > 0) return got;
        }
        return memory.Read(address, destination);
    }

    // ---------------------------------------------------------------- signal trampoline

    // FreeBSD amd64 sigcode (sys/amd64/amd64/sigtramp.S, as recalled; gdb's amd64fbsd-tdep.c
    // matches the same bytes): after "call *SIGF_HANDLER(%rsp)" the handler returns to
    //   lea SIGF_UC(%rsp),%rdi   48 8d 7c 24 10   (SIGF_UC = 0x10)
    //   pushq $0                 6a 00
    //   mov $SYS_sigreturn,%rax  48 c7 c0 a1 01 00 00   (SYS_sigreturn = 417)
    //   syscall                  0f 05
    private static ReadOnlySpan<byte> SigcodeAfterCall => [0x48, 0x8d, 0x7c, 0x24, 0x10, 0x6a, 0x00, 0x48, 0xc7, 0xc0, 0xa1, 0x01, 0x00, 0x00, 0x0f, 0x05];

    /// <summary>
    /// Offsets in <c>struct sigframe</c> and <c>mcontext_t</c> for FreeBSD amd64, as recalled
    /// from sys/amd64/include/sigframe.h and sys/x86/include/ucontext.h (not checked against a
    /// real core: none in the corpus was taken inside a handler):
    /// struct sigframe { sf_ahu (8 bytes); [8 bytes padding: ucontext_t is 16-byte aligned
    /// because mcontext_t's mc_fpstate is __aligned(16)]; ucontext_t sf_uc at 16 (= SIGF_UC, the
    /// 0x10 in the sigcode's lea); siginfo_t sf_si; }.
    /// ucontext_t { __sigset_t uc_sigmask (16 bytes); mcontext_t uc_mcontext at 16; … }.
    /// mcontext_t: mc_onstack 0, mc_rdi 8, mc_rsi 16, mc_rdx 24, mc_rcx 32, mc_r8 40, mc_r9 48,
    /// mc_rax 56, mc_rbx 64, mc_rbp 72, mc_r10 80, mc_r11 88, mc_r12 96, mc_r13 104, mc_r14 112,
    /// mc_r15 120, mc_trapno(4) 128 + mc_fs(2) 132 + mc_gs(2) 134, mc_addr 136,
    /// mc_flags(4) 144 + mc_es(2) 148 + mc_ds(2) 150, mc_err 152, mc_rip 160, mc_cs 168,
    /// mc_rflags 176, mc_rsp 184, mc_ss 192.
    /// </summary>
    public static class SigframeLayout
    {
        public const int UcontextOffset = 16, McontextInUcontext = 16, McontextOffset = UcontextOffset + McontextInUcontext;
        public const int McOnstack = 0, McRip = 160, McRsp = 184, McontextBytes = 200;

        /// <summary>mcontext_t offsets of the general registers, by DWARF register number (0 rax … 15 r15).</summary>
        public static ReadOnlySpan<int> GeneralRegisterOffsets =>
            [56 /*rax*/, 24 /*rdx*/, 32 /*rcx*/, 64 /*rbx*/, 16 /*rsi*/, 8 /*rdi*/, 72 /*rbp*/, 184 /*rsp*/,
             40 /*r8*/, 48 /*r9*/, 80 /*r10*/, 88 /*r11*/, 96 /*r12*/, 104 /*r13*/, 112 /*r14*/, 120 /*r15*/];
    }

    private StepResult SignalStep(StackFrame frame, AddressRange page)
    {
        ulong sigframe = frame.Sp;
        string note = "sigframe at the trampoline's stack pointer";
        // When the trampoline already ran "pushq $0" (a thread stopped in sigreturn), the sigframe is one word up.
        var pageBytes = new byte[Math.Min(page.End - page.Start, 0x2000UL)];
        int got = memory.Read(page.Start, pageBytes);
        int at = pageBytes.AsSpan(0, got).IndexOf(SigcodeAfterCall);
        if (at >= 0)
        {
            ulong lea = page.Start + (ulong)at;
            if (frame.Pc >= lea + 7) { sigframe += 8; note = "sigframe one word above the stack pointer (after pushq $0)"; }
        }
        else note += got == 0 ? " (sigcode bytes not in the core; assumed the handler just returned)" : " (sigcode pattern not found; assumed the handler just returned)";

        ulong mc = sigframe + SigframeLayout.McontextOffset;
        var raw = new byte[SigframeLayout.McontextBytes];
        if (memory.Read(mc, raw) != raw.Length)
            return new StepResult(null, null, false, $"the signal frame's mcontext at 0x{mc:x} is unreadable: {memory.Explain(mc)}");
        var next = Rent();
        var offsets = SigframeLayout.GeneralRegisterOffsets;
        for (int r = 0; r < offsets.Length; r++)
            next.Set(r, BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(offsets[r])), $"sigframe mcontext at 0x{mc + (ulong)offsets[r]:x}");
        ulong pc = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(SigframeLayout.McRip));
        ulong sp = next[DwarfRegisters.Rsp];
        bool onAltStack = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(SigframeLayout.McOnstack)) != 0;
        next.Set(DwarfRegisters.ReturnAddress, pc, $"sigframe mcontext at 0x{mc + SigframeLayout.McRip:x}");
        if (pc == 0) { Return(next); return new StepResult(null, null, false, "the signal frame's saved rip is 0"); }
        // On an alternate signal stack the interrupted stack may lie below the handler's.
        if (!onAltStack && sp <= frame.Sp)
        {
            Return(next);
            return new StepResult(null, null, false, $"the signal frame's saved rsp 0x{sp:x} is not above the trampoline's 0x{frame.Sp:x}");
        }
        return new StepResult(new Candidate(pc, sp, FrameTrust.SignalContext), next, true, null, Note: note, MarkSignalFrame: true);
    }

    // ---------------------------------------------------------------- registers

    // Register sets of finished frames, for the next ones: every frame needs one only while it is
    // stepped from (its frame keeps a copy of the callee-saved registers), and tens of thousands of
    // frames would otherwise allocate as many. Hence an unwinder serves one thread at a time.
    private readonly Stack<RegisterSet> spare = new();

    private RegisterSet Rent() => spare.TryPop(out var set) ? set.Cleared() : new RegisterSet();

    private void Return(RegisterSet set) => spare.Push(set);

    /// <summary>Values of DWARF registers 0–16 in one frame, each with its source; unknown ones are absent.</summary>
    private sealed class RegisterSet
    {
        public RegisterSet Cleared()
        {
            sources = default;
            return this;
        }

        // Inline: one object per frame rather than an object and two arrays.
        private Values values;
        private Sources sources;

        [System.Runtime.CompilerServices.InlineArray(DwarfRegisters.Count)]
        private struct Values { private ulong first; }

        [System.Runtime.CompilerServices.InlineArray(DwarfRegisters.Count)]
        private struct Sources { private RegisterOrigin first; }

        public ulong this[int register] => values[register];
        public bool Known(int register) => register is >= 0 and < DwarfRegisters.Count && sources[register].IsKnown;
        public RegisterOrigin Origin(int register) => Known(register) ? sources[register] : default;

        public void Set(int register, ulong value, RegisterOrigin source)
        {
            if (register is < 0 or >= DwarfRegisters.Count) return;
            values[register] = value;
            sources[register] = source;
        }
    }

    private sealed class ExpressionContext(RegisterSet regs, IStackMemory memory, ulong? cfa) : IDwarfExpressionContext
    {
        public ulong? Cfa => cfa;

        public bool TryGetRegister(int dwarfRegister, out ulong value)
        {
            value = regs.Known(dwarfRegister) ? regs[dwarfRegister] : 0;
            return regs.Known(dwarfRegister);
        }

        public bool TryReadMemory(ulong address, int size, out ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            b.Clear();
            value = 0;
            if (size is < 1 or > 8 || memory.Read(address, b[..size]) != size) return false;
            value = BinaryPrimitives.ReadUInt64LittleEndian(b);
            return true;
        }
    }
}
