using CoreSleuth.Analysis.Modules;
using CoreSleuth.Linux;
using CoreSleuth.Model;
using static CoreSleuth.Analysis.Crash.FatalSignal;

namespace CoreSleuth.Analysis.Crash;

/// <summary>
/// Linux's signals (include/uapi/asm-generic/signal.h, siginfo.h): names and si_code values
/// (Linux has no descriptions to show), and the fatal signal of a kernel core from pr_cursig and
/// NT_SIGINFO.
/// </summary>
public sealed class LinuxSignalCatalogue : ISignalCatalogue
{
    public static LinuxSignalCatalogue Instance { get; } = new();

    private LinuxSignalCatalogue() { }

    public string? Name(int signal) => LinuxSignals.Name(signal);

    public string? Description(int signal) => null;

    /// <summary>
    /// The fatal signal of a Linux kernel core: pr_cursig of the dumping thread, whose NT_PRSTATUS
    /// the kernel writes first, and the NT_SIGINFO after it (fs/binfmt_elf.c: fill_note_info).
    /// si_code ≤ 0 (SI_USER, SI_TKILL, SI_QUEUE…) means a process sent it, with its pid; above 0
    /// the kernel raised it, for a fault with si_addr.
    /// </summary>
    public FatalSignal? FindFatal(CoreFile core, ModuleMap? modules, IReadOnlyList<ThreadAnalysis> threads)
    {
        int signal = threads.Select(t => (int)(t.Thread.Linux?.Status.CurrentSignal ?? 0)).FirstOrDefault(s => s != 0);
        if (signal == 0) return null;
        string name = LinuxSignals.Name(signal) ?? $"signal {signal}";
        var evidence = new List<string> { $"pr_cursig is {signal} ({name}) in NT_PRSTATUS: the signal for which the kernel wrote the core (fs/binfmt_elf.c)" };
        var thread = threads.FirstOrDefault(t => t.Thread.Linux?.SigInfo?.Signal == signal) ?? threads[0];
        var info = thread.Thread.Linux?.SigInfo is { } si && si.Signal == signal ? si : null;
        evidence.Add(info is null
            ? $"LWP {thread.Thread.Lwp} is the first thread in the notes, which the kernel writes for the thread that took the signal; the core has no NT_SIGINFO for it: si_code and the sender are unknown"
            : $"LWP {thread.Thread.Lwp} is the first thread in the notes and NT_SIGINFO follows it: si_signo {signal}, si_code {info.Code} ({info.CodeName})" +
              (info.SenderPid is { } p ? $", si_pid {p}, si_uid {info.SenderUid}" : "") + (info.FaultAddress is { } fa ? $", si_addr 0x{fa:x}" : "") + " (fs/binfmt_elf.c: fill_note_info)");

        var t = thread.Thread;
        int? code = info?.Code;
        bool fault = info?.FaultAddress is not null;
        DecodedInstruction? instruction = null;
        if (fault)
        {
            instruction = FaultingInstruction.At(t.Registers, core, modules, info!.FaultAddress);
            if (instruction?.Text is { } text) evidence.Add($"the instruction at rip 0x{t.Registers.Rip:x} (from {instruction.Source}) is {text}");
        }
        var signalled = new FatalSignal(t.Lwp, t.Index, signal, code, info?.FaultAddress, null, info?.SenderPid, instruction, "", evidence) { Signals = this };
        string where = Where(thread);
        string summary = info switch
        {
            null => $"The process was ended by {name}, received by LWP {t.Lwp}{where}; the core has no siginfo for it, so who sent it is unknown{AbortHint(thread)}.",
            { FaultAddress: { } address } => $"LWP {t.Lwp} crashed with {name} ({info.CodeName}){where}: a fault at address 0x{address:x}" +
                (address < FaultingInstruction.FirstPageEnd ? ", in the first page, which is never mapped (a null pointer was followed)" : "") +
                (instruction is { Text: { } ins } i ? i.Access is { } access ? $". The instruction {ins} made {access}." : $". The instruction was {ins}." : "."),
            { SenderPid: { } sender } when sender == core.Process.Pid =>
                $"The process sent itself {name} ({info.CodeName}: si_pid {sender} is its own pid), received by LWP {t.Lwp}{where}{AbortHint(thread)}.",
            { SenderPid: { } sender } => $"The process did not crash: it was killed by {name}, sent by process {sender} ({info.CodeName}); LWP {t.Lwp} received it{where}.",
            _ => $"The process was ended by {name} ({info.CodeName}), received by LWP {t.Lwp}{where}{AbortHint(thread)}.",
        };
        return signalled with { Summary = summary };
    }

    /// <summary>A Linux si_code by name and meaning (include/uapi/asm-generic/siginfo.h); no name for a value it does not define.</summary>
    public CodeName Code(int signal, int code)
    {
        string name = LinuxSignals.CodeName(signal, code);
        if (name.StartsWith("si_code", StringComparison.Ordinal)) return new(null, null);
        return new(name, name switch
        {
            "SI_USER" => "sent by kill() or raise()",
            "SI_KERNEL" => "sent by the kernel",
            "SI_QUEUE" => "sent by sigqueue()",
            "SI_TKILL" => "sent by tkill() or tgkill() (abort() and raise() use tgkill)",
            "SI_TIMER" => "a POSIX timer expired",
            "SEGV_MAPERR" => "address not mapped to object",
            "SEGV_ACCERR" => "invalid permissions for mapped object",
            "BUS_ADRALN" => "invalid address alignment",
            "BUS_ADRERR" => "nonexistent physical address",
            "BUS_OBJERR" => "object-specific hardware error",
            _ => "see include/uapi/asm-generic/siginfo.h",
        });
    }
}
