using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

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
    public CoreOs Os { get; init; } = CoreOs.FreeBsd;

    public const int Syscall = 0, IndirectSyscall = 198;

    /// <summary>syscall(2)/__syscall(2): the real number is the first argument and the rest shift by one (spec §7.1). FreeBSD only: Linux's 0 is read.</summary>
    public bool Indirect => Os == CoreOs.FreeBsd && RawNumber is Syscall or IndirectSyscall;

    /// <summary>
    /// For open and openat, the positions of the path and flags arguments (FreeBSD open 5, openat 499;
    /// Linux open 2, openat 257); null for other calls.
    /// </summary>
    public (int Path, int Flags)? OpenArguments => (Os, Number) switch
    {
        (CoreOs.FreeBsd, 5) or (CoreOs.Linux, 2) => (0, 1),
        (CoreOs.FreeBsd, 499) or (CoreOs.Linux, 257) => (1, 2),
        _ => null,
    };

    /// <summary>The real syscall number (-1 when the call already returned with an error and rax holds errno).</summary>
    public long Number => Indirect ? (long)RegisterArguments[0] : RawNumber;

    /// <summary>The call's arguments, after the indirect shift.</summary>
    public IReadOnlyList<ulong> Arguments => Indirect ? RegisterArguments.Skip(1).ToList() : RegisterArguments;

    /// <summary>Names, decoded flags and path strings (read from the core) of the call.</summary>
    public SyscallDescription? Describe(IStringSource strings) =>
        RawNumber < 0 ? null
        : Os == CoreOs.Linux ? LinuxSyscallSite.Describe(RawNumber, RegisterArguments.ToArray(), strings)
        : SyscallDecoder.Describe(RawNumber, RegisterArguments.ToArray(), strings);

    /// <summary>
    /// Decides from the saved registers and the code bytes at rip−2/rip. Code comes from the
    /// core's memory, else from the module's file (kernel cores lack read-only text, spec §1.3).
    /// </summary>
    public static SyscallSite? Locate(CoreThread thread, CoreFile core, ModuleMap? modules)
    {
        if (thread.Linux is { } linux) return LinuxSyscallSite.Locate(linux);
        var r = thread.Registers;
        var evidence = new List<string>();
        bool? before = IsSyscallInstruction(r.Rip - 2, core, modules, out string? beforeSource);
        bool? at = IsSyscallInstruction(r.Rip, core, modules, out string? atSource);
        bool sleeping = thread.WaitMessage is not null;

        SyscallPosition position;
        if (before == true)
        {
            bool carry = (r.Rflags & 1) != 0;
            position = !sleeping && carry && r.Rax is > 0 and < 128 ? SyscallPosition.ReturnedError : SyscallPosition.InKernel;
            evidence.Add($"the bytes at rip−2 (0x{r.Rip - 2:x}, from {beforeSource}) are 0f 05, a syscall instruction: rip is its return address");
            if (position == SyscallPosition.ReturnedError)
                evidence.Add($"no wait message, CF set and rax = {r.Rax}: the call returned with errno {r.Rax} ({FreeBsd.Syscalls.Errno.Name((long)r.Rax)}; sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval)");
        }
        else if (at == true)
        {
            position = SyscallPosition.Restarting;
            evidence.Add($"rip (0x{r.Rip:x}, from {atSource}) points at 0f 05: the kernel rewound rip by tf_err = 2 to restart the call after an interrupted sleep (sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval, ERESTART)");
        }
        else if (before is null || at is null)
        {
            if (!sleeping && r.Err != 2) return null;
            position = SyscallPosition.Unknown;
            evidence.Add($"the code at rip 0x{r.Rip:x} is not available (not in the core; give --sysroot with the binaries)");
            if (r.Err == 2) evidence.Add("tf_err is 2, the length of a syscall instruction, as the kernel records on syscall entry (sys/amd64/amd64/exception.S: fast_syscall)");
            // Not asleep (kinfo_proc says so), CF set, rax an errno: the call returned that error. A call
            // about to restart keeps its number in rax, and the kernel copied arg 4 (rcx) back into r10:
            // equal and non-zero, they say restart; otherwise they say nothing, and CF decides.
            bool restartEvidence = r.R10 == r.Rcx && r.Rcx != 0;
            if (!sleeping && thread.Kinfo is not null && (r.Rflags & 1) != 0 && r.Rax is > 0 and <= FreeBsd.Syscalls.Errno.Last && !restartEvidence)
            {
                position = SyscallPosition.ReturnedError;
                evidence.Add($"no wait message, CF set and rax = {r.Rax} ({FreeBsd.Syscalls.Errno.Name((long)r.Rax)}): the call returned with that errno (sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval)");
            }
        }
        else
        {
            return null;
        }
        // Spec §7.2: the trapframe holds arg 4 in rcx; after a restart the kernel copied it back into r10.
        ulong arg4 = position == SyscallPosition.Restarting ? r.R10 : r.Rcx;
        ulong[] args = [r.Rdi, r.Rsi, r.Rdx, arg4, r.R8, r.R9];
        long number = position == SyscallPosition.ReturnedError ? -1 : (long)r.Rax;
        // libc's stubs are `mov eax, N; mov r10, rcx; syscall`: the code names the call even when rax no longer does.
        ulong syscallAt = position == SyscallPosition.Restarting ? r.Rip : r.Rip - 2;
        if (StubNumber(syscallAt, core, modules) is { } stub)
        {
            if (number < 0)
            {
                number = stub;
                evidence.Add($"the libc stub before the syscall instruction loads eax with {stub} (mov eax, {stub}; mov r10, rcx; syscall): that is the call that returned the error");
            }
            else if (stub != number)
                evidence.Add($"note: the stub before the syscall loads eax with {stub}, but rax holds {number}");
        }
        if (number < 0)
            evidence.Add($"rax holds the errno, not the call's number, and the stub's code that names the call is not available: give --sysroot to know which call returned {FreeBsd.Syscalls.Errno.Name((long)r.Rax)}");
        if (number is Syscall or IndirectSyscall)
            evidence.Add($"rax = {number} is the indirect {(number == 0 ? "syscall" : "__syscall")}: the real number is in rdi");
        return new SyscallSite(position, number, args, evidence) { Errno = position == SyscallPosition.ReturnedError ? (long)r.Rax : null };
    }

    /// <summary>The N of <c>mov eax, N (b8 imm32); mov r10, rcx (49 89 ca)</c> just before the syscall at <paramref name="syscallAt"/>.</summary>
    private static long? StubNumber(ulong syscallAt, CoreFile core, ModuleMap? modules)
    {
        Span<byte> b = stackalloc byte[8];
        ulong at = syscallAt - 8;
        bool read = core.Memory.TryRead(at, b)
                    || modules?.FindByAddress(at) is { Image: { } image } m && image.View.Read(at - m.LoadBias, b) == 8;
        if (!read || b[0] != 0xB8 || b[5] != 0x49 || b[6] != 0x89 || b[7] != 0xCA) return null;
        return BitConverter.ToUInt32(b[1..5]);
    }

    private static bool? IsSyscallInstruction(ulong address, CoreFile core, ModuleMap? modules, out string? source)
    {
        Span<byte> b = stackalloc byte[2];
        if (core.Memory.TryRead(address, b)) { source = "core memory"; return b[0] == 0x0F && b[1] == 0x05; }
        if (modules?.FindByAddress(address) is { Image: { } image } m && image.View.Read(address - m.LoadBias, b) == 2)
        {
            // The module's path in the process, not where its file was found: reports do not depend on the machine.
            source = image.View is FileImageView ? $"the file of {m.Path}" : image.View.Origin;
            return b[0] == 0x0F && b[1] == 0x05;
        }
        source = null;
        return null;
    }
}
