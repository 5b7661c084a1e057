namespace CoreSleuth.Testing.Cores;

/// <summary>
/// struct reg (gregset_t), 176 bytes, all 26 fields in declaration order (spec §3.2).
/// Defaults are the user-mode selectors every real amd64 core shows (cs 0x43, ss/ds/es 0x3b,
/// fs 0x13, gs 0x1b) and rflags 0x202 (IF set).
/// </summary>
public sealed record Registers
{
    public ulong R15 { get; init; }
    public ulong R14 { get; init; }
    public ulong R13 { get; init; }
    public ulong R12 { get; init; }
    public ulong R11 { get; init; }
    public ulong R10 { get; init; }
    public ulong R9 { get; init; }
    public ulong R8 { get; init; }
    public ulong Rdi { get; init; }
    public ulong Rsi { get; init; }
    public ulong Rbp { get; init; }
    public ulong Rbx { get; init; }
    public ulong Rdx { get; init; }
    public ulong Rcx { get; init; }
    public ulong Rax { get; init; }
    public uint Trapno { get; init; }
    public ushort Fs { get; init; } = 0x13;
    public ushort Gs { get; init; } = 0x1b;
    public uint Err { get; init; }
    public ushort Es { get; init; } = 0x3b;
    public ushort Ds { get; init; } = 0x3b;
    public ulong Rip { get; init; }
    public ulong Cs { get; init; } = 0x43;
    public ulong Rflags { get; init; } = 0x202;
    public ulong Rsp { get; init; }
    public ulong Ss { get; init; } = 0x3b;

    public const int Size = 176;

    /// <summary>Writes the 176-byte struct reg at <paramref name="off"/> (offsets of spec §3.2).</summary>
    public void Encode(Span<byte> b, int off)
    {
        Le.U64(b, off + 0, R15);
        Le.U64(b, off + 8, R14);
        Le.U64(b, off + 16, R13);
        Le.U64(b, off + 24, R12);
        Le.U64(b, off + 32, R11);
        Le.U64(b, off + 40, R10);
        Le.U64(b, off + 48, R9);
        Le.U64(b, off + 56, R8);
        Le.U64(b, off + 64, Rdi);
        Le.U64(b, off + 72, Rsi);
        Le.U64(b, off + 80, Rbp);
        Le.U64(b, off + 88, Rbx);
        Le.U64(b, off + 96, Rdx);
        Le.U64(b, off + 104, Rcx);
        Le.U64(b, off + 112, Rax);
        Le.U32(b, off + 120, Trapno);
        Le.U16(b, off + 124, Fs);
        Le.U16(b, off + 126, Gs);
        Le.U32(b, off + 128, Err);
        Le.U16(b, off + 132, Es);
        Le.U16(b, off + 134, Ds);
        Le.U64(b, off + 136, Rip);
        Le.U64(b, off + 144, Cs);
        Le.U64(b, off + 152, Rflags);
        Le.U64(b, off + 160, Rsp);
        Le.U64(b, off + 168, Ss);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        Encode(b, 0);
        return b;
    }
}
