namespace CoreSleuth.Testing.Cores;

/// <summary>siginfo_t, 80 bytes (spec §3.6).</summary>
public sealed record SigInfo
{
    public int Signo { get; init; }
    public int Errno { get; init; }
    public int Code { get; init; }
    public int Pid { get; init; }
    public uint Uid { get; init; }
    public int Status { get; init; }
    public ulong Addr { get; init; }
    public ulong Value { get; init; }
    /// <summary>First int of the _reason union at 40 (_fault._trapno, _timer._timerid, _mesgq._mqd …).</summary>
    public int Trapno { get; init; }

    public const int Size = 80;

    public static SigInfo None { get; } = new();

    internal void Encode(Span<byte> b, int off)
    {
        Le.I32(b, off + 0, Signo);
        Le.I32(b, off + 4, Errno);
        Le.I32(b, off + 8, Code);
        Le.I32(b, off + 12, Pid);
        Le.U32(b, off + 16, Uid);
        Le.I32(b, off + 20, Status);
        Le.U64(b, off + 24, Addr);
        Le.U64(b, off + 32, Value);
        Le.I32(b, off + 40, Trapno);
    }
}

/// <summary>
/// struct ptrace_lwpinfo of NT_PTLWPINFO (spec §3.6); pl_lwpid is the thread's LWP. Null
/// members take the thread's values (sigmask/siglist from its kinfo_proc, name from THRMISC).
/// </summary>
public sealed record LwpInfo
{
    public int Event { get; init; } = PlEvent.None;
    public int Flags { get; init; }
    public SigSet? SigMask { get; init; }
    public SigSet? SigList { get; init; }
    public SigInfo SigInfo { get; init; } = SigInfo.None;
    public string? TdName { get; init; }
    public int ChildPid { get; init; }
    public int SyscallCode { get; init; }
    public int SyscallNarg { get; init; }
    /// <summary>The 4-byte prefix of the note (sizeof(struct ptrace_lwpinfo) = 160 on 12+).</summary>
    public int StructSize { get; init; } = Cores.StructSize.PtLwpInfo;
    /// <summary>For round trips of real cores: a 160-byte image the fields are written over.</summary>
    public byte[]? Raw { get; init; }

    public static LwpInfo None { get; } = new();
}
