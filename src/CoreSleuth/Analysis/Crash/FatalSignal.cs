using CoreSleuth.Analysis.Modules;
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
public sealed record FatalSignal(
    int Lwp, int ThreadIndex, int Signal, int? Code, ulong? Address, int? TrapNo, int? SenderPid,
    DecodedInstruction? Instruction, string Summary, IReadOnlyList<string> Evidence)
{
    /// <summary>Whose signal numbers and si_code values these are.</summary>
    public required ISignalCatalogue Signals { get; init; }

    public string SignalName => Signals.Name(Signal) ?? "signal 0";
    public CodeName CodeName => Code is not { } c ? new(null, null) : Signals.Code(Signal, c);
    public CodeName Trap => TrapNo is { } t ? SignalCodes.Trap(t) : new(null, null);

    /// <summary>The fatal signal of a kernel core, or null (other producers, no signal recorded); the system's <see cref="ISignalCatalogue"/> reads it.</summary>
    public static FatalSignal? Find(CoreFile core, ModuleMap? modules, IReadOnlyList<ThreadAnalysis> threads)
    {
        if (core.Producer != CoreProducer.Kernel || threads.Count == 0) return null;
        return SystemConventions.Of(core).Signals.FindFatal(core, modules, threads);
    }

    /// <summary>
    /// abort() in the thread's stack says the process aborted itself (InnoDB's assertions end in
    /// abort()); without it the stack says nothing about the sender.
    /// </summary>
    internal static string AbortHint(ThreadAnalysis thread)
    {
        for (int i = 0; i < Math.Min(thread.Frames.Count, 12); i++)
            if (thread.Frames[i].Symbol.DisplayName is "abort" or "__assert" or "raise"
                || thread.Frames[i].Symbol.DisplayName?.StartsWith("ut_dbg_assertion_failed", StringComparison.Ordinal) == true)
                return $"; its stack has {thread.Frames[i].Symbol.DisplayName} at frame #{i}: the process aborted itself";
        return "";
    }

    /// <summary>" in FUNCTION (MODULE)" for the thread's frame 0, or its module+offset; "" when unknown.</summary>
    internal static string Where(ThreadAnalysis thread)
    {
        if (thread.Frames.Count == 0) return "";
        var f = thread.Frames[0];
        if (f.Symbol.DisplayName is { } fn) return $" in {fn}{(f.Symbol.Module is { } m ? $" ({m.FileName})" : "")}";
        return f.Symbol.Module is { } module ? $" in {module.FileName}+0x{f.Frame.Pc - module.Start:x}" : $" at 0x{f.Frame.Pc:x}";
    }

    internal static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
