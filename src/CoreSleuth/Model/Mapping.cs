using CoreSleuth.FreeBsd;

namespace CoreSleuth.Model;

/// <summary>What backs a mapping, in words every system shares.</summary>
public enum MappingKind
{
    /// <summary>Memory of the process's own (heap, stacks, anonymous mmap): FreeBSD's default and swap objects.</summary>
    Anonymous,

    /// <summary>A file (an image, a mapped data file): FreeBSD's vnode objects, Linux's NT_FILE paths.</summary>
    File,

    /// <summary>A device's or physical memory (FreeBSD's device, phys, sg and managed-device objects).</summary>
    Device,

    /// <summary>Anything else: a dead or empty object, a kernel object such as Linux's <c>anon_inode:[io_uring]</c>.</summary>
    Other,
}

/// <summary>Which accesses a mapping allows; the bits are those of PROT_READ, PROT_WRITE and PROT_EXEC.</summary>
[Flags]
public enum MappingProtection
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
}

/// <summary>
/// One mapping of the process's address space as the core's notes list it: FreeBSD's
/// NT_PROCSTAT_VMMAP (every mapping, with its true protection), Linux's NT_FILE (the file-backed
/// ones only, see <see cref="CoreProcess.MappingsAreFilesOnly"/>). What only FreeBSD's
/// kinfo_vmentry says (flags, object and vnode types, resident pages) is under <see cref="FreeBsd"/>.
/// </summary>
/// <param name="FileOffset">Where in the file the mapping starts; 0 when it maps no file.</param>
/// <param name="Path">The mapped file's path as the core records it (raw: sanitize before display); empty when none.</param>
public sealed record Mapping(ulong Start, ulong End, ulong FileOffset, MappingProtection Protection, MappingKind Kind, string Path)
{
    public ulong Size => End - Start;

    public bool CanRead => (Protection & MappingProtection.Read) != 0;
    public bool CanWrite => (Protection & MappingProtection.Write) != 0;
    public bool CanExecute => (Protection & MappingProtection.Execute) != 0;

    /// <summary>"rwx" with dashes, as procstat and gdb print it.</summary>
    public string ProtectionText => $"{(CanRead ? 'r' : '-')}{(CanWrite ? 'w' : '-')}{(CanExecute ? 'x' : '-')}";

    /// <summary>
    /// The process asked that the mapping be left out of core dumps (FreeBSD's MAP_NOCORE or
    /// madvise MADV_NOCORE, KVME_FLAG_NOCOREDUMP); false where the system does not say (Linux's NT_FILE).
    /// </summary>
    public bool NoCoreDump { get; init; }

    /// <summary>FreeBSD's kinfo_vmentry as written (spec §6), for what only it says; null on other systems.</summary>
    public KinfoVmEntry? FreeBsd { get; init; }

    /// <summary>The lowercase word reports use for a kind: "anonymous", "file", "device", "other".</summary>
    public static string KindName(MappingKind kind) => kind switch
    {
        MappingKind.Anonymous => "anonymous",
        MappingKind.File => "file",
        MappingKind.Device => "device",
        _ => "other",
    };
}
