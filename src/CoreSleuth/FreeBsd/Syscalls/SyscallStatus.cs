namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>The primary status of a <c>syscalls.master</c> entry (spec §7.4).</summary>
public enum SyscallStatusKind
{
    /// <summary>STD: a live system call.</summary>
    Std,
    /// <summary>NOSTD: live only while the module that provides it is loaded.</summary>
    NoStd,
    /// <summary>COMPAT / COMPATn: kept for old binaries; the name is the old call's.</summary>
    Compat,
    /// <summary>OBSOL: removed.</summary>
    Obsolete,
    /// <summary>RESERVED: never assigned.</summary>
    Reserved,
    /// <summary>NODEF: lkmnosys slot for a dynamically loaded syscall (210–219).</summary>
    NoDef,
    /// <summary>SYSMUX: the indirect entry points 0 <c>syscall</c> and 198 <c>__syscall</c>.</summary>
    SysMux,
}

/// <summary>Secondary status keywords that follow the primary one after a <c>|</c>.</summary>
[Flags]
public enum SyscallStatusFlags
{
    None = 0,
    NoStd = 1,
    NotStatic = 2,
}

/// <summary>
/// Status of a syscall table entry. <see cref="CompatVersion"/> is n for COMPATn (the entry
/// serves binaries built for FreeBSD ≤ n) and null for plain COMPAT (4.3BSD).
/// <see cref="ToString"/> gives the <c>syscalls.master</c> spelling, e.g. "COMPAT7|NOSTD".
/// </summary>
public sealed record SyscallStatus(SyscallStatusKind Kind, int? CompatVersion, SyscallStatusFlags Flags)
{
    /// <summary>True for STD and NOSTD: a current binary can make this call.</summary>
    public bool IsLive => Kind is SyscallStatusKind.Std or SyscallStatusKind.NoStd;

    public override string ToString()
    {
        var text = Kind switch
        {
            SyscallStatusKind.Std => "STD",
            SyscallStatusKind.NoStd => "NOSTD",
            SyscallStatusKind.Compat => CompatVersion is int n ? $"COMPAT{n}" : "COMPAT",
            SyscallStatusKind.Obsolete => "OBSOL",
            SyscallStatusKind.Reserved => "RESERVED",
            SyscallStatusKind.NoDef => "NODEF",
            SyscallStatusKind.SysMux => "SYSMUX",
            _ => Kind.ToString(),
        };
        if ((Flags & SyscallStatusFlags.NoStd) != 0) text += "|NOSTD";
        if ((Flags & SyscallStatusFlags.NotStatic) != 0) text += "|NOTSTATIC";
        return text;
    }
}
