using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Linux;
using CoreSleuth.Linux.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Syscalls;

/// <summary>
/// Linux x86-64 system calls: the call of a thread is told from its registers alone — orig_rax
/// keeps the call's number for as long as the thread is in it, and rax the −ERESTART* code the
/// dump's stop left (<see cref="LinuxSyscallState"/>); unlike FreeBSD no code bytes are needed.
/// Linux's syscall table, errno and open flags.
/// </summary>
public sealed class LinuxSystemCallAbi : ISystemCallAbi
{
    public static LinuxSystemCallAbi Instance { get; } = new();

    private LinuxSystemCallAbi() { }

    public const int SysOpen = 2, SysOpenAt = 257;

    /// <summary>Linux has no indirect call number: syscall(2) is a libc function, and 0 is read(2).</summary>
    public bool IsIndirect(long rawNumber) => false;

    public (int Path, int Flags)? OpenArguments(long number) => number switch
    {
        SysOpen => (0, 1),
        SysOpenAt => (1, 2),
        _ => null,
    };

    public string FormatOpenFlags(uint flags) => LinuxOpenFlags.Format(flags);

    public bool IsUmtxOp(long number) => false;

    /// <summary>Only a Linux thread (with orig_rax) is read; a thread without one is in no call this ABI can tell.</summary>
    public SyscallSite? Locate(CoreThread thread, CoreFile core, ModuleMap? modules) => thread.Linux is { } linux ? Locate(linux) : null;

    private SyscallSite? Locate(LinuxThreadState thread)
    {
        var r = thread.Registers;
        var state = r.SyscallState;
        if (state.Number is not { } number) return null;
        string call = LinuxSyscallTable.Name(number);
        var evidence = new List<string> { $"orig_rax = {number}: the thread is in {call} (arch/x86/entry/entry_64.S saves the call's number there for the whole call)" };
        SyscallPosition position;
        switch (state.Phase)
        {
            case LinuxSyscallPhase.BlockedWillRestart:
                position = SyscallPosition.InKernel;
                evidence.Add($"rax = -{LinuxErrno.Name(-state.Result)}: it was asleep in the call when the stop for the dump woke it, and the kernel restarts the call when it resumes (arch/x86/kernel/signal.c)");
                break;
            case LinuxSyscallPhase.Interrupted:
                position = SyscallPosition.InKernel;
                evidence.Add("rax = -EINTR: it was asleep in a call the kernel does not restart and the dump's stop ended it, or the call had failed with EINTR just before");
                break;
            case LinuxSyscallPhase.AtEntryOrNoSys:
                position = SyscallPosition.Unknown;
                evidence.Add("rax = -ENOSYS: stopped at the call's entry before it ran, or the call returned ENOSYS");
                break;
            case LinuxSyscallPhase.ReturnedError:
                evidence.Add($"rax = -{LinuxErrno.Name(-state.Result)}: the call returned that error and the thread has not run since");
                return new SyscallSite(SyscallPosition.ReturnedError, number, r.SyscallArguments, evidence) { Abi = this, Errno = -state.Result };
            default:
                return null; // returned normally: no longer in the call
        }
        return new SyscallSite(position, number, r.SyscallArguments, evidence) { Abi = this };
    }

    /// <summary>The Linux decoding in the report's shape: names and flags are Linux's, kinds mapped to the shared ones.</summary>
    public SyscallDescription Describe(long number, ReadOnlySpan<ulong> args, IStringSource strings)
    {
        var linux = LinuxSyscallDecoder.Describe(number, args, strings);
        var arguments = linux.Arguments.Select(a => new DecodedArgument(a.Name, Kind(a.Kind), a.Raw, a.Text, a.String)).ToList();
        return new SyscallDescription(number, linux.Name, null, null, arguments);
    }

    private static SyscallArgKind Kind(LinuxArgKind kind) => kind switch
    {
        LinuxArgKind.Int => SyscallArgKind.Int,
        LinuxArgKind.Size => SyscallArgKind.Size,
        LinuxArgKind.Offset => SyscallArgKind.Offset,
        LinuxArgKind.Pointer => SyscallArgKind.Pointer,
        LinuxArgKind.Path => SyscallArgKind.Path,
        LinuxArgKind.Fd => SyscallArgKind.Fd,
        LinuxArgKind.DirFd => SyscallArgKind.DirFd,
        LinuxArgKind.OpenFlags => SyscallArgKind.OpenFlags,
        LinuxArgKind.Mode => SyscallArgKind.Mode,
        LinuxArgKind.Timeout => SyscallArgKind.Timeout,
        LinuxArgKind.TimeoutMs => SyscallArgKind.TimeoutMs,
        LinuxArgKind.SignalSet => SyscallArgKind.SignalSet,
        LinuxArgKind.Signal => SyscallArgKind.Signal,
        _ => SyscallArgKind.Raw,
    };
}
