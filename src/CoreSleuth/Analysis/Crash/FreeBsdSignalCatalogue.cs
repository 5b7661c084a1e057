using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;
using static CoreSleuth.Analysis.Crash.FatalSignal;

namespace CoreSleuth.Analysis.Crash;

/// <summary>
/// FreeBSD's signals (sys/sys/signal.h): names, descriptions and si_code values, and the fatal
/// signal of a kernel core from pr_cursig and the NT_PTLWPINFO siginfo of the thread that took it.
/// </summary>
public sealed class FreeBsdSignalCatalogue : ISignalCatalogue
{
    public static FreeBsdSignalCatalogue Instance { get; } = new();

    private FreeBsdSignalCatalogue() { }

    public string? Name(int signal) => Signals.Name(signal);

    public string? Description(int signal) => Signals.Description(signal);

    public CodeName Code(int signal, int code) => SignalCodes.Code(signal, code);

    public FatalSignal? FindFatal(CoreFile core, ModuleMap? modules, IReadOnlyList<ThreadAnalysis> threads)
    {
        int signal = threads.Select(t => t.Thread.CurrentSignal).FirstOrDefault(s => s != 0);
        if (signal == 0) return null;

        var evidence = new List<string>
        {
            $"pr_cursig is {signal} ({Signals.Name(signal)}) in NT_PRSTATUS: the signal for which the kernel wrote the core (sys/kern/imgact_elf.c)",
        };
        var thread = threads.FirstOrDefault(t => t.Thread.FreeBsd?.LwpInfo is { Event: LwpInfo.EventSignal, HasSigInfo: true } l && l.SigInfo.Signal == signal);
        SigInfo? info = thread?.Thread.FreeBsd!.LwpInfo!.SigInfo;
        if (thread is not null)
            evidence.Add($"NT_PTLWPINFO of LWP {thread.Thread.Lwp} has PL_EVENT_SIGNAL and PL_FLAG_SI with si_signo {signal}: this thread took the signal; " +
                         $"si_code 0x{info!.Code:x}, si_pid {info.Pid}, si_addr 0x{info.Address:x} (sys/kern/imgact_elf.c: note_ptlwpinfo)");
        else
        {
            thread = threads[0];
            evidence.Add($"LWP {thread.Thread.Lwp} is the first thread in the notes: the kernel writes the thread that took the signal first (sys/kern/imgact_elf.c)");
            evidence.Add(thread.Thread.FreeBsd?.LwpInfo is null
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

        var signalled = new FatalSignal(t.Lwp, t.Index, signal, code, address, trapno, sender, instruction, "", evidence) { Signals = this };
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
}
