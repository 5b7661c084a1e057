namespace CoreSleuth.FreeBsd;

/// <summary>One <c>Elf64_Auxinfo</c> of NT_PROCSTAT_AUXV (spec §2.2).</summary>
public sealed record AuxvEntry(long Type, ulong Value)
{
    /// <summary>A Linux NT_AUXV entry: its types are named by Linux's AT_* (they differ from FreeBSD's past AT_FLAGS).</summary>
    public bool LinuxNames { get; init; }

    private Linux.LinuxAuxvEntry AsLinux => new(unchecked((ulong)Type), Value);

    public string Name => LinuxNames ? AsLinux.Name : Names.TryGetValue(Type, out var n) ? n.Name : $"AT_{Type}";
    public string Description => LinuxNames ? AsLinux.Description : Names.TryGetValue(Type, out var n) ? n.Description : "unknown auxiliary vector entry";

    /// <summary>True when the value points at a NUL-terminated string in the process (gdb prints it).</summary>
    public bool IsStringPointer => LinuxNames ? AsLinux.IsStringPointer : Type == AT_EXECPATH;

    public const long AT_NULL = 0, AT_BASE = 7, AT_ENTRY = 9, AT_EXECPATH = 15, AT_OSRELDATE = 18, AT_PS_STRINGS = 32;

    // FreeBSD sys/sys/elf_common.h AT_* values (these differ from Linux past AT_FLAGS).
    private static readonly Dictionary<long, (string Name, string Description)> Names = new()
    {
        [0] = ("AT_NULL", "End of vector"), [1] = ("AT_IGNORE", "Ignored entry"), [2] = ("AT_EXECFD", "File descriptor of program"),
        [3] = ("AT_PHDR", "Program headers for program"), [4] = ("AT_PHENT", "Size of program header entry"),
        [5] = ("AT_PHNUM", "Number of program headers"), [6] = ("AT_PAGESZ", "System page size"),
        [7] = ("AT_BASE", "Base address of interpreter"), [8] = ("AT_FLAGS", "Flags"), [9] = ("AT_ENTRY", "Entry point of program"),
        [10] = ("AT_NOTELF", "Program is not ELF"), [11] = ("AT_UID", "Real user ID"), [12] = ("AT_EUID", "Effective user ID"),
        [13] = ("AT_GID", "Real group ID"), [14] = ("AT_EGID", "Effective group ID"), [15] = ("AT_EXECPATH", "Executable path"),
        [16] = ("AT_CANARY", "Canary for SSP"), [17] = ("AT_CANARYLEN", "Length of the SSP canary"),
        [18] = ("AT_OSRELDATE", "OSRELDATE"), [19] = ("AT_NCPUS", "Number of CPUs"), [20] = ("AT_PAGESIZES", "Pagesizes"),
        [21] = ("AT_PAGESIZESLEN", "Number of pagesizes"), [22] = ("AT_TIMEKEEP", "Pointer to timehands"),
        [23] = ("AT_STACKPROT", "Initial stack protection"), [24] = ("AT_EHDRFLAGS", "ELF header e_flags"),
        [25] = ("AT_HWCAP", "Machine-dependent CPU capability hints"), [26] = ("AT_HWCAP2", "Extension of AT_HWCAP"),
        [27] = ("AT_BSDFLAGS", "ELF BSD flags"), [28] = ("AT_ARGC", "Argument count"), [29] = ("AT_ARGV", "Argument vector"),
        [30] = ("AT_ENVC", "Environment count"), [31] = ("AT_ENVV", "Environment vector"), [32] = ("AT_PS_STRINGS", "Pointer to ps_strings"),
        [33] = ("AT_FXRNG", "Pointer to root RNG seed version"), [34] = ("AT_KPRELOAD", "Base address of vDSO"),
        [35] = ("AT_USRSTACKBASE", "Top of user stack"), [36] = ("AT_USRSTACKLIM", "Grow limit of user stack"),
    };
}

/// <summary>One <c>struct rlimit</c> of NT_PROCSTAT_RLIMIT, by resource index.</summary>
public sealed record ResourceLimit(int Resource, long Current, long Maximum)
{
    public const long Infinity = long.MaxValue; // RLIM_INFINITY on FreeBSD: 2^63-1

    public string Name => Resource switch
    {
        0 => "cpu", 1 => "fsize", 2 => "data", 3 => "stack", 4 => "core", 5 => "rss", 6 => "memlock", 7 => "nproc",
        8 => "nofile", 9 => "sbsize", 10 => "vmem", 11 => "npts", 12 => "swap", 13 => "kqueues", 14 => "umtxp", 15 => "pipebuf",
        _ => $"resource {Resource}",
    };
}
