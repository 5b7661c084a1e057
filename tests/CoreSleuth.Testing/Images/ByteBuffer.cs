using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Testing.Images;

/// <summary>A growable little-endian byte buffer for writing ELF and DWARF structures.</summary>
internal sealed class ByteBuffer
{
    private byte[] _bytes = new byte[256];

    public int Length { get; private set; }

    private Span<byte> Grow(int count)
    {
        if (Length + count > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + count));
        }

        var span = _bytes.AsSpan(Length, count);
        Length += count;
        return span;
    }

    public void U8(byte value) => Grow(1)[0] = value;

    public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Grow(2), value);

    public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), value);

    public void I32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Grow(4), value);

    public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);

    public void I64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Grow(8), value);

    public void Bytes(ReadOnlySpan<byte> data) => data.CopyTo(Grow(data.Length));

    public void CString(string text)
    {
        Bytes(Encoding.UTF8.GetBytes(text));
        U8(0);
    }

    public void Zeros(int count) => Grow(count).Clear();

    public void Align(int alignment, byte fill = 0)
    {
        while (Length % alignment != 0)
        {
            U8(fill);
        }
    }

    public void PadTo(int length)
    {
        if (length < Length)
        {
            throw new InvalidOperationException($"buffer already {Length} bytes, cannot pad to {length}");
        }

        Zeros(length - Length);
    }

    public void Uleb(ulong value)
    {
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            U8(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
    }

    public void Sleb(long value)
    {
        while (true)
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            var done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
            U8(done ? b : (byte)(b | 0x80));
            if (done)
            {
                return;
            }
        }
    }

    public void PatchU32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset, 4), value);

    public void PatchI32(int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(offset, 4), value);

    public byte[] ToArray() => _bytes.AsSpan(0, Length).ToArray();
}
