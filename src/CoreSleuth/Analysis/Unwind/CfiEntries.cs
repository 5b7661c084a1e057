namespace CoreSleuth.Analysis.Unwind;

/// <summary>A value or the reason there is none: CFI lookups never throw on bad input.</summary>
public readonly record struct CfiResult<T>(T? Value, string? Error) where T : class
{
    public bool IsSuccess => Value is not null;

    public static CfiResult<T> Success(T value) => new(value, null);
    public static CfiResult<T> Failure(string error) => new(null, error);

    public override string ToString() => Value?.ToString() ?? $"error: {Error}";
}

/// <summary>
/// A Common Information Entry of <c>.eh_frame</c> (LSB Core spec "The .eh_frame section";
/// DWARF 4 §6.4.1). Addresses are the image's link-time addresses.
/// </summary>
/// <param name="Address">Where the CIE's length field is.</param>
/// <param name="FdeEncoding">Augmentation "R": how FDE addresses are encoded (absptr when absent).</param>
/// <param name="LsdaEncoding">Augmentation "L": how the FDE's LSDA pointer is encoded (omit when absent).</param>
/// <param name="Personality">Augmentation "P": the personality routine (or, when <paramref name="PersonalityIndirect"/>, where its address is stored).</param>
/// <param name="IsSignalFrame">Augmentation "S": frames of this CIE were interrupted asynchronously (their pc is exact, not a return address).</param>
public sealed record Cie(
    ulong Address, int Version, string Augmentation, ulong CodeAlignment, long DataAlignment, int ReturnAddressRegister,
    byte FdeEncoding, byte LsdaEncoding, byte PersonalityEncoding, ulong? Personality, bool PersonalityIndirect, bool IsSignalFrame,
    ReadOnlyMemory<byte> Instructions, ulong InstructionsAddress)
{
    public bool HasAugmentationData => Augmentation.Contains('z');
}

/// <summary>A Frame Description Entry: the CFI of one code range [<see cref="PcBegin"/>, <see cref="PcEnd"/>).</summary>
public sealed record Fde(ulong Address, Cie Cie, ulong PcBegin, ulong PcEnd, ulong? Lsda, ReadOnlyMemory<byte> Instructions, ulong InstructionsAddress)
{
    public bool Contains(ulong pc) => pc >= PcBegin && pc < PcEnd;

    public override string ToString() => $"FDE at 0x{Address:x} for [0x{PcBegin:x}, 0x{PcEnd:x})";
}

/// <summary>One record met while walking <c>.eh_frame</c> in order: a CIE, an FDE, or a record that failed to parse.</summary>
public sealed record EhFrameEntry(ulong Address, Cie? Cie, Fde? Fde, string? Error);

/// <summary>One row of the <c>.eh_frame_hdr</c> binary-search table (initial location → FDE address).</summary>
public readonly record struct EhFrameTableEntry(ulong InitialLocation, ulong FdeAddress);

/// <summary>
/// The decoded <c>.eh_frame_hdr</c> (LSB Core spec ".eh_frame_hdr"): version 1, the encodings
/// of its three fields, the address of <c>.eh_frame</c>, and the sorted search table.
/// </summary>
public sealed record EhFrameHeader(
    ulong Address, byte Version, byte EhFramePointerEncoding, byte FdeCountEncoding, byte TableEncoding,
    ulong EhFrameAddress, IReadOnlyList<EhFrameTableEntry> Table, string? TableProblem);
