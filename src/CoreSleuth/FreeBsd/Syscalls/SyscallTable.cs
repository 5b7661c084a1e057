namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// The FreeBSD amd64 syscall table 0–589 (spec §7.4). The entries are generated from the
/// spec's CSV by <c>tools/gen-syscalls.py</c> into <c>SyscallTable.g.cs</c>.
/// </summary>
public static partial class SyscallTable
{
    /// <summary>Syscall number of the indirect <c>syscall(2)</c> entry (spec §7.1).</summary>
    public const int SysSyscall = 0;

    /// <summary>Syscall number of the indirect <c>__syscall(2)</c> entry (spec §7.1).</summary>
    public const int SysUnderscoreSyscall = 198;

    /// <summary>All entries, indexed by number.</summary>
    public static IReadOnlyList<SyscallEntry> All => Entries;

    /// <summary>The entry for <paramref name="number"/>, or null when it is outside the table.</summary>
    public static SyscallEntry? Lookup(long number) =>
        number >= 0 && number < Entries.Length ? Entries[number] : null;
}
