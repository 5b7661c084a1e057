using System.Globalization;
using System.Text;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// Text made in one reused builder: a call's text is made once per thread, and ten thousand threads
/// each made a string per argument and joined them. Numbers are written into the builder, not
/// made into strings first.
/// </summary>
internal static class CallText
{
    [ThreadStatic] private static StringBuilder? cached;

    /// <summary>The text <paramref name="append"/> writes, as one string.</summary>
    public static string Make<T>(T state, Action<StringBuilder, T> append)
    {
        // Taken out while in use, so that text made while making text gets a builder of its own.
        var sb = cached ?? new StringBuilder(128);
        cached = null;
        append(sb, state);
        string text = sb.ToString();
        sb.Clear();
        if (sb.Capacity <= 4096) cached = sb;
        return text;
    }

    public static void AppendDecimal(StringBuilder sb, long value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        sb.Append(digits[..n]);
    }

    public static void AppendDecimal(StringBuilder sb, ulong value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        sb.Append(digits[..n]);
    }

    /// <summary>0x and lowercase hex digits, as <see cref="FlagFormatter.Hex"/> makes them.</summary>
    public static void AppendHex(StringBuilder sb, ulong value)
    {
        Span<char> digits = stackalloc char[16];
        value.TryFormat(digits, out int n, "x", CultureInfo.InvariantCulture);
        sb.Append("0x").Append(digits[..n]);
    }
}
