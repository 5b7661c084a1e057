using System.Buffers.Binary;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// Raised inside the CFI parsers when untrusted bytes are malformed; every public entry point
/// catches it and turns it into an error value, so callers never see it.
/// </summary>
internal sealed class CfiFormatException(string message) : Exception(message);

/// <summary>
/// DW_EH_PE pointer encodings (LSB "Linux Standard Base Core Specification", .eh_frame;
/// same values in GCC's unwind-pe.h): low nibble = value format, bits 4–6 = what it is
/// relative to, bit 7 = indirect, 0xff = omitted.
/// </summary>
public static class EhPointerEncoding
{
    public const byte Absptr = 0x00, Uleb128 = 0x01, Udata2 = 0x02, Udata4 = 0x03, Udata8 = 0x04,
        Sleb128 = 0x09, Sdata2 = 0x0a, Sdata4 = 0x0b, Sdata8 = 0x0c;
    public const byte PcRel = 0x10, TextRel = 0x20, DataRel = 0x30, FuncRel = 0x40, Aligned = 0x50;
    public const byte Indirect = 0x80, Omit = 0xff;

    /// <summary>Size in bytes of a fixed-size format, or 0 for LEB128 and unknown formats.</summary>
    public static int FixedSize(byte encoding) => (encoding & 0x0f) switch
    {
        Absptr => 8,
        Udata2 or Sdata2 => 2,
        Udata4 or Sdata4 => 4,
        Udata8 or Sdata8 => 8,
        _ => 0,
    };
}

/// <summary>The bases that relative pointer encodings refer to (link-time addresses of the image).</summary>
internal readonly record struct EhBases(ulong Text, ulong Data, ulong Function);

/// <summary>
/// A bounds-checked cursor over bytes that sit at a known link-time address. Every read past
/// the end, every over-long LEB128 and every unknown encoding raises <see cref="CfiFormatException"/>.
/// </summary>
internal ref struct CfiReader(ReadOnlySpan<byte> bytes, ulong address)
{
    private readonly ReadOnlySpan<byte> bytes = bytes;

    public int Position;
    public readonly ulong BaseAddress = address;
    public readonly int Length => bytes.Length;
    public readonly int Remaining => bytes.Length - Position;
    public readonly bool AtEnd => Position >= bytes.Length;
    public readonly ulong Address => BaseAddress + (ulong)Position;

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new CfiFormatException($"{count} bytes needed at 0x{Address:x} but only {Math.Max(0, Remaining)} remain");
        var s = bytes.Slice(Position, count);
        Position += count;
        return s;
    }

    public byte U8() => Take(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public ulong Uleb()
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = U8();
            if (shift >= 64 || (shift == 63 && (b & 0x7e) != 0))
                throw new CfiFormatException($"ULEB128 at 0x{Address - 1:x} does not fit in 64 bits");
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }

    public long Sleb()
    {
        long result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = U8();
            if (shift >= 64) throw new CfiFormatException($"SLEB128 at 0x{Address - 1:x} does not fit in 64 bits");
            result |= (long)(b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) result |= -1L << shift;
        return result;
    }

    /// <summary>A ULEB128 that must fit a non-negative int (lengths, register numbers).</summary>
    public int UlebInt(string what)
    {
        ulong v = Uleb();
        if (v > int.MaxValue) throw new CfiFormatException($"{what} {v} is out of range");
        return (int)v;
    }

    /// <summary>
    /// Reads a pointer in <paramref name="encoding"/> and applies its base. Indirect pointers
    /// are left as the address of the pointer (<paramref name="indirect"/> is set): the
    /// caller dereferences it in the image when it needs the value.
    /// </summary>
    public ulong Pointer(byte encoding, in EhBases bases, out bool indirect)
    {
        if (encoding == EhPointerEncoding.Omit) throw new CfiFormatException("an omitted pointer cannot be read");
        ulong fieldAddress = Address;
        int application = encoding & 0x70;
        if (application == EhPointerEncoding.Aligned)
        {
            // Aligned: pad to the pointer size from the field's address, then an absolute pointer.
            int pad = (int)((8 - (fieldAddress & 7)) & 7);
            Take(pad);
            indirect = (encoding & EhPointerEncoding.Indirect) != 0;
            return U64();
        }
        ulong value = Value(encoding);
        ulong baseAddress = application switch
        {
            0 => 0,
            EhPointerEncoding.PcRel => fieldAddress,
            EhPointerEncoding.TextRel => bases.Text,
            EhPointerEncoding.DataRel => bases.Data,
            EhPointerEncoding.FuncRel => bases.Function,
            _ => throw new CfiFormatException($"pointer encoding 0x{encoding:x2} at 0x{fieldAddress:x} has an unknown application 0x{application:x2}"),
        };
        indirect = (encoding & EhPointerEncoding.Indirect) != 0;
        return unchecked(value + baseAddress);
    }

    /// <summary>The raw value of a pointer field, no base applied (FDE address ranges).</summary>
    public ulong Value(byte encoding) => (encoding & 0x0f) switch
    {
        EhPointerEncoding.Absptr => U64(),
        EhPointerEncoding.Uleb128 => Uleb(),
        EhPointerEncoding.Udata2 => U16(),
        EhPointerEncoding.Udata4 => U32(),
        EhPointerEncoding.Udata8 => U64(),
        EhPointerEncoding.Sleb128 => unchecked((ulong)Sleb()),
        EhPointerEncoding.Sdata2 => unchecked((ulong)(long)(short)U16()),
        EhPointerEncoding.Sdata4 => unchecked((ulong)(long)(int)U32()),
        EhPointerEncoding.Sdata8 => U64(),
        _ => throw new CfiFormatException($"pointer encoding 0x{encoding:x2} at 0x{Address:x} has an unknown format"),
    };

    /// <summary>A NUL-terminated ASCII string of at most <paramref name="max"/> bytes.</summary>
    public string CString(int max)
    {
        var rest = bytes[Position..];
        int nul = rest[..Math.Min(rest.Length, max + 1)].IndexOf((byte)0);
        if (nul < 0) throw new CfiFormatException($"string at 0x{Address:x} is not terminated within {max} bytes");
        string s = System.Text.Encoding.ASCII.GetString(rest[..nul]);
        Position += nul + 1;
        return s;
    }
}
