using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoreSleuth.Report;

/// <summary>
/// An address or register value. Reports print it as lowercase <c>0x…</c> hex, in text and in
/// JSON alike, so a value can be pasted into gdb or compared with its output.
/// </summary>
[JsonConverter(typeof(HexJsonConverter))]
public readonly record struct Hex(ulong Value)
{
    public override string ToString()
    {
        // One string, not the digits and then "0x" and the digits.
        Span<char> text = stackalloc char[2 + 16];
        return new string(text[..Format(Value, text)]);
    }

    /// <summary>Writes 0x and the lowercase hex digits into <paramref name="text"/> (18 characters fit any value); returns how many it wrote.</summary>
    /// <remarks>
    /// Nibble by nibble, without a format string to parse: a report of ten thousand threads writes a
    /// third of a million of these (registers and frames), and <c>TryFormat(…, "x16")</c> was a fifth
    /// of writing its thread details.
    /// </remarks>
    internal static int Format(ulong value, Span<char> text, bool sixteenDigits = false)
    {
        int digits = sixteenDigits ? 16 : Math.Max(1, (67 - System.Numerics.BitOperations.LeadingZeroCount(value)) / 4);
        text[0] = '0';
        text[1] = 'x';
        for (int i = digits + 1; i >= 2; i--, value >>= 4) text[i] = "0123456789abcdef"[(int)(value & 0xF)];
        return 2 + digits;
    }

    /// <summary>Zero-padded to <paramref name="digits"/> hex digits, as gdb's <c>x/gx</c> prints words.</summary>
    public string ToString(int digits) => "0x" + Value.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static implicit operator Hex(ulong value) => new(value);

    /// <summary>Lowercase hex of <paramref name="bytes"/> read as a little-endian number: most significant byte first.</summary>
    public static string FromLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[2 + 2 * bytes.Length];
        chars[0] = '0';
        chars[1] = 'x';
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[bytes.Length - 1 - i];
            chars[2 + 2 * i] = "0123456789abcdef"[b >> 4];
            chars[3 + 2 * i] = "0123456789abcdef"[b & 0xf];
        }
        return new string(chars);
    }
}

/// <summary>Reads and writes <see cref="Hex"/> as a JSON string <c>"0x…"</c> (a number could not hold 64 bits in JavaScript).</summary>
public sealed class HexJsonConverter : JsonConverter<Hex>
{
    public override Hex Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? s = reader.GetString();
        if (s is null || !s.StartsWith("0x", StringComparison.Ordinal) ||
            !ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v))
            throw new JsonException($"expected a \"0x…\" hex string, found {s ?? "null"}");
        return new Hex(v);
    }

    /// <summary>Formatted on the stack: a report of a thousand threads writes about a hundred thousand values.</summary>
    public override void Write(Utf8JsonWriter writer, Hex value, JsonSerializerOptions options)
    {
        Span<byte> text = stackalloc byte[2 + 16];
        text[0] = (byte)'0';
        text[1] = (byte)'x';
        value.Value.TryFormat(text[2..], out int digits, "x", CultureInfo.InvariantCulture);
        writer.WriteStringValue(text[..(2 + digits)]);
    }
}
