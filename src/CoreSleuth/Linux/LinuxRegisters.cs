using CoreSleuth.Linux.Syscalls;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.Linux;

/// <summary>
/// x86-64 <c>struct user_regs_struct</c> (arch/x86/include/asm/user_64.h), the pr_reg of
/// NT_PRSTATUS: 27 unsigned longs, 216 bytes. The field set differs from FreeBSD's
/// <c>struct reg</c> (orig_rax, fs_base and gs_base; no trapno/err), hence its own record.
/// </summary>
/// <remarks>
/// <see cref="OrigRax"/> is the system call number while the thread is inside a system call
/// and −1 otherwise; <see cref="Rax"/> then holds the result or a −errno (see
/// <see cref="LinuxSyscallState"/>). The <c>syscall</c> instruction clobbers rcx (return
/// rip) and r11 (rflags), so the fourth argument is in <see cref="R10"/>.
/// </remarks>
public sealed record LinuxRegisters(
    ulong R15, ulong R14, ulong R13, ulong R12, ulong Rbp, ulong Rbx, ulong R11, ulong R10, ulong R9, ulong R8,
    ulong Rax, ulong Rcx, ulong Rdx, ulong Rsi, ulong Rdi, ulong OrigRax, ulong Rip, ulong Cs, ulong Eflags,
    ulong Rsp, ulong Ss, ulong FsBase, ulong GsBase, ulong Ds, ulong Es, ulong Fs, ulong Gs)
{
    public const int Size = 27 * 8;

    /// <summary>Reads the 216 bytes at the start of <paramref name="r"/>; shorter input is an error.</summary>
    public static LinuxRegisters Parse(ReadOnlySpan<byte> r)
    {
        if (r.Length < Size)
            throw new ArgumentException($"user_regs_struct needs {Size} bytes, got {r.Length}", nameof(r));
        return new(
            U64(r, 0), U64(r, 8), U64(r, 16), U64(r, 24), U64(r, 32), U64(r, 40), U64(r, 48), U64(r, 56), U64(r, 64), U64(r, 72),
            U64(r, 80), U64(r, 88), U64(r, 96), U64(r, 104), U64(r, 112), U64(r, 120), U64(r, 128), U64(r, 136), U64(r, 144),
            U64(r, 152), U64(r, 160), U64(r, 168), U64(r, 176), U64(r, 184), U64(r, 192), U64(r, 200), U64(r, 208));
    }

    /// <summary>The registers in gdb's <c>info registers</c> order, with gdb's names (fs_base, gs_base last).</summary>
    public IReadOnlyList<(string Name, ulong Value)> General =>
    [
        ("rax", Rax), ("rbx", Rbx), ("rcx", Rcx), ("rdx", Rdx), ("rsi", Rsi), ("rdi", Rdi),
        ("rbp", Rbp), ("rsp", Rsp), ("r8", R8), ("r9", R9), ("r10", R10), ("r11", R11),
        ("r12", R12), ("r13", R13), ("r14", R14), ("r15", R15), ("rip", Rip), ("eflags", Eflags),
        ("cs", Cs), ("ss", Ss), ("ds", Ds), ("es", Es), ("fs", Fs), ("gs", Gs), ("fs_base", FsBase), ("gs_base", GsBase),
    ];

    /// <summary>
    /// The six system call argument registers in ABI order: rdi, rsi, rdx, r10, r8, r9
    /// (arch/x86/entry/entry_64.S, "Registers on entry").
    /// </summary>
    public ulong[] SyscallArguments => [Rdi, Rsi, Rdx, R10, R8, R9];

    /// <summary>What <see cref="OrigRax"/> and <see cref="Rax"/> say about a system call.</summary>
    public LinuxSyscallState SyscallState => LinuxSyscallState.Classify(OrigRax, Rax);
}
