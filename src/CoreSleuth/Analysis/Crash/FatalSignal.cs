using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Crash;

/// <summary>
/// The signal that made the kernel dump the process, and the thread that took it (spec §3.1
/// pr_cursig, §3.6 NT_PTLWPINFO, §7.3). Only kernel cores have one: gcore and gdb stop the process
/// with the SIGSTOP of their ptrace attach, which is no crash.
/// </summary>
/// <param name="Code">si_code; null when the core has no siginfo for the thread (no NT_PTLWPINFO before 11.1).</param>
/// <param name="Address">si_addr, for a fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE raised by the CPU): the faulting address, or the instruction's for non-page faults.</param>
/// <param name="TrapNo">The CPU trap of a fault (si_trapno); null otherwise.</param>
/// <param name="SenderPid">si_pid of a signal a process sent (kill, sigqueue, thr_kill).</param>
public sealed partial record FatalSignal(
    int Lwp, int ThreadIndex, int Signal, int? Code, ulong? Address, int? TrapNo, int? SenderPid,
    DecodedInstruction? Instruction, string Summary, IReadOnlyList<string> Evidence)
{
    /// <summary>Whose signal numbers and si_code values these are.</summary>
    public CoreOs Os { get; init; } = CoreOs.FreeBsd;

    public string SignalName => (Os == CoreOs.Linux ? CoreSleuth.Linux.LinuxSignals.Name(Signal) : Signals.Name(Signal)) ?? "signal 0";
    public CodeName CodeName => Code is not { } c ? new(null, null) : Os == CoreOs.Linux ? LinuxCodeName(Signal, c) : SignalCodes.Code(Signal, c);
    public CodeName Trap => TrapNo is { } t ? SignalCodes.Trap(t) : new(null, null);

    /// <summary>The fatal signal of a kernel core, or null (other producers, no signal recorded).</summary>
    public static FatalSignal? Find(CoreFile core, ModuleMap? modules, IReadOnlyList<ThreadAnalysis> threads)
    {
        if (core.Producer != CoreProducer.Kernel || threads.Count == 0) return null;
        if (core.Os == CoreOs.Linux) return FindLinux(core, modules, threads);
        int signal = threads.Select(t => t.Thread.Status.CurrentSignal).FirstOrDefault(s => s != 0);
        if (signal == 0) return null;

        var evidence = new List<string>
        {
            $"pr_cursig is {signal} ({Signals.Name(signal)}) in NT_PRSTATUS: the signal for which the kernel wrote the core (sys/kern/imgact_elf.c)",
        };
        var thread = threads.FirstOrDefault(t => t.Thread.LwpInfo is { Event: LwpInfo.EventSignal, HasSigInfo: true } l && l.SigInfo.Signal == signal);
        SigInfo? info = thread?.Thread.LwpInfo!.SigInfo;
        if (thread is not null)
            evidence.Add($"NT_PTLWPINFO of LWP {thread.Thread.Lwp} has PL_EVENT_SIGNAL and PL_FLAG_SI with si_signo {signal}: this thread took the signal; " +
                         $"si_code 0x{info!.Code:x}, si_pid {info.Pid}, si_addr 0x{info.Address:x} (sys/kern/imgact_elf.c: note_ptlwpinfo)");
        else
        {
            thread = threads[0];
            evidence.Add($"LWP {thread.Thread.Lwp} is the first thread in the notes: the kernel writes the thread that took the signal first (sys/kern/imgact_elf.c)");
            evidence.Add(thread.Thread.LwpInfo is null
                ? "the core has no NT_PTLWPINFO for this thread (kernels before 11.1 write none): si_code, the sender, the fault address and the trap are unknown"
                : "its NT_PTLWPINFO carries no siginfo for this signal (PL_FLAG_SI unset, or another signal): si_code, the sender, the fault address and the trap are unknown");
        }

        var t = thread.Thread;
        int? code = info?.Code;
        // A CPU fault carries its own code (1, 2, …); kill -SEGV carries SI_USER and no fault address.
        bool fault = SignalCodes.IsFault(signal) && (code is null || code is > 0 and < 0x10000);
        ulong? address = fault && info is not null ? info.Address : null;
        int? trapno = fault && info is { Reason.Length: >= 4 } ? BitConverter.ToInt32(info.Reason, 0) : null;
        int? sender = code is { } c && SignalCodes.IsSent(c) ? info!.Pid : null;

        DecodedInstruction? instruction = null;
        if (fault)
        {
            instruction = FaultingInstruction.At(t.Registers, core, modules, address);
            string? source = instruction?.Source;
            evidence.Add(instruction is null
                ? $"the code at rip 0x{t.Registers.Rip:x} is neither in the core nor in a file given (--sysroot, --binary): the faulting instruction is unknown"
                : instruction.Text is null
                    ? $"the bytes at rip 0x{t.Registers.Rip:x} ({Hex(instruction.Bytes)}, from {source}) do not decode as an amd64 instruction"
                    : $"the instruction at rip 0x{t.Registers.Rip:x} ({Hex(instruction.Bytes)}, from {source}) is {instruction.Text}");
        }
        if (trapno is { } tn && address is { } a)
            evidence.Add($"si_trapno {tn} is {SignalCodes.Trap(tn).Name ?? "an unknown trap"}: " + (tn == SignalCodes.PageFault
                ? $"si_addr 0x{a:x} is the address the CPU could not access (cr2), not the instruction's (sys/amd64/amd64/trap.c: trap)"
                : $"for this trap si_addr 0x{a:x} is the address of the faulting instruction (sys/amd64/amd64/trap.c: trap)"));

        var signalled = new FatalSignal(t.Lwp, t.Index, signal, code, address, trapno, sender, instruction, "", evidence);
        return signalled with { Summary = Summarize(signalled, thread, core.Process.Pid, info is not null) };
    }

    private static string Summarize(FatalSignal s, ThreadAnalysis thread, int? ownPid, bool hasSigInfo)
    {
        string name = s.SignalName;
        string where = Where(thread);
        var code = s.CodeName;
        string codeText = s.Code is { } c ? code.Name is { } n ? $"{n}, {code.Meaning}" : $"si_code 0x{c:x}" : "";
        if (SignalCodes.IsFault(s.Signal) && (s.Code is null || s.Code is > 0 and < 0x10000))
        {
            if (!hasSigInfo)
                return $"LWP {s.Lwp} crashed with {name}{where}; the core has no siginfo for it (no NT_PTLWPINFO), so the si_code and the fault address are unknown.";
            string fault = s.Trap.Name is { } tn ? $"a {s.Trap.Meaning} ({tn})" : s.TrapNo is { } t ? $"trap {t}" : "a fault";
            string firstPage = s.Address < FaultingInstruction.FirstPageEnd && s.TrapNo == SignalCodes.PageFault
                ? ", in the first page, which is never mapped (a null pointer was followed)" : "";
            string text = $"LWP {s.Lwp} crashed with {name} ({codeText}){where}: {fault} at address 0x{s.Address:x}{firstPage}.";
            if (s.Instruction is { Text: { } ins } i)
                text += i.Access is { } access ? $" The instruction {ins} made {access}." : $" The instruction was {ins}.";
            return text;
        }
        if (s.SenderPid is { } sender && s.Code is { } sent)
        {
            string how = sent switch { SignalCodes.SiLwp => "thr_kill()", SignalCodes.SiQueue => "sigqueue()", _ => "kill()" };
            return sender == ownPid
                ? $"The process sent itself {name} with {how} (si_pid {sender} is its own pid), received by LWP {s.Lwp}{where}{AbortHint(thread)}."
                : $"The process did not crash: it was killed by {name}, sent with {how} by process {sender}; LWP {s.Lwp} received it{where}.";
        }
        if (s.Code is { } other)
            return $"The process was ended by {name} ({codeText}), received by LWP {s.Lwp}{where}{AbortHint(thread)}.";
        return $"The process was ended by {name}, received by LWP {s.Lwp}{where}; the core has no siginfo for it (no NT_PTLWPINFO), so who sent it is unknown{AbortHint(thread)}.";
    }

    /// <summary>
    /// abort() in the thread's stack says the process aborted itself (InnoDB's assertions end in
    /// abort()); without it the stack says nothing about the sender.
    /// </summary>
    private static string AbortHint(ThreadAnalysis thread)
    {
        for (int i = 0; i < Math.Min(thread.Frames.Count, 12); i++)
            if (thread.Frames[i].Symbol.DisplayName is "abort" or "__assert" or "raise"
                || thread.Frames[i].Symbol.DisplayName?.StartsWith("ut_dbg_assertion_failed", StringComparison.Ordinal) == true)
                return $"; its stack has {thread.Frames[i].Symbol.DisplayName} at frame #{i}: the process aborted itself";
        return "";
    }

    /// <summary>" in FUNCTION (MODULE)" for the thread's frame 0, or its module+offset; "" when unknown.</summary>
    private static string Where(ThreadAnalysis thread)
    {
        if (thread.Frames.Count == 0) return "";
        var f = thread.Frames[0];
        if (f.Symbol.DisplayName is { } fn) return $" in {fn}{(f.Symbol.Module is { } m ? $" ({m.FileName})" : "")}";
        return f.Symbol.Module is { } module ? $" in {module.FileName}+0x{f.Frame.Pc - module.Start:x}" : $" at 0x{f.Frame.Pc:x}";
    }

    private static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
