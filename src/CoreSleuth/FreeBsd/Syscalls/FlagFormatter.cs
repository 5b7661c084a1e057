using System.Globalization;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>A named bit or multi-bit field of a flag word.</summary>
internal readonly record struct FlagName(ulong Mask, string Name);

/// <summary>
/// Formats flag words as <c>A|B|0x40000000</c>: named bits in table order, then whatever is
/// left in hex, so the names always recombine to the original value.
/// </summary>
internal static class FlagFormatter
{
    public static string Format(ulong value, ReadOnlySpan<FlagName> names, string zero = "0")
    {
        if (value == 0) return zero;
        var parts = new List<string>();
        var rest = value;
        foreach (var flag in names)
        {
            if (flag.Mask != 0 && (rest & flag.Mask) == flag.Mask)
            {
                parts.Add(flag.Name);
                rest &= ~flag.Mask;
            }
        }
        if (rest != 0) parts.Add(Hex(rest));
        return string.Join('|', parts);
    }

    public static string Hex(ulong value) => CallText.Make(value, static (sb, v) => CallText.AppendHex(sb, v));

    /// <summary>A name from a value table, or the value in decimal when the table has none.</summary>
    public static string Named(long value, IReadOnlyDictionary<long, string> names) =>
        names.TryGetValue(value, out var name) ? name : value.ToString(CultureInfo.InvariantCulture);
}
