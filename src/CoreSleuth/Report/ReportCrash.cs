using CoreSleuth.Analysis.Crash;

namespace CoreSleuth.Report;

/// <summary>
/// The <c>crash</c> object of the analyze report: the fatal signal of a kernel core and the thread
/// that took it; the report's <c>crash</c> is null for gcore and gdb cores (their SIGSTOP is no crash).
/// </summary>
/// <param name="Code">si_code; null when the core has no siginfo for the thread (no NT_PTLWPINFO).</param>
/// <param name="CodeName">e.g. SEGV_MAPERR, SI_USER; null when <paramref name="Code"/> is null or not a known value.</param>
/// <param name="Address">si_addr of a CPU fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE); null otherwise or when unknown.</param>
/// <param name="Instruction">The instruction at the thread's rip (Intel syntax) for a fault, when its code bytes are at hand.</param>
public sealed record ReportCrash(
    int Lwp, int Signal, string SignalName, int? Code, string? CodeName, Hex? Address, int? Trapno, string? TrapName,
    string? Instruction, string Summary, IReadOnlyList<string> Evidence)
{
    /// <summary>What <see cref="CodeName"/> means ("address not mapped to object").</summary>
    public string? CodeMeaning { get; init; }

    /// <summary>si_pid of a signal sent by a process (SI_USER, SI_QUEUE, SI_LWP); null otherwise.</summary>
    public int? SenderPid { get; init; }

    /// <summary>The signal's description as the system words it (FreeBSD's; Linux has none to show).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal string? SignalDescription { get; init; }

    /// <summary>How many of the thread's frames the text and Markdown reports show under the crash.</summary>
    internal const int TopFrames = 8;

    /// <summary>The crash's facts, label and value, as the text and Markdown reports list them (the same words in both).</summary>
    internal IEnumerable<(string Label, string Value)> Facts()
    {
        yield return ("signal", $"{Signal} ({SignalName}{(SignalDescription is { } d ? $", {d}" : "")})");
        yield return ("code", Code is not { } c ? "unknown (the core has no siginfo for this thread)"
            : CodeName is null ? $"0x{c:x} (not a known si_code of {SignalName})" : $"{(c >= 0x10000 ? $"0x{c:x}" : c.ToString(System.Globalization.CultureInfo.InvariantCulture))} {CodeName} ({CodeMeaning})");
        if (SenderPid is { } pid) yield return ("sender", $"pid {pid}");
        if (Address is { } a) yield return ("address", a.ToString());
        if (Trapno is { } t) yield return ("trap", TrapName is null ? $"{t} (not a known trap number)" : $"{t} {TrapName}");
        if (Instruction is not null) yield return ("instruction", Instruction);
    }

    internal static ReportCrash? Build(FatalSignal? s) => s is null ? null :
        new ReportCrash(s.Lwp, s.Signal, s.SignalName, s.Code, s.CodeName.Name, s.Address is { } a ? new Hex(a) : null,
            s.TrapNo, s.Trap.Name, s.Instruction?.Text, s.Summary, s.Evidence)
        {
            CodeMeaning = s.CodeName.Meaning,
            SenderPid = s.SenderPid,
            SignalDescription = s.Signals.Description(s.Signal),
        };
}
