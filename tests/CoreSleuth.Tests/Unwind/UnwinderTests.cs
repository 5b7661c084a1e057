using CoreSleuth.Analysis.Unwind;
using Iced.Intel;
using static CoreSleuth.Analysis.Unwind.DwarfRegisters;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// Walks over hand-built stacks whose code is libc.so.7's real code. Expected frames follow from
/// the x86-64 instructions the test decoded itself (push/mov prologues, call sites), not from
/// the unwinder's CFI.
/// </summary>
public sealed class UnwinderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly Lazy<LibcCode> Libc = new(() => new LibcCode());

    private const ulong StackBase = 0x7fffffffc000, StackTop = 0x7fffffffe000, S = 0x7fffffffd000;

    private static (FakeMemory Memory, byte[] Stack) NewStack()
    {
        var memory = new FakeMemory();
        return (memory, memory.Add(StackBase, (int)(StackTop - StackBase)));
    }

    private static Dictionary<int, ulong> Context(ulong rip, ulong rsp, ulong rbp, ulong rbx = 0x1111) =>
        new() { [ReturnAddress] = rip, [Rsp] = rsp, [Rbp] = rbp, [Rbx] = rbx, [R12] = 0x1212, [Rax] = 0xaaaa };

    /// <summary>
    /// Frame 0 just executed the callee's "push %rbp" (CFA = rsp+16, return address at rsp+8);
    /// frame 1 is in the caller's body (CFA = rbp+16, its prologue saved rbx 0xb0b at a known
    /// slot); frame 2, the same call site again, ends the walk with a zero return address.
    /// </summary>
    private static (FakeMemory Memory, ulong P0, ulong Rbp1, ulong Rbp2, ulong RbxSlot) CallerCalleeStack(LibcCode libc)
    {
        var (memory, _) = NewStack();
        ulong p0 = libc.Callee.Start + 1, rbp1 = S + 0x100, rbp2 = S + 0x200;
        memory.Write64(S, rbp1);
        memory.Write64(S + 8, libc.ReturnToCaller);
        memory.Write64(rbp1, rbp2);
        memory.Write64(rbp1 + 8, libc.ReturnToCaller);
        ulong rbxSlot = (ulong)((long)rbp1 + 16 + libc.Caller.SlotOf(Register.RBX));
        memory.Write64(rbxSlot, 0xb0b);
        memory.Write64(rbp2, 0);
        memory.Write64(rbp2 + 8, 0);
        return (memory, p0, rbp1, rbp2, rbxSlot);
    }

    [CorpusFact]
    public void Walks_by_cfi_and_recovers_callee_saved_registers()
    {
        var libc = Libc.Value;
        var (memory, p0, rbp1, rbp2, rbxSlot) = CallerCalleeStack(libc);

        var walk = new Unwinder(memory, new FakeCode([libc.WithCfi])).Walk(Context(p0, S, rbp: 0x5555));

        Show(walk);
        Assert.Equal(3, walk.Frames.Count);
        var (f0, f1, f2) = (walk.Frames[0], walk.Frames[1], walk.Frames[2]);
        Assert.Equal((p0, S, "context"), (f0.Pc, f0.Sp, f0.TrustLabel));
        Assert.Equal(S + 16, f0.Cfa);
        Assert.Equal(libc.Callee.Symbol.Name, f0.Function?.Name);

        Assert.Equal((libc.ReturnToCaller, S + 16, "cfi"), (f1.Pc, f1.Sp, f1.TrustLabel));
        Assert.Equal(libc.Caller.Symbol.Name, f1.Function?.Name);
        Assert.Equal(rbp1, f1.Register(Rbp)!.Value);
        Assert.Contains($"0x{S:x}", f1.Register(Rbp)!.Source);
        Assert.Equal(0x1111UL, f1.Register(Rbx)!.Value);  // the callee had not saved rbx yet: unchanged
        Assert.Equal(rbp1 + 16, f1.Cfa);

        Assert.Equal((libc.ReturnToCaller, rbp1 + 16, "cfi"), (f2.Pc, f2.Sp, f2.TrustLabel));
        Assert.Equal(rbp2, f2.Register(Rbp)!.Value);
        Assert.Equal(0xb0bUL, f2.Register(Rbx)!.Value);
        Assert.Contains($"0x{rbxSlot:x}", f2.Register(Rbx)!.Source);
        Assert.Contains("return address is 0", walk.StopReason);
    }

    [CorpusFact]
    public void Return_addresses_are_looked_up_one_byte_back()
    {
        // A call that ends its function returns to the next function's first byte: the caller's
        // CFI is found only by looking up the return address minus one.
        var libc = Libc.Value;
        var caller = Assert.IsType<CoreSleuth.Analysis.Modules.ElfSymbol>(libc.EndsWithCall);
        ulong ra = caller.Value + caller.Size + LibcCode.Bias;
        var (memory, _) = NewStack();
        memory.Write64(S + 8, ra);
        var walk = new Unwinder(memory, new FakeCode([libc.WithCfi])).Walk(Context(libc.Callee.Start + 1, S, rbp: 0));
        Show(walk);
        Assert.True(walk.Frames.Count >= 2, walk.StopReason);
        Assert.Equal((ra, "cfi"), (walk.Frames[1].Pc, walk.Frames[1].TrustLabel));
        Assert.Equal(caller.Name, walk.Frames[1].Function?.Name);
        Assert.NotEqual(caller.Name, libc.WithCfi.FunctionAt(ra)?.Name);
    }

    [CorpusFact]
    public void Walks_by_frame_pointer_without_cfi()
    {
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        ulong rbp0 = S + 0x40, rbp1 = S + 0x180;
        memory.Write64(rbp0, rbp1);
        memory.Write64(rbp0 + 8, libc.ReturnToCaller);
        memory.Write64(rbp1, 0);
        memory.Write64(rbp1 + 8, 0);

        var walk = new Unwinder(memory, new FakeCode([libc.WithoutCode])).Walk(Context(libc.Callee.BodyStart, S, rbp0));

        Show(walk);
        Assert.Equal(2, walk.Frames.Count);
        var f1 = walk.Frames[1];
        Assert.Equal((libc.ReturnToCaller, rbp0 + 16, "frame-pointer"), (f1.Pc, f1.Sp, f1.TrustLabel));
        Assert.Contains("frameless: the word at rsp, 0x0, is not in the code", f1.Note);
        Assert.Equal(rbp1, f1.Register(Rbp)!.Value);
        Assert.Contains("PT_GNU_EH_FRAME", f1.Note);
        Assert.Contains("return address is 0", walk.StopReason);
        Assert.Equal(["rbp"], f1.Registers.Select(r => r.Name)); // the rbp chain recovers rbp alone
    }

    [CorpusFact]
    public void Without_cfi_the_functions_instructions_give_the_frames_the_cfi_gives()
    {
        // The stack of Walks_by_cfi_and_recovers_callee_saved_registers, walked once with libc's
        // CFI and once with its code alone: the same frames, the same recovered rbx.
        var libc = Libc.Value;
        var (memory, p0, _, _, _) = CallerCalleeStack(libc);

        var byCfi = new Unwinder(memory, new FakeCode([libc.WithCfi])).Walk(Context(p0, S, rbp: 0x5555));
        var byCode = new Unwinder(memory, new FakeCode([libc.WithoutCfi])).Walk(Context(p0, S, rbp: 0x5555));

        Show(byCode);
        Assert.Equal(3, byCode.Frames.Count);
        Assert.Equal(byCfi.Frames.Select(f => (f.Pc, f.Sp)), byCode.Frames.Select(f => (f.Pc, f.Sp)));
        Assert.Equal(byCfi.Frames[1].Registers.Select(r => (r.Name, r.Value)), byCode.Frames[1].Registers.Select(r => (r.Name, r.Value)));
        Assert.Contains("instructions: rsp+16 from", byCode.Frames[1].Note);
        // Frame 2 repeats the caller's call site, which calls the callee, not the caller itself: a plan
        // from instructions is checked against the call before its return address (CFI is not), so the
        // rbp chain finds that frame instead.
        Assert.Equal(["context", "prologue", "frame-pointer"], byCode.Frames.Select(f => f.TrustLabel));
        Assert.Contains("does not follow a call to this function", byCode.Frames[2].Note);
    }

    [CorpusFact]
    public void Frame_0_at_a_system_call_without_code_returns_to_the_word_at_rsp()
    {
        // FreeBSD's libc stubs push nothing (SYS.h): the return address is at rsp, and rbp still
        // belongs to the caller, whose frame pointer then leads on. The frame-pointer step alone
        // would take [rbp+8] and drop the stub's caller.
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        ulong rbp1 = S + 0x100;
        memory.Write64(S, libc.ReturnToCaller);        // the stub's return address, into the caller (callee's body: a call site)
        memory.Write64(rbp1, 0);
        memory.Write64(rbp1 + 8, libc.ReturnFromOtherCall);
        var code = new FakeCode([libc.WithoutCode]);

        var walk = new Unwinder(memory, code).Walk(Context(libc.Callee.BodyStart, S, rbp1), atSyscall: true);

        Show(walk);
        Assert.Equal([libc.Callee.BodyStart, libc.ReturnToCaller, libc.ReturnFromOtherCall], walk.Frames.Select(f => f.Pc));
        Assert.Equal(["context", "syscall-stub", "frame-pointer"], walk.Frames.Select(f => f.TrustLabel));
        Assert.Equal(S + 8, walk.Frames[1].Sp);
        Assert.Contains("SYS.h", walk.Frames[1].Note);
        Assert.Equal(rbp1, walk.Frames[1].Register(Rbp)!.Value);

        // Not at a system call, the same stack is read as a frameless leaf, and the note says it is a guess.
        var guessed = new Unwinder(memory, code).Walk(Context(libc.Callee.BodyStart, S, rbp1));
        Assert.Equal(walk.Frames.Select(f => f.Pc), guessed.Frames.Select(f => f.Pc));
        Assert.Equal("frameless", guessed.Frames[1].TrustLabel);
        Assert.Contains("whether it had set up a frame is unknown", guessed.Frames[1].Note);

        // rbp = rsp: frame 0 had just run push rbp; mov rbp,rsp, so the word at rsp is a saved rbp, not a return address.
        var (framed, _) = NewStack();
        framed.Write64(S, S + 0x100);
        framed.Write64(S + 8, libc.ReturnToCaller);
        framed.Write64(S + 0x100, 0);
        framed.Write64(S + 0x108, 0);
        var set = new Unwinder(framed, code).Walk(Context(libc.Callee.BodyStart, S, S));
        Assert.Equal([libc.Callee.BodyStart, libc.ReturnToCaller], set.Frames.Select(f => f.Pc));
        Assert.Equal("frame-pointer", set.Frames[1].TrustLabel);
        Assert.Contains("rbp = rsp", set.Frames[1].Note);
    }

    [CorpusFact]
    public void Register_sets_reused_from_frame_to_frame_and_walk_to_walk_keep_nothing_of_earlier_frames()
    {
        // An unwinder reuses the register set of a finished frame for a later one. The context knows
        // rbx and r12; a frame-pointer step knows only rbp, rsp and rip, so every frame after the
        // first reports rbp alone, in a first walk and in a second by the same unwinder.
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        ulong rbp0 = S + 0x40, rbp1 = S + 0x180, rbp2 = S + 0x300;
        memory.Write64(rbp0, rbp1);
        memory.Write64(rbp0 + 8, libc.ReturnToCaller);
        memory.Write64(rbp1, rbp2);
        memory.Write64(rbp1 + 8, libc.ReturnToCaller);
        memory.Write64(rbp2, 0);
        memory.Write64(rbp2 + 8, 0);
        var unwinder = new Unwinder(memory, new FakeCode([libc.WithoutCode]));
        var context = Context(libc.Callee.BodyStart, S, rbp0, rbx: 0xb0b);

        var first = unwinder.Walk(context);
        var second = unwinder.Walk(context);

        foreach (var walk in new[] { first, second })
        {
            Show(walk);
            Assert.Equal(3, walk.Frames.Count);
            Assert.Equal(["rbx", "rbp", "r12"], walk.Frames[0].Registers.Select(r => r.Name));
            Assert.Equal(["rbp"], walk.Frames[1].Registers.Select(r => r.Name));
            Assert.Equal(["rbp"], walk.Frames[2].Registers.Select(r => r.Name));
        }
    }

    [CorpusFact]
    public void Scan_accepts_only_return_addresses_after_a_call_to_the_callee()
    {
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        // A code address that follows no call: the callee's own entry point (preceded by padding or the previous function's end).
        ulong junk = libc.Callee.Start;
        Assert.False(AfterAnyCall(libc, junk), "test premise: the bytes before the callee's entry are not a call");
        memory.Write64(S, junk);
        memory.Write64(S + 8, libc.ReturnFromOtherCall);   // after a direct call to some other function
        memory.Write64(S + 16, libc.ReturnToCaller);       // after "call callee"

        // rbp below rsp: the frame-pointer method must refuse it.
        var walk = new Unwinder(memory, new FakeCode([libc.WithoutCfi])).Walk(Context(libc.Callee.Start + 1, S, rbp: S - 0x100));

        Show(walk);
        Assert.True(walk.Frames.Count >= 2, walk.StopReason);
        var f1 = walk.Frames[1];
        Assert.Equal((libc.ReturnToCaller, S + 24, "scan"), (f1.Pc, f1.Sp, f1.TrustLabel));
        Assert.Contains("does not point into the stack", f1.Note);
        Assert.Contains("direct call", f1.Note);
        // The callee's instructions put its return address at [S+8]: a return after a call to another function.
        Assert.Contains($"instructions: the return address 0x{libc.ReturnFromOtherCall:x} does not follow a call to this function", f1.Note);
        Assert.Equal(2, walk.Frames.Count);
        Assert.Contains("no return address", walk.StopReason);
    }

    [CorpusFact]
    public void Scan_rejects_a_direct_call_to_another_function()
    {
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        memory.Write64(S, libc.ReturnFromOtherCall);
        memory.Write64(S + 8, 0x1234);   // where the callee's instructions put the return address: not code
        var walk = new Unwinder(memory, new FakeCode([libc.WithoutCfi])).Walk(Context(libc.Callee.Start + 1, S, rbp: 0));
        Show(walk);
        var frame = Assert.Single(walk.Frames);
        Assert.Contains("outside " + libc.Callee.Symbol.Name, walk.StopReason);
        Assert.Equal("context", frame.TrustLabel);
    }

    [CorpusFact]
    public void Unreadable_return_address_stops_with_the_reason()
    {
        var libc = Libc.Value;
        var memory = new FakeMemory();
        ulong top = StackBase + 0x1000;
        memory.Add(StackBase, 0x1000);
        ulong rsp = top - 8;  // [rsp+8], the return address slot, lies past the end of what the core holds
        var walk = new Unwinder(memory, new FakeCode([libc.WithCfi])).Walk(Context(libc.Callee.Start + 1, rsp, rbp: 0));
        Show(walk);
        Assert.Single(walk.Frames);
        Assert.Contains($"0x{top:x} is not in the core", walk.StopReason);
    }

    [CorpusFact]
    public void Frame_pointer_loops_and_long_chains_are_bounded()
    {
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        // A self-referencing frame pointer: [rbp] = rbp.
        memory.Write64(S + 0x40, S + 0x40);
        memory.Write64(S + 0x48, libc.ReturnToCaller);
        var looping = new Unwinder(memory, new FakeCode([libc.WithoutCfi])).Walk(Context(libc.Callee.BodyStart, S, S + 0x40));
        Assert.True(looping.Frames.Count < 10, looping.StopReason);
        Assert.True(looping.Frames.Zip(looping.Frames.Skip(1)).All(p => p.Second.Sp > p.First.Sp));

        // A chain of 300 well-formed frames stops at the depth limit.
        var (deep, _) = NewStack();
        for (int i = 0; i < 300; i++)
        {
            ulong rbp = StackBase + 0x10 + 16UL * (ulong)i;
            deep.Write64(rbp, rbp + 16);
            deep.Write64(rbp + 8, libc.ReturnToCaller);
        }
        var walk = new Unwinder(deep, new FakeCode([libc.WithoutCfi])).Walk(Context(libc.Callee.BodyStart, StackBase, StackBase + 0x10));
        Assert.Equal(Unwinder.MaxDepth, walk.Frames.Count);
        Assert.Contains("depth limit", walk.StopReason);
    }

    /// <summary>
    /// A handler interrupted a thread at the caller's entry point. The trampoline page holds
    /// FreeBSD's sigcode; the sigframe follows the layout of sys/amd64/include/sigframe.h and
    /// sys/x86/include/ucontext.h as this test writes it: ucontext at +16, mcontext at +16
    /// within it, mc_rbx at 64, mc_rbp 72, mc_r12 96, mc_rip 160, mc_rsp 184.
    /// </summary>
    [CorpusFact]
    public void Unwinds_through_the_signal_trampoline()
    {
        var libc = Libc.Value;
        var (memory, _) = NewStack();
        const ulong page = 0x7ffffffff000;
        memory.Add(page, 0x1000);
        byte[] sigcode = [0xff, 0x14, 0x24, 0x48, 0x8d, 0x7c, 0x24, 0x10, 0x6a, 0x00, 0x48, 0xc7, 0xc0, 0xa1, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xf4];
        memory.Write(page + 0x100, sigcode);
        ulong afterCall = page + 0x103;

        // The handler (frame 0) just pushed rbp; its return address goes back into the trampoline.
        memory.Write64(S, 0x7777);
        memory.Write64(S + 8, afterCall);
        ulong sigframe = S + 16, mc = sigframe + 16 + 16, interruptedSp = S + 0x400;
        memory.Write64(sigframe, libc.Callee.Start);   // sf_ahu: the handler
        memory.Write64(mc + 64, 0xb1);                  // mc_rbx
        memory.Write64(mc + 72, 0xdead0);               // mc_rbp
        memory.Write64(mc + 96, 0xc12);                 // mc_r12
        memory.Write64(mc + 160, libc.Caller.Start);    // mc_rip: interrupted at the caller's first instruction
        memory.Write64(mc + 184, interruptedSp);        // mc_rsp
        memory.Write64(interruptedSp, 0);               // the interrupted function's return address

        var code = new FakeCode([libc.WithCfi], new AddressRange(page, page + 0x1000));
        var walk = new Unwinder(memory, code).Walk(Context(libc.Callee.Start + 1, S, rbp: 0x7777));

        Show(walk);
        Assert.Equal(3, walk.Frames.Count);
        var (tramp, interrupted) = (walk.Frames[1], walk.Frames[2]);
        Assert.Equal((afterCall, sigframe, "cfi", true), (tramp.Pc, tramp.Sp, tramp.TrustLabel, tramp.IsSignalFrame));
        Assert.Equal((libc.Caller.Start, interruptedSp, "signal-context"), (interrupted.Pc, interrupted.Sp, interrupted.TrustLabel));
        Assert.Equal(0xb1UL, interrupted.Register(Rbx)!.Value);
        Assert.Equal(0xdead0UL, interrupted.Register(Rbp)!.Value);
        Assert.Equal(0xc12UL, interrupted.Register(R12)!.Value);
        Assert.Contains("sigframe", interrupted.Register(Rbx)!.Source);
        // The interrupted pc is exact: its CFI is the caller's entry row (CFA = rsp+8), not the previous function's.
        Assert.Equal(libc.Caller.Symbol.Name, interrupted.Function?.Name);
        Assert.Equal(interruptedSp + 8, interrupted.Cfa);
        Assert.Contains("return address is 0", walk.StopReason);
    }

    private void Show(StackWalk walk)
    {
        foreach (var f in walk.Frames)
            output.WriteLine($"{f} cfa={f.Cfa:x} regs=[{string.Join("; ", f.Registers.Select(r => $"{r.Name}=0x{r.Value:x} ({r.Source})"))}] note={f.Note}");
        output.WriteLine("stop: " + walk.StopReason);
    }

    /// <summary>The test's own check: does any call encoding end exactly at <paramref name="address"/>?</summary>
    private static bool AfterAnyCall(LibcCode libc, ulong address)
    {
        var bytes = libc.Code(address - 8, 8);
        for (int k = 2; k <= 8; k++)
        {
            var d = Decoder.Create(64, new ByteArrayCodeReader(bytes, 8 - k, k), address - (ulong)k);
            d.Decode(out var ins);
            if (!ins.IsInvalid && ins.Length == k && ins.FlowControl is FlowControl.Call or FlowControl.IndirectCall) return true;
        }
        return false;
    }
}
