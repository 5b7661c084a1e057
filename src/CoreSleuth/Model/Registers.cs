using System.Buffers.Binary;

namespace CoreSleuth.Model;

/// <summary>
/// amd64 <c>struct reg</c>, the saved trapframe of a thread (spec §3.2, 176 bytes).
/// For a thread asleep in a syscall, rax is the syscall number and rcx the fourth argument (spec §7.2).
/// </summary>
public sealed record Registers(
    ulong R15, ulong R14, ulong R13, ulong R12, ulong R11, ulong R10, ulong R9, ulong R8,
    ulong Rdi, ulong Rsi, ulong Rbp, ulong Rbx, ulong Rdx, ulong Rcx, ulong Rax,
    uint TrapNo, ushort Fs, ushort Gs, uint Err, ushort Es, ushort Ds,
    ulong Rip, ulong Cs, ulong Rflags, ulong Rsp, ulong Ss)
{
    public const int Size = 176;

    public static Registers Parse(ReadOnlySpan<byte> r) => new(
        U64(r, 0), U64(r, 8), U64(r, 16), U64(r, 24), U64(r, 32), U64(r, 40), U64(r, 48), U64(r, 56),
        U64(r, 64), U64(r, 72), U64(r, 80), U64(r, 88), U64(r, 96), U64(r, 104), U64(r, 112),
        BinaryPrimitives.ReadUInt32LittleEndian(r[120..]), U16(r, 124), U16(r, 126),
        BinaryPrimitives.ReadUInt32LittleEndian(r[128..]), U16(r, 132), U16(r, 134),
        U64(r, 136), U64(r, 144), U64(r, 152), U64(r, 160), U64(r, 168));

    /// <summary>gdb's names of the general registers, in its <c>info registers</c> order (<see cref="General"/>).</summary>
    public static IReadOnlyList<string> GeneralNames { get; } =
    [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
        "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss", "ds", "es", "fs", "gs",
    ];

    /// <summary>The value of the general register <see cref="GeneralNames"/>[<paramref name="index"/>]: read without listing them all (a report of ten thousand threads shows each thread's).</summary>
    public ulong GeneralValue(int index) => index switch
    {
        0 => Rax, 1 => Rbx, 2 => Rcx, 3 => Rdx, 4 => Rsi, 5 => Rdi, 6 => Rbp, 7 => Rsp, 8 => R8, 9 => R9, 10 => R10, 11 => R11,
        12 => R12, 13 => R13, 14 => R14, 15 => R15, 16 => Rip, 17 => Rflags, 18 => Cs, 19 => Ss, 20 => Ds, 21 => Es, 22 => Fs, 23 => Gs,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>The general registers in gdb's <c>info registers</c> order, with gdb's names.</summary>
    public IReadOnlyList<(string Name, ulong Value)> General => [.. GeneralNames.Select((name, i) => (name, GeneralValue(i)))];

    /// <summary>The trapframe fields that are not registers: trap number and error code (2 after a syscall entry, spec §7.2).</summary>
    public IReadOnlyList<(string Name, ulong Value)> Trap => [("trapno", TrapNo), ("err", Err)];

    private static ulong U64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);
    private static ushort U16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
}

/// <summary>
/// <c>struct fpreg</c>, the FXSAVE image (spec §3.3): x87 environment and stack, MXCSR, xmm0–15.
/// When NT_X86_XSTATE carries AVX state, <see cref="YmmHigh"/> holds the upper halves of ymm0–15.
/// </summary>
public sealed record FpState(
    ushort Fcw, ushort Fsw, byte Ftw, ushort Fop, ulong Fip, ulong Fdp, uint Mxcsr, uint MxcsrMask,
    IReadOnlyList<byte[]> St, IReadOnlyList<byte[]> Xmm)
{
    public const int Size = 512;

    /// <summary>Upper 128 bits of ymm0–15, when XSTATE has the AVX component; else null.</summary>
    public IReadOnlyList<byte[]>? YmmHigh { get; init; }

    public static FpState Parse(ReadOnlySpan<byte> f)
    {
        var st = new byte[8][];
        for (int i = 0; i < 8; i++) st[i] = f.Slice(32 + 16 * i, 10).ToArray();
        var xmm = new byte[16][];
        for (int i = 0; i < 16; i++) xmm[i] = f.Slice(160 + 16 * i, 16).ToArray();
        return new FpState(
            BinaryPrimitives.ReadUInt16LittleEndian(f), BinaryPrimitives.ReadUInt16LittleEndian(f[2..]), f[4],
            BinaryPrimitives.ReadUInt16LittleEndian(f[6..]), BinaryPrimitives.ReadUInt64LittleEndian(f[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(f[16..]), BinaryPrimitives.ReadUInt32LittleEndian(f[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(f[28..]), st, xmm);
    }
}

/// <summary>The XSAVE area of NT_X86_XSTATE (spec §3.8).</summary>
public sealed record XState(int Length, ulong Xcr0, ulong XStateBv, IReadOnlyList<byte[]>? YmmHigh)
{
    public const int Xcr0Offset = 464, HeaderOffset = 512, AvxOffset = 576;

    /// <summary>
    /// XCOMP_BV, the second word of the XSAVE header (spec §3.8: header at 512): bit 63 set
    /// means the compacted format (XSAVEC/XSAVES); 0 for the standard format. Kept so the
    /// whole header is known; 0 when the area is too short to hold it.
    /// </summary>
    public ulong XCompBv { get; init; }

    /// <summary>XCR0/XSTATE_BV bit 2: the AVX (ymm upper halves) component.</summary>
    public const ulong AvxBit = 1 << 2;

    public static XState Parse(ReadOnlySpan<byte> x)
    {
        ulong xcr0 = x.Length >= Xcr0Offset + 8 ? BinaryPrimitives.ReadUInt64LittleEndian(x[Xcr0Offset..]) : 0;
        ulong bv = x.Length >= HeaderOffset + 8 ? BinaryPrimitives.ReadUInt64LittleEndian(x[HeaderOffset..]) : 0;
        byte[][]? ymm = null;
        if ((xcr0 & AvxBit) != 0 && x.Length >= AvxOffset + 256)
        {
            ymm = new byte[16][];
            for (int i = 0; i < 16; i++)
                ymm[i] = (bv & AvxBit) != 0 ? x.Slice(AvxOffset + 16 * i, 16).ToArray() : new byte[16]; // init state is zero
        }
        ulong xcomp = x.Length >= HeaderOffset + 16 ? BinaryPrimitives.ReadUInt64LittleEndian(x[(HeaderOffset + 8)..]) : 0;
        return new XState(x.Length, xcr0, bv, ymm) { XCompBv = xcomp };
    }
}
