namespace CoreSleuth.Testing.Cores;

/// <summary>
/// One VM map entry: its kinfo_vmentry record (NT_PROCSTAT_VMMAP, spec §6) and, when the
/// producer dumps it (spec §1.3), its PT_LOAD segment and contents.
/// </summary>
public sealed record MappingSpec
{
    public ulong Start { get; init; }
    /// <summary>Exclusive end; Start and End are page-aligned (PT_LOAD sizes are page multiples, spec §1.2).</summary>
    public ulong End { get; init; }
    /// <summary>kve_protection (KVME_PROT_*).</summary>
    public int Protection { get; init; } = KveProt.ReadWrite;
    /// <summary>kve_type (KVME_TYPE_*), default anonymous memory.</summary>
    public int Type { get; init; } = KveType.Default;
    /// <summary>kve_flags (KVME_FLAG_*).</summary>
    public int Flags { get; init; }
    /// <summary>kve_path ("" for anonymous memory).</summary>
    public string Path { get; init; } = "";
    /// <summary>kve_offset: offset in the backing object/file.</summary>
    public ulong Offset { get; init; }

    public ulong VnFileId { get; init; }
    /// <summary>64-bit kve_vn_fsid at 88 (written on 12+ only).</summary>
    public ulong VnFsid { get; init; }
    /// <summary>kve_vn_fsid_freebsd11 at 40. Null = low 32 bits of <see cref="VnFsid"/>.</summary>
    public uint? VnFsidFreeBsd11 { get; init; }
    /// <summary>kve_vn_type. Null = VREG for VNODE mappings, VNON otherwise.</summary>
    public int? VnType { get; init; }
    public ulong VnSize { get; init; }
    public ushort VnMode { get; init; }
    /// <summary>64-bit kve_vn_rdev at 96 (written on 12+ only).</summary>
    public ulong VnRdev { get; init; }
    /// <summary>kve_vn_rdev_freebsd11 at 80. Null = low 32 bits of <see cref="VnRdev"/>.</summary>
    public uint? VnRdevFreeBsd11 { get; init; }
    public int Resident { get; init; }
    public int PrivateResident { get; init; }
    public int RefCount { get; init; } = 1;
    public int ShadowCount { get; init; }
    /// <summary>kve_status. Null = KF_ATTR_VALID (1) for VNODE mappings, 0 otherwise (as in the corpus cores).</summary>
    public ushort? Status { get; init; }

    /// <summary>Memory contents from Start; shorter than the mapping = the rest is zero.</summary>
    public ReadOnlyMemory<byte> Contents { get; init; }

    /// <summary>Overrides the producer's rule of spec §1.3 for whether a PT_LOAD is written.</summary>
    public bool? Dumped { get; init; }

    /// <summary>For round trips of real cores: a kinfo_vmentry image (≥ the record length) the fields are written over.</summary>
    public byte[]? Raw { get; init; }

    public ulong Size => End - Start;

    /// <summary>An anonymous read/write mapping holding <paramref name="contents"/>.</summary>
    public static MappingSpec Anonymous(ulong start, ulong size, ReadOnlyMemory<byte> contents = default) =>
        new() { Start = start, End = start + size, Contents = contents };

    /// <summary>A file-backed mapping (KVME_TYPE_VNODE).</summary>
    public static MappingSpec File(ulong start, ulong size, string path, int protection, ulong offset = 0, ReadOnlyMemory<byte> contents = default) =>
        new() { Start = start, End = start + size, Type = KveType.Vnode, Path = path, Protection = protection, Offset = offset, Contents = contents };
}
