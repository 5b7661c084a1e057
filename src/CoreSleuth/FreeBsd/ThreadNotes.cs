using CoreSleuth.Model;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>NT_PRSTATUS, <c>prstatus_t</c> (spec §3.1). <see cref="Lwp"/> is pr_pid: the thread id, not the process id.</summary>
public sealed record PrStatus(int Version, ulong StatusSize, ulong GregsetSize, ulong FpregsetSize, int OsRelDate, int CurrentSignal, int Lwp, Registers Registers)
{
    public const int Size = 224;

    public static PrStatus Parse(ReadOnlySpan<byte> d) => new(
        I32(d, 0), U64(d, 8), U64(d, 16), U64(d, 24), I32(d, 32), I32(d, 36), I32(d, 40), Registers.Parse(d.Slice(48, Registers.Size)));
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
/// </summary>
/// <remarks>
/// The bytes after the name's NUL are kept as written: the spec gives them no meaning, but a
/// real producer does not always clear them — the 11.0 kernel fills a thrmisc_t on its stack
/// and copies only the name into it, so stack bytes follow the NUL (corpus cores bsi-*).
/// Keeping them lets the descriptor be reproduced from this record.
/// </remarks>
public sealed record ThrMisc(string Name, byte[] NameFieldTail, byte[] Padding)
{
    public const int Size = 24, NameFieldSize = 20;

    /// <summary>Parses a descriptor of any length: fields past its end are empty.</summary>
    public static ThrMisc Parse(ReadOnlySpan<byte> d)
    {
        var field = d[..Math.Min(NameFieldSize, d.Length)];
        int nul = field.IndexOf((byte)0);
        byte[] tail = nul < 0 ? [] : field[(nul + 1)..].ToArray();
        byte[] padding = d.Length > NameFieldSize ? d[NameFieldSize..Math.Min(Size, d.Length)].ToArray() : [];
        return new ThrMisc(Text(d, 0, field.Length), tail, padding);
    }
}

/// <summary>A <c>siginfo_t</c> (spec §3.6).</summary>
public sealed record SigInfo(int Signal, int Errno, int Code, int Pid, uint Uid, int Status, ulong Address, ulong Value, byte[] Reason)
{
    public const int Size = 80;

    public static SigInfo Parse(ReadOnlySpan<byte> d) =>
        new(I32(d, 0), I32(d, 4), I32(d, 8), I32(d, 12), U32(d, 16), I32(d, 20), U64(d, 24), U64(d, 32), Bytes(d, 40, 40));
}

/// <summary>NT_PTLWPINFO, <c>struct ptrace_lwpinfo</c> (spec §3.6). Older producers write a shorter struct; absent fields are null.</summary>
public sealed record LwpInfo(
    int StructSize, int Lwp, int Event, int Flags, SignalSet SignalMask, SignalSet PendingSignals, SigInfo SigInfo,
    string Name, int? ChildPid, int? SyscallCode, int? SyscallArgumentCount)
{
    public const int EventNone = 0, EventSignal = 1;
    public const int FlagSigInfoValid = 0x20;
    public const int MinimumSize = 148; // through pl_tdname

    public bool HasSigInfo => (Flags & FlagSigInfoValid) != 0;

    /// <summary>
    /// Parses the note descriptor: an int32 structsize, then the struct. Only the bytes the
    /// structsize covers are read (11.x ends before pl_syscall_code); the caller checked that at
    /// least <see cref="MinimumSize"/> of them are present.
    /// </summary>
    public static LwpInfo Parse(ReadOnlySpan<byte> descriptor)
    {
        int size = I32(descriptor, 0);
        var d = descriptor[4..];
        if (size >= MinimumSize && size < d.Length) d = d[..size];
        return new LwpInfo(size, I32(d, 0), I32(d, 4), I32(d, 8), Sigset(d, 12), Sigset(d, 28), SigInfo.Parse(d.Slice(48, 80)),
            Text(d, 128, 20),
            d.Length >= 152 ? I32(d, 148) : null,
            d.Length >= 156 ? I32(d, 152) : null,
            d.Length >= 160 ? I32(d, 156) : null);
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
