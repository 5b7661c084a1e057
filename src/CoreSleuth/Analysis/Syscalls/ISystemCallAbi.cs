using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Syscalls;

/// <summary>
/// One system's system call conventions on amd64: how a thread's call is told from its
/// registers (and, on FreeBSD, the code at rip), the calls' numbers, names, arguments and
/// errno, and the open flags. The analysis asks this instead of the system's name.
/// </summary>
public interface ISystemCallAbi
{
    /// <summary>The call <paramref name="thread"/> is in, about to restart, or just returned from with an error; null when in none.</summary>
    SyscallSite? Locate(CoreThread thread, CoreFile core, ModuleMap? modules);

    /// <summary>Whether <paramref name="rawNumber"/> is an indirect call whose real number is the first argument (FreeBSD syscall(2)/__syscall(2)).</summary>
    bool IsIndirect(long rawNumber);

    /// <summary>For open and openat, the positions of the path and flags arguments; null for other calls.</summary>
    (int Path, int Flags)? OpenArguments(long number);

    /// <summary>Names, decoded flags and path strings (read from the core) of the call.</summary>
    SyscallDescription Describe(long number, ReadOnlySpan<ulong> arguments, IStringSource strings);

    /// <summary>Open flags by name, with this system's constants.</summary>
    string FormatOpenFlags(uint flags);

    /// <summary>Whether the call is FreeBSD's <c>_umtx_op</c>, where libthr's mutexes and rwlocks sleep (Linux's futex names no owner).</summary>
    bool IsUmtxOp(long number);
}
