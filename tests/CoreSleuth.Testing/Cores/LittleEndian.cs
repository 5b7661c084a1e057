using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Testing.Cores;

/// <summary>Little-endian field stores into a structure image (amd64 is little-endian throughout, spec preamble).</summary>
internal static class Le
{
    public static void U8(Span<byte> b, int off, byte v) => b[off] = v;
    public static void U16(Span<byte> b, int off, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b[off..], v);
    public static void I16(Span<byte> b, int off, short v) => BinaryPrimitives.WriteInt16LittleEndian(b[off..], v);
    public static void U32(Span<byte> b, int off, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b[off..], v);
    public static void I32(Span<byte> b, int off, int v) => BinaryPrimitives.WriteInt32LittleEndian(b[off..], v);
    public static void U64(Span<byte> b, int off, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[off..], v);
    public static void I64(Span<byte> b, int off, long v) => BinaryPrimitives.WriteInt64LittleEndian(b[off..], v);

    /// <summary>
    /// Stores a C string into a char[size] field: at most size-1 bytes of UTF-8 and one NUL.
    /// Only strlen+1 bytes are touched, so the rest of the field keeps what the structure image
    /// already holds (zeros, or a template's bytes when a real core is reproduced).
    /// </summary>
    public static void CString(Span<byte> b, int off, int size, string? s)
    {
        var bytes = Encoding.UTF8.GetBytes(s ?? "");
        int n = Math.Min(bytes.Length, size - 1);
        bytes.AsSpan(0, n).CopyTo(b.Slice(off, n));
        b[off + n] = 0;
    }

    /// <summary>Like strncpy: copies at most size bytes and adds a NUL only if there is room.</summary>
    public static void StrNCpy(Span<byte> b, int off, int size, string? s)
    {
        var bytes = Encoding.UTF8.GetBytes(s ?? "");
        int n = Math.Min(bytes.Length, size);
        bytes.AsSpan(0, n).CopyTo(b.Slice(off, n));
        if (n < size)
            b.Slice(off + n, size - n).Clear();
    }

    /// <summary>Copies raw bytes into a fixed-size field; throws when they do not fit.</summary>
    public static void Bytes(Span<byte> b, int off, int size, ReadOnlySpan<byte> v, string what)
    {
        if (v.Length > size)
            throw new ArgumentException($"{what}: {v.Length} bytes do not fit in {size}");
        v.CopyTo(b.Slice(off, v.Length));
    }

    /// <summary>A structure image of <paramref name="size"/> bytes, pre-filled from a template when one is given.</summary>
    public static byte[] Image(int size, byte[]? template, string what)
    {
        var image = new byte[size];
        if (template is not null)
        {
            if (template.Length < size)
                throw new ArgumentException($"{what}: raw template has {template.Length} bytes, the structure needs {size}");
            template.AsSpan(0, size).CopyTo(image);
        }
        return image;
    }
}
