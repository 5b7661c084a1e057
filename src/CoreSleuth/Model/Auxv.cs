namespace CoreSleuth.Model;

/// <summary>
/// One entry of the process's auxiliary vector (FreeBSD's NT_PROCSTAT_AUXV, Linux's NT_AUXV):
/// a_type and its value. The systems number the types alike only up to AT_EGID (14); what a
/// number means beyond is the system's own, told by its <see cref="IAuxvCatalogue"/>.
/// </summary>
public sealed record AuxvEntry(long Type, ulong Value)
{
    /// <summary>Types every System V system numbers alike: the vector's end, the executable's program headers and entry point, the interpreter's base.</summary>
    public const long AT_NULL = 0, AT_PHDR = 3, AT_BASE = 7, AT_ENTRY = 9;
}

/// <summary>How gdb's <c>info auxv</c> shows an entry's value: hex, decimal, or the address and the string it points at.</summary>
public enum AuxvValueFormat
{
    Hex,
    Decimal,
    String,
}

/// <summary>What a system calls one auxv type: its AT_ name, gdb's description, how gdb shows its value.</summary>
public sealed record AuxvType(string Name, string Description, AuxvValueFormat Format);

/// <summary>
/// A system's names for the auxiliary vector's types (its <c>AT_*</c> constants). One per
/// system, beside its notes (<c>FreeBsd/</c>, <c>Linux/</c>); the analysis and the report get the
/// core's from <c>SystemConventions</c>.
/// </summary>
public interface IAuxvCatalogue
{
    /// <summary>The type's name, description and value format; "AT_<i>n</i>" and "unknown auxiliary vector entry" for one the system does not define.</summary>
    AuxvType Describe(long type);

    /// <summary>
    /// The type whose value points into the page the kernel maps into every process with the
    /// signal trampoline (FreeBSD's AT_TIMEKEEP, in its shared page); null when the system has none.
    /// </summary>
    long? SharedPageType { get; }
}
