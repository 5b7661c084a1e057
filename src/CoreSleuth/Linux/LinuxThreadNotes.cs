using CoreSleuth.FreeBsd;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.Linux;

/// <summary>
/// NT_PRSTATUS of an x86-64 Linux core: <c>struct elf_prstatus</c> (include/linux/elfcore.h;
/// since 6.0 its head is <c>struct elf_prstatus_common</c>, same layout), 336 bytes:
/// <code>
///   0 pr_info   struct elf_siginfo { int si_signo, si_code, si_errno } (note: code before errno)
///  12 pr_cursig short (2 bytes of padding follow)
///  16 pr_sigpend, 24 pr_sighold  unsigned long (bit n-1 for signal n)
///  32 pr_pid (the thread id), 36 pr_ppid, 40 pr_pgrp, 44 pr_sid
///  48 pr_utime, 64 pr_stime, 80 pr_cutime, 96 pr_cstime  struct timeval { long sec, usec }
/// 112 pr_reg    struct user_regs_struct (216 bytes)
/// 328 pr_fpvalid int (4 bytes of padding to 336)
/// </code>
/// </summary>
public sealed record LinuxPrStatus(
    int SignalNumber, int SignalCode, int SignalErrno, short CurrentSignal, ulong PendingSignals, ulong HeldSignals,
    int Pid, int ParentPid, int ProcessGroup, int Session,
    TimeValue UserTime, TimeValue SystemTime, TimeValue ChildrenUserTime, TimeValue ChildrenSystemTime,
    LinuxRegisters Registers, int FpValid)
{
    public const int Size = 336;
    public const int RegistersOffset = 112;
    public const int FpValidOffset = RegistersOffset + LinuxRegisters.Size;

    /// <summary>
    /// Parses the descriptor. <paramref name="descriptorFileOffset"/> is only used to name the
    /// place of an error. A descriptor shorter than 336 bytes is an error; longer is accepted
    /// (the trailing bytes are ignored).
    /// </summary>
    public static LinuxPrStatus Parse(ReadOnlySpan<byte> d, long descriptorFileOffset = 0)
    {
        NoteBounds.Require(d, Size, "NT_PRSTATUS", "an x86-64 struct elf_prstatus", descriptorFileOffset);
        return new(
            I32(d, 0), I32(d, 4), I32(d, 8), I16(d, 12), U64(d, 16), U64(d, 24),
            I32(d, 32), I32(d, 36), I32(d, 40), I32(d, 44),
            Time(d, 48), Time(d, 64), Time(d, 80), Time(d, 96),
            LinuxRegisters.Parse(d.Slice(RegistersOffset, LinuxRegisters.Size)), I32(d, FpValidOffset));
    }

    private static TimeValue Time(ReadOnlySpan<byte> d, int o) => new(I64(d, o), I64(d, o + 8));
}

/// <summary>
/// NT_SIGINFO: the 128-byte x86-64 <c>siginfo_t</c> (include/uapi/asm-generic/siginfo.h) of the
/// signal that caused the dump, as copy_siginfo_to_external gives it. Unlike pr_info of
/// NT_PRSTATUS, the order is si_signo (0), si_errno (4), si_code (8); the union starts at 16
/// (8-byte aligned). Only the union members this record reads are decoded:
/// <list type="bullet">
/// <item>SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP raised by the kernel (si_code &gt; 0): _sigfault.si_addr at 16.</item>
/// <item>Sent by a process (si_code ≤ 0: SI_USER, SI_QUEUE, SI_TKILL…): _kill/_rt.si_pid at 16, si_uid at 20.</item>
/// </list>
/// </summary>
public sealed record LinuxSigInfo(int Signal, int Errno, int Code, int? SenderPid, uint? SenderUid, ulong? FaultAddress)
{
    public const int Size = 128;

    public static LinuxSigInfo Parse(ReadOnlySpan<byte> d, long descriptorFileOffset = 0)
    {
        NoteBounds.Require(d, Size, "NT_SIGINFO", "an x86-64 siginfo_t", descriptorFileOffset);
        int signal = I32(d, 0), errno = I32(d, 4), code = I32(d, 8);
        bool fault = code > 0 && signal is LinuxSignals.Sigsegv or LinuxSignals.Sigbus or LinuxSignals.Sigill
            or LinuxSignals.Sigfpe or LinuxSignals.Sigtrap;
        bool sent = code <= 0; // SI_FROMUSER(siptr): si_code <= 0
        return new(signal, errno, code,
            sent ? I32(d, 16) : null, sent ? U32(d, 20) : null, fault ? U64(d, 16) : null);
    }

    /// <summary>The si_code by name: SI_* for any signal, SEGV_*/BUS_* for those signals.</summary>
    public string CodeName => LinuxSignals.CodeName(Signal, Code);
}
