namespace CoreSleuth.Testing.Images;

/// <summary>An extra anonymous heap region (a jemalloc chunk), e.g. 0x829e00000 + 2 MiB.</summary>
public sealed record HeapRegionSpec(ulong Start, ulong Size);

/// <summary>
/// Data placed in the heap (or at a fixed address inside a heap region), published under
/// <see cref="Label"/>. <see cref="Pointers"/> patch 8-byte slots with the address of other labels
/// (e.g. THD::real_id ← "pthread:100123") once everything is placed.
/// </summary>
public sealed record HeapData(string Label, byte[] Bytes)
{
    public ulong? Address { get; init; }

    public int Alignment { get; init; } = 16;

    public IReadOnlyList<(int Offset, string Label)> Pointers { get; init; } = [];
}

/// <summary>
/// Address-space parameters. Defaults follow the FreeBSD mappings of the corpus cores: rtld at
/// 0x800000000 + the executable's data start (so ≈0x800602000), libraries after rtld's data,
/// jemalloc chunks from 0x801000000, the main stack below USRSTACK and libthr thread stacks below
/// USRSTACK − RLIMIT_STACK − guard (0x7fffdfffd000 down, as in the 14.x multithread core).
/// </summary>
public sealed record ProcessLayoutOptions
{
    public ulong? RtldBase { get; init; }

    /// <summary>rtld's own malloc arena (TCBs, Obj_Entry/link_map), mapped in the hole after its text.</summary>
    public ulong RtldHeapSize { get; init; } = 0x40000;

    public ulong? LibraryBase { get; init; }

    public ulong? DefaultHeapBase { get; init; }

    public ulong DefaultHeapSize { get; init; } = 0x200000;

    public IReadOnlyList<HeapRegionSpec> ExtraHeapRegions { get; init; } = [];

    /// <summary>The grown part of the main stack (GROWS_DOWN entry).</summary>
    public ulong MainStackSize { get; init; } = 0x20000;

    /// <summary>RLIMIT_STACK: the main stack reservation; libthr starts thread stacks below it.</summary>
    public ulong StackLimit { get; init; } = 0x20000000;

    /// <summary>Size of each thread stack (pthread_attr stacksize; MySQL's thread_stack).</summary>
    public ulong ThreadStackSize { get; init; } = 0x200000;

    /// <summary>The grown, readable top part of each thread stack.</summary>
    public ulong ThreadStackResident { get; init; } = 0x20000;

    public ulong GuardSize { get; init; } = 0x1000;

    /// <summary>Mark read-only text mappings NOCOREDUMP, as rtld and the kernel do (spec §1.3).</summary>
    public bool TextNoCoreDump { get; init; } = true;

    /// <summary>Size of the static TLS block below each TCB.</summary>
    public int StaticTlsSize { get; init; } = 0x80;

    public int CpuCount { get; init; } = 4;
}
