namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// One row of the FreeBSD amd64 syscall table (spec §7.4). <see cref="Name"/> is empty for
/// RESERVED slots; <see cref="ArgumentCount"/> is null where the table gives none (SYSMUX,
/// OBSOL, RESERVED, NODEF). <see cref="Notes"/> says which wait messages the call is known
/// to block with, or which release replaced it.
/// </summary>
public sealed record SyscallEntry(int Number, string Name, int? ArgumentCount, SyscallStatus Status, string Notes)
{
    /// <summary>The name, or "#n" for an unnamed slot.</summary>
    public string DisplayName => Name.Length > 0 ? Name : $"#{Number}";
}
