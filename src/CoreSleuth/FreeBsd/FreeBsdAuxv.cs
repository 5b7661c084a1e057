using CoreSleuth.Model;

namespace CoreSleuth.FreeBsd;

/// <summary>FreeBSD's AT_* types (sys/sys/elf_common.h; they differ from Linux's past AT_EGID), as gdb's <c>info auxv</c> names and shows them.</summary>
public sealed class FreeBsdAuxvCatalogue : IAuxvCatalogue
{
    public static FreeBsdAuxvCatalogue Instance { get; } = new();

    private FreeBsdAuxvCatalogue() { }

    public const long AT_EXECPATH = 15, AT_OSRELDATE = 18, AT_TIMEKEEP = 22;

    public long? SharedPageType => AT_TIMEKEEP;

    public AuxvType Describe(long type) => Types.TryGetValue(type, out var t) ? t : new AuxvType($"AT_{type}", "unknown auxiliary vector entry", AuxvValueFormat.Hex);

    // Formats as gdb's default_print_auxv_entry and fbsd_print_auxv_entry print them.
    private const AuxvValueFormat Hex = AuxvValueFormat.Hex, Dec = AuxvValueFormat.Decimal, Str = AuxvValueFormat.String;

    private static readonly Dictionary<long, AuxvType> Types = new()
    {
        [0] = new("AT_NULL", "End of vector", Hex), [1] = new("AT_IGNORE", "Ignored entry", Hex), [2] = new("AT_EXECFD", "File descriptor of program", Dec),
        [3] = new("AT_PHDR", "Program headers for program", Hex), [4] = new("AT_PHENT", "Size of program header entry", Dec),
        [5] = new("AT_PHNUM", "Number of program headers", Dec), [6] = new("AT_PAGESZ", "System page size", Dec),
        [7] = new("AT_BASE", "Base address of interpreter", Hex), [8] = new("AT_FLAGS", "Flags", Hex), [9] = new("AT_ENTRY", "Entry point of program", Hex),
        [10] = new("AT_NOTELF", "Program is not ELF", Dec), [11] = new("AT_UID", "Real user ID", Dec), [12] = new("AT_EUID", "Effective user ID", Dec),
        [13] = new("AT_GID", "Real group ID", Dec), [14] = new("AT_EGID", "Effective group ID", Dec), [15] = new("AT_EXECPATH", "Executable path", Str),
        [16] = new("AT_CANARY", "Canary for SSP", Hex), [17] = new("AT_CANARYLEN", "Length of the SSP canary", Dec),
        [18] = new("AT_OSRELDATE", "OSRELDATE", Dec), [19] = new("AT_NCPUS", "Number of CPUs", Dec), [20] = new("AT_PAGESIZES", "Pagesizes", Hex),
        [21] = new("AT_PAGESIZESLEN", "Number of pagesizes", Dec), [22] = new("AT_TIMEKEEP", "Pointer to timehands", Hex),
        [23] = new("AT_STACKPROT", "Initial stack protection", Hex), [24] = new("AT_EHDRFLAGS", "ELF header e_flags", Hex),
        [25] = new("AT_HWCAP", "Machine-dependent CPU capability hints", Hex), [26] = new("AT_HWCAP2", "Extension of AT_HWCAP", Hex),
        [27] = new("AT_BSDFLAGS", "ELF BSD flags", Hex), [28] = new("AT_ARGC", "Argument count", Dec), [29] = new("AT_ARGV", "Argument vector", Hex),
        [30] = new("AT_ENVC", "Environment count", Dec), [31] = new("AT_ENVV", "Environment vector", Hex), [32] = new("AT_PS_STRINGS", "Pointer to ps_strings", Hex),
        [33] = new("AT_FXRNG", "Pointer to root RNG seed version", Hex), [34] = new("AT_KPRELOAD", "Base address of vDSO", Hex),
        [35] = new("AT_USRSTACKBASE", "Top of user stack", Hex), [36] = new("AT_USRSTACKLIM", "Grow limit of user stack", Dec),
    };
}
