namespace CoreSleuth.Testing.Images;

/// <summary>Protection bits with the values of KVME_PROT_* (spec §6).</summary>
[Flags]
public enum MemoryProtection
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
    ReadExecute = Read | Execute,
}

/// <summary>VM object types with the values of KVME_TYPE_* (spec §6). <see cref="Guard"/> (9) is
/// what the real 14.x core of the corpus reports for stack guard reservations.</summary>
public enum VmObjectType
{
    None = 0,
    Default = 1,
    Vnode = 2,
    Swap = 3,
    Device = 4,
    Phys = 5,
    Guard = 9,
}

/// <summary>Map-entry flags with the values of KVME_FLAG_* (spec §6).</summary>
[Flags]
public enum MemoryRegionFlags
{
    None = 0,
    CopyOnWrite = 0x1,
    NeedsCopy = 0x2,
    NoCoreDump = 0x4,
    GrowsDown = 0x20,
}

/// <summary>
/// One VM map entry of the process: [Start, End), page aligned. <see cref="Contents"/> holds the
/// bytes a core would dump (exactly End − Start bytes) and is empty for entries without any access
/// (guard and reservation entries, which no producer dumps).
/// </summary>
public sealed record MemoryRegion(
    ulong Start,
    ulong End,
    MemoryProtection Protection,
    VmObjectType Type,
    MemoryRegionFlags Flags,
    string? Path,
    ulong FileOffset,
    ReadOnlyMemory<byte> Contents)
{
    public ulong Size => End - Start;

    public bool Contains(ulong address) => address >= Start && address < End;

    public bool IsReadable => (Protection & MemoryProtection.Read) != 0;

    public override string ToString() =>
        $"{Start:x}-{End:x} {(IsReadable ? 'r' : '-')}{((Protection & MemoryProtection.Write) != 0 ? 'w' : '-')}{((Protection & MemoryProtection.Execute) != 0 ? 'x' : '-')} {Type} {Flags} {Path}";
}

/// <summary>One auxiliary-vector entry (Elf64_Auxinfo, spec §2.2 NT_PROCSTAT_AUXV).</summary>
public sealed record AuxvEntry(AuxvType Type, ulong Value);

/// <summary>AT_* values of FreeBSD's sys/sys/elf_common.h (the numbers in the corpus cores' auxv notes).</summary>
public enum AuxvType : long
{
    Null = 0,
    Phdr = 3,
    Phent = 4,
    Phnum = 5,
    Pagesz = 6,
    Base = 7,
    Flags = 8,
    Entry = 9,
    ExecPath = 15,
    Canary = 16,
    CanaryLen = 17,
    OsRelDate = 18,
    NCpus = 19,
    PageSizes = 20,
    PageSizesLen = 21,
    TimeKeep = 22,
    StackProt = 23,
    EhdrFlags = 24,
    BsdFlags = 27,
    Argc = 28,
    Argv = 29,
    Envc = 30,
    Envv = 31,
    PsStrings = 32,
}
