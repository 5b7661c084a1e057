using CoreSleuth.Model;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// <c>struct kinfo_file</c> from NT_PROCSTAT_FILES (spec §5), read where it lies, as
/// <see cref="KinfoProc"/> is (a server with ten thousand connections has as many sockets).
/// Bytes 32–335 are a C union whose meaning depends on the type (vnode, socket, pipe…); typed
/// views read them in place.
/// </summary>
public sealed class KinfoFile
{
    public const int FullSize = 1392, PathOffset = 368, UnionOffset = 32, UnionLength = 304;

    private readonly ReadOnlyMemory<byte> raw;

    private KinfoFile(ReadOnlyMemory<byte> raw) => this.raw = raw;

    private ReadOnlySpan<byte> D => raw.Span;
    private ReadOnlySpan<byte> U => D.Slice(UnionOffset, UnionLength);

    public int StructSize => I32(D, 0);
    public int Type => I32(D, 4);
    public int Fd => I32(D, 8);
    public int RefCount => I32(D, 12);
    public int Flags => I32(D, 16);
    public int Pad0 => I32(D, 20);
    public long Offset => I64(D, 24);

    /// <summary>The union's bytes (a copy).</summary>
    public byte[] Union => U.ToArray();
    public ushort Status => U16(D, 336);
    public ushort Pad1 => U16(D, 338);
    public int Spare0 => I32(D, 340);
    public byte[] CapabilityRights => Bytes(D, 344, 16);
    public ulong CapabilitySpare => U64(D, 360);

    /// <summary>kf_path up to its NUL, within the record (a packed record ends after it).</summary>
    public string Path => Text(D, PathOffset, 1024);

    public const int TypeNone = 0, TypeVnode = 1, TypeSocket = 2, TypePipe = 3, TypeFifo = 4, TypeKqueue = 5;
    public const int FdCwd = -1, FdRoot = -2, FdJail = -3, FdTrace = -4, FdText = -5, FdCtty = -6;

    /// <summary>KF_VTYPE_* of a vnode (VREG 1, VDIR 2, VCHR 4, VFIFO 7…).</summary>
    public int VnodeType => I32(U, 32 - UnionOffset);
    public int SocketDomain => I32(U, 36 - UnionOffset);
    public int SocketType => I32(U, 40 - UnionOffset);
    public int SocketProtocol => I32(U, 44 - UnionOffset);
    public ReadOnlySpan<byte> SocketLocal => U.Slice(48 - UnionOffset, 128);
    public ReadOnlySpan<byte> SocketPeer => U.Slice(176 - UnionOffset, 128);
    public ulong FileId => U64(U, 304 - UnionOffset);
    public ulong FileSize => U64(U, 312 - UnionOffset);
    public ushort FileMode => U16(U, 328 - UnionOffset);

    public static string TypeName(int type) => type switch
    {
        0 => "none", 1 => "vnode", 2 => "socket", 3 => "pipe", 4 => "fifo", 5 => "kqueue", 6 => "crypto", 7 => "mqueue",
        8 => "shm", 9 => "sem", 10 => "pts", 11 => "procdesc", 12 => "dev", 13 => "eventfd", 255 => "unknown", _ => $"type {type}",
    };

    /// <summary>What the descriptor is, as procstat and gdb's <c>info proc files</c> show it ("text", "cwd", "3"…).</summary>
    public static string FdName(int fd) => fd switch
    {
        FdCwd => "cwd", FdRoot => "root", FdJail => "jail", FdTrace => "trace", FdText => "text", FdCtty => "ctty", _ => fd.ToString(),
    };

    /// <summary>procstat-like kind: the vnode type refines "vnode" into file, dir, chr… (spec §5 constants).</summary>
    public string Kind => Type == TypeVnode
        ? VnodeType switch { 1 => "file", 2 => "dir", 3 => "blk", 4 => "chr", 5 => "link", 6 => "sock", 7 => "fifo", _ => "vnode" }
        : TypeName(Type);

    public static string FlagNames(int flags)
    {
        string[] names = ["read", "write", "append", "async", "fsync", "nonblock", "direct", "haslock", "shlock", "exlock", "nofollow", "creat", "trunc", "excl", "exec"];
        var set = names.Where((_, i) => (flags & (1 << i)) != 0).ToList();
        return set.Count == 0 ? "-" : string.Join(",", set);
    }

    /// <summary>The descriptor in the model's words; kf_offset −1 (no position) is none.</summary>
    public OpenFile ToOpenFile() => new(Fd, FdName(Fd), Kind, Path, Offset < 0 ? null : Offset) { FreeBsd = this };

    /// <summary>
    /// The record in <paramref name="record"/> (exactly its structsize bytes), read where it lies
    /// (the core's mapping: readable until it is disposed): its fixed part (<see cref="PathOffset"/>
    /// bytes) at least, then as much of kf_path as the packed record keeps.
    /// </summary>
    public static KinfoFile Parse(ReadOnlyMemory<byte> record) => record.Length >= PathOffset
        ? new(record[..Math.Min(record.Length, FullSize)])
        : throw new ArgumentException($"a kinfo_file record is at least {PathOffset} bytes, not {record.Length}", nameof(record));
}

/// <summary>
/// <c>struct kinfo_vmentry</c> from NT_PROCSTAT_VMMAP (spec §6): one mapping with its true protection.
/// Read where it lies, as <see cref="KinfoProc"/> is: every thread's stack and guard page is a
/// record, and the model takes what it needs into its <see cref="Mapping"/>.
/// </summary>
public sealed class KinfoVmEntry
{
    public const int FullSize = 1160, PathOffset = 136;

    public const int TypeNone = 0, TypeDefault = 1, TypeVnode = 2, TypeSwap = 3, TypeDevice = 4, TypePhys = 5, TypeDead = 6, TypeSg = 7, TypeMgtDevice = 8;
    public const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    public const int FlagCow = 0x1, FlagNeedsCopy = 0x2, FlagNoCoreDump = 0x4, FlagSuper = 0x8, FlagGrowsUp = 0x10, FlagGrowsDown = 0x20, FlagUserWired = 0x40;

    private readonly ReadOnlyMemory<byte> raw;

    private KinfoVmEntry(ReadOnlyMemory<byte> raw) => this.raw = raw;

    private ReadOnlySpan<byte> D => raw.Span;

    public int StructSize => I32(D, 0);
    public int Type => I32(D, 4);
    public ulong Start => U64(D, 8);
    public ulong End => U64(D, 16);
    public ulong Offset => U64(D, 24);
    public ulong VnodeFileId => U64(D, 32);
    public uint VnodeFsid32 => U32(D, 40);
    public int Flags => I32(D, 44);
    public int Resident => I32(D, 48);
    public int PrivateResident => I32(D, 52);
    public int Protection => I32(D, 56);
    public int RefCount => I32(D, 60);
    public int ShadowCount => I32(D, 64);
    public int VnodeType => I32(D, 68);
    public ulong VnodeSize => U64(D, 72);
    public uint VnodeRdev32 => U32(D, 80);
    public ushort VnodeMode => U16(D, 84);
    public ushort Status => U16(D, 86);
    public ulong VnodeFsid => U64(D, 88);
    public ulong VnodeRdev => U64(D, 96);
    public byte[] Spare => Bytes(D, 104, 32);

    /// <summary>kve_path up to its NUL, within the record (a packed record ends after it).</summary>
    public string Path => Text(D, PathOffset, 1024);

    public ulong Size => End - Start;

    /// <summary>"rwx" with dashes, as procstat and gdb print it.</summary>
    public string ProtectionText =>
        $"{((Protection & ProtRead) != 0 ? 'r' : '-')}{((Protection & ProtWrite) != 0 ? 'w' : '-')}{((Protection & ProtExec) != 0 ? 'x' : '-')}";

    /// <summary>gdb's four flag letters: C(opy-on-write) N(eeds copy) S(uper pages) D(own-growing).</summary>
    public string FlagText =>
        $"{((Flags & FlagCow) != 0 ? 'C' : '-')}{((Flags & FlagNeedsCopy) != 0 ? 'N' : '-')}{((Flags & FlagSuper) != 0 ? 'S' : '-')}{((Flags & FlagGrowsDown) != 0 ? 'D' : (Flags & FlagGrowsUp) != 0 ? 'U' : '-')}";

    public static string TypeName(int type) => type switch
    {
        0 => "none", 1 => "default", 2 => "vnode", 3 => "swap", 4 => "device", 5 => "phys", 6 => "dead", 7 => "sg", 8 => "mgtdevice", 255 => "unknown", _ => $"type {type}",
    };

    /// <summary>
    /// The mapping in the model's words: default and swap objects are the process's own memory,
    /// vnodes are files, device, phys, sg and managed-device objects are devices' memory.
    /// </summary>
    public Mapping ToMapping() => new(Start, End, Offset, (MappingProtection)(Protection & (ProtRead | ProtWrite | ProtExec)), Type switch
    {
        TypeDefault or TypeSwap => MappingKind.Anonymous,
        TypeVnode => MappingKind.File,
        TypeDevice or TypePhys or TypeSg or TypeMgtDevice => MappingKind.Device,
        _ => MappingKind.Other,
    }, Path)
    {
        NoCoreDump = (Flags & FlagNoCoreDump) != 0,
        FreeBsd = this,
    };

    /// <summary>
    /// The record in <paramref name="record"/>, read where it lies (the core's mapping: readable
    /// until it is disposed): its fixed part (<see cref="PathOffset"/> bytes) at least, then as
    /// much of kve_path as the packed record keeps.
    /// </summary>
    public static KinfoVmEntry Parse(ReadOnlyMemory<byte> record) => record.Length >= PathOffset
        ? new(record[..Math.Min(record.Length, FullSize)])
        : throw new ArgumentException($"a kinfo_vmentry record is at least {PathOffset} bytes, not {record.Length}", nameof(record));
}
