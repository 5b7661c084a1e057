namespace CoreSleuth.Testing.Images;

/// <summary>DWARF register numbers of x86-64 (System V psABI, figure 3.36).</summary>
internal static class DwarfRegister
{
    public const int Rax = 0, Rdx = 1, Rcx = 2, Rbx = 3, Rsi = 4, Rdi = 5, Rbp = 6, Rsp = 7;
    public const int R12 = 12, R13 = 13, R14 = 14, R15 = 15, ReturnAddress = 16;

    public static int Of(CalleeSavedRegister register) => register switch
    {
        CalleeSavedRegister.Rbx => Rbx,
        CalleeSavedRegister.Rbp => Rbp,
        CalleeSavedRegister.R12 => R12,
        CalleeSavedRegister.R13 => R13,
        CalleeSavedRegister.R14 => R14,
        CalleeSavedRegister.R15 => R15,
        _ => throw new ArgumentOutOfRangeException(nameof(register)),
    };
}

internal enum CfiOpKind
{
    DefCfa,
    DefCfaOffset,
    DefCfaRegister,
    Offset,
    Undefined,
}

/// <summary>One CFA rule change taking effect at <see cref="CodeOffset"/> bytes into the function.</summary>
internal sealed record CfiOp(int CodeOffset, CfiOpKind Kind, int Register = 0, int Value = 0);

/// <summary>Encodes CFI rules as DWARF call-frame instructions (DWARF 4 §6.4.2).</summary>
internal static class CfiEncoder
{
    private const byte AdvanceLoc = 0x40, Offset = 0x80, AdvanceLoc1 = 0x02, AdvanceLoc2 = 0x03, AdvanceLoc4 = 0x04;
    private const byte DefCfa = 0x0c, DefCfaRegister = 0x0d, DefCfaOffset = 0x0e, Undefined = 0x07, OffsetExtended = 0x05;

    /// <summary>Data alignment factor of the CIE (−8): DW_CFA_offset operands are multiples of it.</summary>
    public const int DataAlignment = -8;

    public static void Encode(ByteBuffer output, IEnumerable<CfiOp> ops)
    {
        var location = 0;
        foreach (var op in ops.OrderBy(o => o.CodeOffset))
        {
            var delta = op.CodeOffset - location;
            if (delta < 0)
            {
                throw new InvalidOperationException("CFI operations out of order");
            }

            if (delta > 0)
            {
                if (delta < 0x40)
                {
                    output.U8((byte)(AdvanceLoc | delta));
                }
                else if (delta <= byte.MaxValue)
                {
                    output.U8(AdvanceLoc1);
                    output.U8((byte)delta);
                }
                else if (delta <= ushort.MaxValue)
                {
                    output.U8(AdvanceLoc2);
                    output.U16((ushort)delta);
                }
                else
                {
                    output.U8(AdvanceLoc4);
                    output.U32((uint)delta);
                }

                location = op.CodeOffset;
            }

            switch (op.Kind)
            {
                case CfiOpKind.DefCfa:
                    output.U8(DefCfa);
                    output.Uleb((ulong)op.Register);
                    output.Uleb((ulong)op.Value);
                    break;
                case CfiOpKind.DefCfaOffset:
                    output.U8(DefCfaOffset);
                    output.Uleb((ulong)op.Value);
                    break;
                case CfiOpKind.DefCfaRegister:
                    output.U8(DefCfaRegister);
                    output.Uleb((ulong)op.Register);
                    break;
                case CfiOpKind.Offset:
                    if (op.Value % DataAlignment != 0 || op.Value >= 0)
                    {
                        throw new InvalidOperationException($"register save offset {op.Value} is not a negative multiple of 8");
                    }

                    var factored = (ulong)(op.Value / DataAlignment);
                    if (op.Register < 0x40)
                    {
                        output.U8((byte)(Offset | op.Register));
                    }
                    else
                    {
                        output.U8(OffsetExtended);
                        output.Uleb((ulong)op.Register);
                    }

                    output.Uleb(factored);
                    break;
                case CfiOpKind.Undefined:
                    output.U8(Undefined);
                    output.Uleb((ulong)op.Register);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(ops));
            }
        }
    }
}
