using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace CoreSleuth.FreeBsd;

/// <summary>Little-endian field access for descriptors whose length was checked by the caller.</summary>
internal static class Fields
{
    public static ushort U16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
    public static short I16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadInt16LittleEndian(s[o..]);
    public static uint U32(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt32LittleEndian(s[o..]);
    public static int I32(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadInt32LittleEndian(s[o..]);
    public static ulong U64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);
    public static long I64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadInt64LittleEndian(s[o..]);
    public static byte[] Bytes(ReadOnlySpan<byte> s, int o, int n) => s.Slice(o, n).ToArray();

    /// <summary>A fixed-size <c>char[]</c> field: the text up to the first NUL (or the whole field).</summary>
    /// <remarks>
    /// Short texts are made once: every kinfo_proc of a process repeats its command, login, login
    /// class and emulation, and ten thousand threads share a few names and wait messages.
    /// </remarks>
    public static string Text(ReadOnlySpan<byte> s, int o, int n)
    {
        var field = s.Slice(o, Math.Min(n, s.Length - o));
        int nul = field.IndexOf((byte)0);
        if (nul >= 0) field = field[..nul];
        if (field.IsEmpty) return "";
        if (field.Length > MaxSharedText) return Encoding.UTF8.GetString(field);
        Span<char> chars = stackalloc char[MaxSharedText];
        var text = chars[..Encoding.UTF8.GetChars(field, chars)];
        if (SharedTexts.TryGetValue(text, out var known)) return known;
        string made = new(text);
        // Bounded: a hostile core's every record may hold a different text.
        if (Shared.Count < MaxSharedTexts) Shared.TryAdd(made, made);
        return made;
    }

    private const int MaxSharedText = 32, MaxSharedTexts = 4096;
    private static readonly ConcurrentDictionary<string, string> Shared = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> SharedTexts = Shared.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>A sigset_t (4 × uint32, bit sig-1).</summary>
    public static SignalSet Sigset(ReadOnlySpan<byte> s, int o) =>
        new(U32(s, o), U32(s, o + 4), U32(s, o + 8), U32(s, o + 12));
}

/// <summary>A FreeBSD <c>sigset_t</c>: 128 signal bits, bit (n-1) for signal n.</summary>
public readonly record struct SignalSet(uint W0, uint W1, uint W2, uint W3)
{
    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;

    public bool Contains(int signal) => signal is >= 1 and <= 128 &&
        ((signal - 1) / 32 switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 } & (1u << ((signal - 1) % 32))) != 0;

    public IEnumerable<int> Signals => Enumerable.Range(1, 128).Where(Contains);

    /// <summary>As gdb prints signal masks: four 8-digit hex words.</summary>
    public override string ToString() => $"{W0:x8} {W1:x8} {W2:x8} {W3:x8}";
}

/// <summary>A <c>struct timeval</c>.</summary>
public readonly record struct TimeValue(long Seconds, long Microseconds)
{
    /// <summary>The instant, or null when the fields hold no valid time (0, out of range, or tv_usec outside 0..999999).</summary>
    public DateTimeOffset? AsDate => Seconds is > 0 and < 253402300799 && Microseconds is >= 0 and < 1_000_000
        ? DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Microseconds * 10)
        : null;
    public override string ToString() => $"{Seconds}.{Microseconds:D6}";
}
