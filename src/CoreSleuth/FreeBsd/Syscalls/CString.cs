using System.Text;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// A NUL-terminated string read from the core's memory, bounded by the reader. The text is
/// raw bytes from the core decoded as UTF-8 (invalid sequences become U+FFFD): renderers
/// must sanitize it (control characters, terminal escapes) before display.
/// </summary>
public abstract record CString
{
    private CString() { }

    /// <summary>
    /// The string was read. <paramref name="Truncated"/> is true when the memory present in
    /// the core ended before a terminating NUL, so <paramref name="Text"/> is only a prefix.
    /// </summary>
    public sealed record Ok(string Text, bool Truncated) : CString;

    /// <summary>Nothing could be read at the address (not in the core, a hole, no memory source).</summary>
    public sealed record Unavailable(string Reason) : CString;

    /// <summary>
    /// <paramref name="Bound"/> bytes were readable and none of them was NUL: probably not a
    /// string (or longer than any valid path). <paramref name="Prefix"/> holds those bytes.
    /// </summary>
    public sealed record NotTerminated(string Prefix, int Bound) : CString;

    /// <summary>
    /// Builds the result from the bytes that could be read starting at the string's address:
    /// <paramref name="readable"/> holds at most <paramref name="bound"/> bytes and is shorter
    /// only when the memory in the core ends there.
    /// </summary>
    public static CString FromReadableBytes(ReadOnlySpan<byte> readable, int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        if (readable.Length > bound) readable = readable[..bound];
        var nul = readable.IndexOf((byte)0);
        if (nul >= 0) return new Ok(Decode(readable[..nul]), Truncated: false);
        if (readable.IsEmpty) return new Unavailable("address not in the core");
        if (readable.Length >= bound) return new NotTerminated(Decode(readable), bound);
        return new Ok(Decode(readable), Truncated: true);
    }

    private static string Decode(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}

/// <summary>
/// Reads bounded C strings from the process image of a core. Implemented by the memory
/// layer; the syscall decoder itself never touches memory.
/// </summary>
public interface IStringSource
{
    /// <summary>Reads at most <paramref name="maxBytes"/> bytes starting at <paramref name="address"/>.</summary>
    CString ReadCString(ulong address, int maxBytes);
}
