using System.Runtime.CompilerServices;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Syscalls;

/// <summary>
/// FreeBSD amd64 system calls (spec §7): the call is told from the code at rip (a <c>syscall</c>
/// instruction just before it, or at it when the kernel rewound rip to restart), rax, the carry
/// flag and the thread's wait message; FreeBSD's syscall table, errno and open flags.
/// </summary>
public sealed class FreeBsdSystemCallAbi : ISystemCallAbi
{
    public static FreeBsdSystemCallAbi Instance { get; } = new();

    private FreeBsdSystemCallAbi() { }

    /// <summary>syscall(2), __syscall(2), open, openat and _umtx_op (sys/kern/syscalls.master).</summary>
    public const int Syscall = 0, IndirectSyscall = 198, SysOpen = 5, SysOpenAt = 499, SysUmtxOp = 454;

    public bool IsIndirect(long rawNumber) => rawNumber is Syscall or IndirectSyscall;

    public (int Path, int Flags)? OpenArguments(long number) => number switch
    {
        SysOpen => (0, 1),
        SysOpenAt => (1, 2),
        _ => null,
    };

    public SyscallDescription Describe(long number, ReadOnlySpan<ulong> arguments, IStringSource strings) => SyscallDecoder.Describe(number, arguments, strings);

    public string FormatOpenFlags(uint flags) => OpenFlagDecoder.Format(flags);

    public bool IsUmtxOp(long number) => number == SysUmtxOp;

    /// <summary>
    /// Decides from the saved registers and the code bytes at rip−2/rip. Code comes from the
    /// core's memory, else from the module's file (kernel cores lack read-only text, spec §1.3).
    /// </summary>
    public SyscallSite? Locate(CoreThread thread, CoreFile core, ModuleMap? modules)
    {
        var r = thread.Registers;
        var evidence = new List<string>();
        bool? before = IsSyscallInstruction(r.Rip - 2, core, modules, out var beforeSource);
        bool? at = IsSyscallInstruction(r.Rip, core, modules, out var atSource);
        var sentences = Sentences.GetValue(core, static _ => new SentenceCache());
        bool sleeping = thread.WaitMessage is not null;

        SyscallPosition position;
        if (before == true)
        {
            bool carry = (r.Rflags & 1) != 0;
            position = !sleeping && carry && r.Rax is > 0 and < 128 ? SyscallPosition.ReturnedError : SyscallPosition.InKernel;
            evidence.Add(sentences.Get(Sentence.SyscallBefore, r.Rip - 2, beforeSource));
            if (position == SyscallPosition.ReturnedError)
                evidence.Add($"no wait message, CF set and rax = {r.Rax}: the call returned with errno {r.Rax} ({Errno.Name((long)r.Rax)}; sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval)");
        }
        else if (at == true)
        {
            position = SyscallPosition.Restarting;
            evidence.Add(sentences.Get(Sentence.SyscallAt, r.Rip, atSource));
        }
        else if (before is null || at is null)
        {
            if (!sleeping && r.Err != 2) return null;
            position = SyscallPosition.Unknown;
            evidence.Add(sentences.Get(Sentence.CodeMissing, r.Rip, null));
            if (r.Err == 2) evidence.Add("tf_err is 2, the length of a syscall instruction, as the kernel records on syscall entry (sys/amd64/amd64/exception.S: fast_syscall)");
            // Not asleep (kinfo_proc says so), CF set, rax an errno: the call returned that error. A call
            // about to restart keeps its number in rax, and the kernel copied arg 4 (rcx) back into r10:
            // equal and non-zero, they say restart; otherwise they say nothing, and CF decides.
            bool restartEvidence = r.R10 == r.Rcx && r.Rcx != 0;
            if (!sleeping && thread.FreeBsd?.Kinfo is not null && (r.Rflags & 1) != 0 && r.Rax is > 0 and <= Errno.Last && !restartEvidence)
            {
                position = SyscallPosition.ReturnedError;
                evidence.Add($"no wait message, CF set and rax = {r.Rax} ({Errno.Name((long)r.Rax)}): the call returned with that errno (sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval)");
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
            evidence.Add($"rax holds the errno, not the call's number, and the stub's code that names the call is not available: give --sysroot to know which call returned {Errno.Name((long)r.Rax)}");
        if (number is Syscall or IndirectSyscall)
            evidence.Add($"rax = {number} is the indirect {(number == 0 ? "syscall" : "__syscall")}: the real number is in rdi");
        return new SyscallSite(position, number, args, evidence) { Abi = this, Errno = position == SyscallPosition.ReturnedError ? (long)r.Rax : null };
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

    /// <param name="source">Where the code was read: null for the core's memory, else the module whose image holds it.</param>
    private static bool? IsSyscallInstruction(ulong address, CoreFile core, ModuleMap? modules, out LoadedModule? source)
    {
        Span<byte> b = stackalloc byte[2];
        source = null;
        if (core.Memory.TryRead(address, b)) return b[0] == 0x0F && b[1] == 0x05;
        if (modules?.FindByAddress(address) is { Image: { } image } m && image.View.Read(address - m.LoadBias, b) == 2)
        {
            source = m;
            return b[0] == 0x0F && b[1] == 0x05;
        }
        return null;
    }

    private enum Sentence { SyscallBefore, SyscallAt, CodeMissing }

    /// <summary>Each core's evidence sentences, by the code they are about.</summary>
    private static readonly ConditionalWeakTable<CoreFile, SentenceCache> Sentences = new();

    /// <summary>
    /// The evidence sentences about the code at an address: the threads asleep in one libc stub
    /// (thousands of a server's) share its address and so its sentence, made once.
    /// </summary>
    private sealed class SentenceCache
    {
        private readonly Dictionary<(Sentence, ulong), (LoadedModule? Source, string Text)> made = [];

        public string Get(Sentence sentence, ulong address, LoadedModule? source)
        {
            lock (made)
            {
                // One address is read from one source; the same module object, not an equal one (records compare every field).
                if (made.TryGetValue((sentence, address), out var known) && ReferenceEquals(known.Source, source)) return known.Text;
                string text = Make(sentence, address, source);
                made[(sentence, address)] = (source, text);
                return text;
            }
        }

        private static string Make(Sentence sentence, ulong address, LoadedModule? source)
        {
            // The module's path in the process, not where its file was found: reports do not depend on the machine.
            string from = source is null ? "core memory" : source.Image!.View is FileImageView ? $"the file of {source.Path}" : source.Image.View.Origin;
            return sentence switch
            {
                Sentence.SyscallBefore => $"the bytes at rip−2 (0x{address:x}, from {from}) are 0f 05, a syscall instruction: rip is its return address",
                Sentence.SyscallAt => $"rip (0x{address:x}, from {from}) points at 0f 05: the kernel rewound rip by tf_err = 2 to restart the call after an interrupted sleep (sys/amd64/amd64/vm_machdep.c: cpu_set_syscall_retval, ERESTART)",
                _ => $"the code at rip 0x{address:x} is not available (not in the core; give --sysroot with the binaries)",
            };
        }
    }
}
