using CoreSleuth.FreeBsd.Syscalls;


namespace CoreSleuth.Analysis.Syscalls;

/// <summary>Where a thread stands relative to a system call (spec §7.2–7.3).</summary>
public enum SyscallPosition
{
    /// <summary>Asleep inside the kernel: rip is just after a <c>syscall</c> (0F 05 at rip−2).</summary>
    InKernel,
    /// <summary>The sleep was aborted with ERESTART: rip points at the <c>syscall</c> itself, about to re-issue it.</summary>
    Restarting,
    /// <summary>The call returned with an error (CF set, rax = errno) and the thread has not run since.</summary>
    ReturnedError,
    /// <summary>Not at a syscall instruction.</summary>
    NotInSyscall,
    /// <summary>The code bytes around rip are not available (not in the core, no --sysroot).</summary>
    Unknown,
}

/// <summary>
/// The system call a thread is in (or about to restart): number, the six argument registers as
/// the kernel saw them, and the facts this rests on.
/// </summary>
public sealed record SyscallSite(SyscallPosition Position, long RawNumber, IReadOnlyList<ulong> RegisterArguments, IReadOnlyList<string> Evidence)
{
    /// <summary>The errno a call that returned with an error left in rax, else null.</summary>
    public long? Errno { get; init; }

    /// <summary>Whose system call numbers, arguments and errno these are.</summary>
    public required ISystemCallAbi Abi { get; init; }

    /// <summary>syscall(2)/__syscall(2): the real number is the first argument and the rest shift by one (spec §7.1). FreeBSD only: Linux's 0 is read.</summary>
    public bool Indirect => Abi.IsIndirect(RawNumber);

    /// <summary>For open and openat, the positions of the path and flags arguments; null for other calls.</summary>
    public (int Path, int Flags)? OpenArguments => Abi.OpenArguments(Number);

    /// <summary>The real syscall number (-1 when the call already returned with an error and rax holds errno).</summary>
    public long Number => Indirect ? (long)RegisterArguments[0] : RawNumber;

    /// <summary>The call's arguments, after the indirect shift.</summary>
    public IReadOnlyList<ulong> Arguments => Indirect ? RegisterArguments.Skip(1).ToList() : RegisterArguments;

    /// <summary>Names, decoded flags and path strings (read from the core) of the call.</summary>
    public SyscallDescription? Describe(IStringSource strings) =>
        RawNumber < 0 ? null : Abi.Describe(RawNumber, RegisterArguments is ulong[] registers ? registers : [.. RegisterArguments], strings);
}
