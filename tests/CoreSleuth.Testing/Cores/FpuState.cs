namespace CoreSleuth.Testing.Cores;

/// <summary>
/// struct fpreg = the 512-byte FXSAVE image of NT_FPREGSET (spec §3.3). Defaults are the
/// x87/SSE reset values seen in real cores (FCW 0x37F, MXCSR 0x1F80, MXCSR_MASK 0xFFFF).
/// </summary>
public sealed record FpuState
{
    public ushort Fcw { get; init; } = 0x037f;
    public ushort Fsw { get; init; }
    /// <summary>Abridged (8-bit) tag word at offset 4.</summary>
    public byte Ftw { get; init; }
    public ushort Fop { get; init; }
    public ulong Fip { get; init; }
    public ulong Fdp { get; init; }
    public uint Mxcsr { get; init; } = 0x1f80;
    public uint MxcsrMask { get; init; } = 0xffff;

    /// <summary>ST0..ST7: up to 8 entries of 10 raw bytes (80-bit values; up to 16 to set the slot's reserved bytes too), written at 32 + 16·i.</summary>
    public IReadOnlyList<byte[]> St { get; init; } = [];

    /// <summary>XMM0..XMM15: up to 16 entries of 16 bytes, written at 160 + 16·i.</summary>
    public IReadOnlyList<byte[]> Xmm { get; init; } = [];

    /// <summary>
    /// For round trips of real cores: a 512-byte image the fields are written over (reserved
    /// bytes, fpr_spare). Null = zeros, as every producer writes them.
    /// </summary>
    public byte[]? Raw { get; init; }

    public const int Size = 512;

    public static FpuState Reset { get; } = new();

    /// <summary>An XMM register value from two 64-bit halves (low half first, as LLDB prints doubles).</summary>
    public static byte[] Xmm128(ulong low, ulong high = 0)
    {
        var b = new byte[16];
        Le.U64(b, 0, low);
        Le.U64(b, 8, high);
        return b;
    }

    public byte[] ToBytes()
    {
        var b = Le.Image(Size, Raw, "FpuState");
        Le.U16(b, 0, Fcw);
        Le.U16(b, 2, Fsw);
        Le.U8(b, 4, Ftw);
        Le.U16(b, 6, Fop);
        Le.U64(b, 8, Fip);
        Le.U64(b, 16, Fdp);
        Le.U32(b, 24, Mxcsr);
        Le.U32(b, 28, MxcsrMask);
        if (St.Count > 8) throw new ArgumentException("FpuState.St holds at most 8 registers");
        for (int i = 0; i < St.Count; i++)
            Le.Bytes(b, 32 + 16 * i, 16, St[i], $"ST{i}");
        if (Xmm.Count > 16) throw new ArgumentException("FpuState.Xmm holds at most 16 registers");
        for (int i = 0; i < Xmm.Count; i++)
            Le.Bytes(b, 160 + 16 * i, 16, Xmm[i], $"XMM{i}");
        return b;
    }
}

/// <summary>
/// The raw XSAVE area of NT_X86_XSTATE (spec §3.8). Bytes 0–511 repeat the thread's FXSAVE
/// image (<see cref="FpuState"/>), XCR0 is stored at 464, the XSAVE header (XSTATE_BV at 512,
/// XCOMP_BV at 520) follows, and the AVX upper halves start at 576.
/// </summary>
public sealed record XSaveArea
{
    /// <summary>Total length = the CPU's maximum XSAVE size (832 with AVX).</summary>
    public int Length { get; init; } = StructSize.XSaveAvx;
    /// <summary>Stored at byte 464 (X86_XSTATE_XCR0_OFFSET). 7 = x87|SSE|AVX.</summary>
    public ulong Xcr0 { get; init; } = 7;
    public ulong XStateBv { get; init; } = 7;
    public ulong XCompBv { get; init; }
    /// <summary>YMM0..YMM15 upper 128 bits: up to 16 entries of 16 bytes at 576 + 16·i.</summary>
    public IReadOnlyList<byte[]> YmmHigh { get; init; } = [];
    /// <summary>For round trips of real cores: an image of <see cref="Length"/> bytes the fields are written over.</summary>
    public byte[]? Raw { get; init; }

    public const int Xcr0Offset = 464;
    public const int HeaderOffset = 512;
    public const int YmmHighOffset = 576;

    public byte[] ToBytes(FpuState legacy)
    {
        if (Length < YmmHighOffset)
            throw new ArgumentException($"an XSAVE area is at least {YmmHighOffset} bytes (legacy area + header)");
        var b = Le.Image(Length, Raw, "XSaveArea");
        // The legacy area is the same FXSAVE image as NT_FPREGSET except the software-reserved
        // bytes, where FreeBSD keeps XCR0 (checked on the 13.x/14.x corpus cores).
        var fx = legacy.ToBytes();
        fx.AsSpan(0, Xcr0Offset).CopyTo(b);
        if (Raw is null)
            fx.AsSpan(Xcr0Offset, FpuState.Size - Xcr0Offset).CopyTo(b.AsSpan(Xcr0Offset));
        Le.U64(b, Xcr0Offset, Xcr0);
        Le.U64(b, HeaderOffset, XStateBv);
        Le.U64(b, HeaderOffset + 8, XCompBv);
        if (YmmHigh.Count > 16) throw new ArgumentException("XSaveArea.YmmHigh holds at most 16 registers");
        for (int i = 0; i < YmmHigh.Count; i++)
        {
            if (YmmHighOffset + 16 * (i + 1) > Length) throw new ArgumentException($"YMM{i} upper half lies beyond the XSAVE length {Length}");
            Le.Bytes(b, YmmHighOffset + 16 * i, 16, YmmHigh[i], $"YMM{i} upper half");
        }
        return b;
    }
}
