using CoreSleuth.Model;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// NT_PRSTATUS, <c>prstatus_t</c> (spec §3.1). <see cref="Lwp"/> is pr_pid: the thread id, not the
/// process id. The registers are decoded at once (every analysis reads them); the other fields
/// are read where they lie, as <see cref="KinfoProc"/>'s are.
/// </summary>
public sealed class PrStatus
{
    public const int Size = 224;

    private readonly ReadOnlyMemory<byte> raw;

    private PrStatus(ReadOnlyMemory<byte> raw) => (this.raw, Registers) = (raw, Registers.Parse(raw.Span.Slice(48, Registers.Size)));

    private ReadOnlySpan<byte> D => raw.Span;

    public int Version => I32(D, 0);
    public ulong StatusSize => U64(D, 8);
    public ulong GregsetSize => U64(D, 16);
    public ulong FpregsetSize => U64(D, 24);
    public int OsRelDate => I32(D, 32);
    public int CurrentSignal => I32(D, 36);
    public int Lwp => I32(D, 40);
    public Registers Registers { get; }

    /// <summary>The note descriptor (at least <see cref="Size"/> bytes), read where it lies (the core's mapping: readable until it is disposed).</summary>
    public static PrStatus Parse(ReadOnlyMemory<byte> d) =>
        d.Length >= Size ? new(d[..Size]) : throw new ArgumentException($"a prstatus_t is {Size} bytes, not {d.Length}", nameof(d));
}

/// <summary>NT_PRPSINFO, <c>prpsinfo_t</c> (spec §3.4).</summary>
public sealed record PrPsInfo(int Version, ulong InfoSize, string Command, string Arguments, int Pid)
{
    public const int Size = 120;

    /// <summary>Through pr_psargs; writers older than 10.x end the struct there, without pr_pid.</summary>
    public const int MinimumSize = 114;

    public static PrPsInfo Parse(ReadOnlySpan<byte> d) => new(I32(d, 0), U64(d, 8), Text(d, 16, 17), Text(d, 33, 81), d.Length >= 120 ? I32(d, 116) : 0);
}

/// <summary>
/// NT_THRMISC, <c>thrmisc_t</c> (spec §3.5): pr_tname[MAXCOMLEN+1 = 20], then 4 bytes of _pad.
/// Read where it lies, as <see cref="KinfoProc"/> is: only the name is read of every thread.
/// </summary>
/// <remarks>
/// The bytes after the name's NUL are kept as written: the spec gives them no meaning, but a
/// real producer does not always clear them — the 11.0 kernel fills a thrmisc_t on its stack
/// and copies only the name into it, so stack bytes follow the NUL (corpus cores bsi-*).
/// Keeping them lets the descriptor be reproduced from this record.
/// </remarks>
public sealed class ThrMisc
{
    public const int Size = 24, NameFieldSize = 20;

    private readonly ReadOnlyMemory<byte> raw;

    private ThrMisc(ReadOnlyMemory<byte> raw) => this.raw = raw;

    private ReadOnlySpan<byte> D => raw.Span;
    private ReadOnlySpan<byte> NameField => D[..Math.Min(NameFieldSize, D.Length)];

    /// <summary>pr_tname up to its NUL.</summary>
    public string Name => Text(D, 0, NameField.Length);

    /// <summary>The bytes of pr_tname after the name's NUL; empty when the field has no NUL.</summary>
    public byte[] NameFieldTail => NameField.IndexOf((byte)0) is >= 0 and var nul ? NameField[(nul + 1)..].ToArray() : [];

    /// <summary>_pad, as far as the descriptor holds it.</summary>
    public byte[] Padding => D.Length > NameFieldSize ? D[NameFieldSize..].ToArray() : [];

    /// <summary>The descriptor where it lies (the core's mapping: readable until it is disposed); fields past its end are empty.</summary>
    public static ThrMisc Parse(ReadOnlyMemory<byte> d) => new(d[..Math.Min(Size, d.Length)]);
}

/// <summary>A <c>siginfo_t</c> (spec §3.6), read where it lies.</summary>
public sealed class SigInfo
{
    public const int Size = 80;

    private readonly ReadOnlyMemory<byte> raw;

    private SigInfo(ReadOnlyMemory<byte> raw) => this.raw = raw;

    private ReadOnlySpan<byte> D => raw.Span;

    public int Signal => I32(D, 0);
    public int Errno => I32(D, 4);
    public int Code => I32(D, 8);
    public int Pid => I32(D, 12);
    public uint Uid => U32(D, 16);
    public int Status => I32(D, 20);
    public ulong Address => U64(D, 24);
    public ulong Value => U64(D, 32);

    /// <summary>The reason union (a copy): its first int is si_trapno for a fault.</summary>
    public byte[] Reason => Bytes(D, 40, 40);

    /// <summary>The siginfo_t in the first <see cref="Size"/> bytes of <paramref name="d"/>, read where it lies.</summary>
    public static SigInfo Parse(ReadOnlyMemory<byte> d) =>
        d.Length >= Size ? new(d[..Size]) : throw new ArgumentException($"a siginfo_t is {Size} bytes, not {d.Length}", nameof(d));
}

/// <summary>
/// NT_PTLWPINFO, <c>struct ptrace_lwpinfo</c> (spec §3.6). Older producers write a shorter struct;
/// absent fields are null. Read where it lies: a report reads a few fields of a few threads.
/// </summary>
public sealed class LwpInfo
{
    public const int EventNone = 0, EventSignal = 1;
    public const int FlagSigInfoValid = 0x20;
    public const int MinimumSize = 148; // through pl_tdname

    private readonly ReadOnlyMemory<byte> raw;

    private LwpInfo(int structSize, ReadOnlyMemory<byte> raw) => (StructSize, this.raw) = (structSize, raw);

    private ReadOnlySpan<byte> D => raw.Span;

    /// <summary>The structsize word before the struct.</summary>
    public int StructSize { get; }
    public int Lwp => I32(D, 0);
    public int Event => I32(D, 4);
    public int Flags => I32(D, 8);
    public SignalSet SignalMask => Sigset(D, 12);
    public SignalSet PendingSignals => Sigset(D, 28);
    public SigInfo SigInfo => SigInfo.Parse(raw.Slice(48, SigInfo.Size));
    public string Name => Text(D, 128, 20);
    public int? ChildPid => D.Length >= 152 ? I32(D, 148) : null;
    public int? SyscallCode => D.Length >= 156 ? I32(D, 152) : null;
    public int? SyscallArgumentCount => D.Length >= 160 ? I32(D, 156) : null;

    public bool HasSigInfo => (Flags & FlagSigInfoValid) != 0;

    /// <summary>
    /// The note descriptor, read where it lies: an int32 structsize, then the struct. Only the
    /// bytes the structsize covers are read (11.x ends before pl_syscall_code); the caller checked
    /// that at least <see cref="MinimumSize"/> of them are present.
    /// </summary>
    public static LwpInfo Parse(ReadOnlyMemory<byte> descriptor)
    {
        int size = I32(descriptor.Span, 0);
        var d = descriptor[4..];
        if (size >= MinimumSize && size < d.Length) d = d[..size];
        return new LwpInfo(size, d);
    }

    public static string FlagNames(int flags)
    {
        string[] names = ["SA", "BOUND", "SCE", "SCX", "EXEC", "SI", "FORKED", "CHILD", "BORN", "EXITED", "VFORKED", "VFORK_DONE"];
        var set = names.Where((_, i) => (flags & (1 << i)) != 0).ToList();
        int unknown = flags & ~((1 << names.Length) - 1);
        if (unknown != 0) set.Add($"0x{unknown:x}");
        return set.Count == 0 ? "none" : string.Join("|", set);
    }
}

/// <summary>NT_X86_SEGBASES (spec §3.7): fsbase is the thread's TCB (spec §9.2).</summary>
public sealed record SegmentBases(ulong FsBase, ulong GsBase)
{
    public const int Size = 16;
}
