namespace CoreSleuth.Testing.Cores;

/// <summary>
/// One kinfo_file record of NT_PROCSTAT_FILES (spec §5). The union at 32–47 and 288–335 has
/// per-type views; every slot is a property named after its file view, with init-only aliases
/// for the socket and pipe views that store into the same slot.
/// </summary>
public sealed record OpenFileSpec
{
    public int Type { get; init; } = KfType.Vnode;
    /// <summary>Descriptor number, or a negative special (<see cref="KfFd"/>).</summary>
    public int Fd { get; init; }
    public int RefCount { get; init; } = 1;
    public int Flags { get; init; } = KfFlags.Read;
    /// <summary>kf_offset; -1 when not meaningful.</summary>
    public long Offset { get; init; }

    /// <summary>Slot at 32: kf_vnode_type (compat view); aliases <see cref="SockSendQ"/>, <see cref="FileType"/>.</summary>
    public int VnodeType { get; init; }
    public int SockDomain { get; init; }
    public int SockType { get; init; }
    public int SockProtocol { get; init; }
    /// <summary>kf_sa_local, up to 128 raw bytes (sockaddr: u8 len, u8 family, …).</summary>
    public byte[]? SaLocal { get; init; }
    /// <summary>kf_sa_peer, up to 128 raw bytes.</summary>
    public byte[]? SaPeer { get; init; }

    /// <summary>64-bit kf_file_fsid at 288 (12+ only).</summary>
    public ulong FileFsid { get; init; }
    /// <summary>64-bit kf_file_rdev at 296 (12+ only).</summary>
    public ulong FileRdev { get; init; }
    /// <summary>Slot at 304: kf_file_fileid; aliases <see cref="SockPcb"/>, <see cref="PipeAddr"/>.</summary>
    public ulong FileFileId { get; init; }
    /// <summary>Slot at 312: kf_file_size; aliases <see cref="SockInpcb"/>, <see cref="PipePeer"/>.</summary>
    public ulong FileSize { get; init; }
    /// <summary>Slot at 320: kf_file_fsid_freebsd11. Null = low 32 bits of <see cref="FileFsid"/> (what the kernel stores). Aliases <see cref="PipeBufferCount"/>.</summary>
    public uint? FileFsidFreeBsd11 { get; init; }
    /// <summary>Slot at 324: kf_file_rdev_freebsd11. Null = low 32 bits of <see cref="FileRdev"/>.</summary>
    public uint? FileRdevFreeBsd11 { get; init; }
    /// <summary>Slot at 328: kf_file_mode; aliases <see cref="SockSndSbState"/>.</summary>
    public ushort FileMode { get; init; }
    /// <summary>Slot at 330: kf_sock_rcv_sb_state.</summary>
    public ushort SockRcvSbState { get; init; }
    /// <summary>Slot at 332: kf_sock_recvq (12+).</summary>
    public uint SockRecvQ { get; init; }

    /// <summary>kf_status (KF_ATTR_VALID 1 by default, as in the corpus cores).</summary>
    public ushort Status { get; init; } = 1;
    /// <summary>kf_cap_rights, 16 bytes. Null = CAP_ALL for descriptors ≥ 0 and no rights for the negative specials (values of the corpus cores).</summary>
    public byte[]? CapRights { get; init; }
    public string Path { get; init; } = "";

    /// <summary>For round trips of real cores: a kinfo_file image (≥ the record length) the fields are written over.</summary>
    public byte[]? Raw { get; init; }

    // Aliases: other views of the same union slots (spec §5 table).
    public int SockSendQ { get => VnodeType; init => VnodeType = value; }
    public int FileType { get => VnodeType; init => VnodeType = value; }
    public ulong SockPcb { get => FileFileId; init => FileFileId = value; }
    public ulong PipeAddr { get => FileFileId; init => FileFileId = value; }
    public ulong SockInpcb { get => FileSize; init => FileSize = value; }
    public ulong PipePeer { get => FileSize; init => FileSize = value; }
    /// <summary>kf_sock_unpconn: 8 bytes at 320 (the two 32-bit slots).</summary>
    public ulong SockUnpConn
    {
        get => (ulong)(FileFsidFreeBsd11 ?? 0) | ((ulong)(FileRdevFreeBsd11 ?? 0) << 32);
        init { FileFsidFreeBsd11 = (uint)value; FileRdevFreeBsd11 = (uint)(value >> 32); }
    }
    public uint PipeBufferCount { get => FileFsidFreeBsd11 ?? 0; init => FileFsidFreeBsd11 = value; }
    public ushort SockSndSbState { get => FileMode; init => FileMode = value; }

    /// <summary>cap_rights_t with every right (CAP_ALL), as the corpus cores show for ordinary descriptors.</summary>
    public static byte[] CapAll => Convert.FromHexString("ffffffffff070002ffff1f0000000004");
    /// <summary>An empty cap_rights_t (version markers only), as shown for cwd/root/text/ctty.</summary>
    public static byte[] CapNone => Convert.FromHexString("00000000000000020000000000000004");

    /// <summary>A vnode descriptor for a file (VREG) or FIFO (VFIFO, spec §5).</summary>
    public static OpenFileSpec Vnode(int fd, string path, int vnodeType = Cores.VnodeType.VReg, int flags = KfFlags.Read, long offset = 0) =>
        new() { Type = KfType.Vnode, Fd = fd, Path = path, VnodeType = vnodeType, Flags = flags, Offset = offset };
}
