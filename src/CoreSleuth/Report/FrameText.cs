using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>
/// A backtrace frame as the text reports print it, as gdb lays it out:
/// <c>#3   0x0000000000401306 my_net_read(st_net*)+38 in mysqld [cfi]</c>.
/// Written piece by piece: a thousand threads have tens of thousands of these lines, and a
/// string per line was most of what rendering them allocated.
/// </summary>
internal static class FrameText
{
    public static void Write(TextWriter w, string indent, int index, ReportFrame f, int moduleBound)
    {
        w.Write(indent);
        w.Write('#');
        WriteNumber(w, index, width: -3);
        w.Write(' ');
        WriteHex(w, f.Pc.Value, sixteenDigits: true);
        w.Write(' ');
        if (f.Symbol is null)
        {
            // Unnamed: module+offset, which the module's file symbolizes later (gdb, rust-minidump).
            if (f.Module is not null && f.ModuleOffset is { } mo)
            {
                w.Write(TextSanitizer.Sanitize(f.Module, moduleBound));
                w.Write('+');
                WriteHex(w, mo.Value);
            }
            else w.Write("??");
        }
        else
        {
            w.Write(TextSanitizer.Sanitize(f.Symbol, 300));
            if (f.Offset is { Value: > 0 and <= long.MaxValue } o) { w.Write('+'); WriteNumber(w, (long)o.Value); } // decimal, as gdb's <+38>
            if (f.Module is not null) { w.Write(" in "); w.Write(TextSanitizer.Sanitize(f.Module, moduleBound)); }
        }
        w.Write(" [");
        w.Write(f.Trust);
        w.WriteLine(']');
        foreach (var a in f.Arguments)
            w.WriteLine($"{indent}       {a.Name} = {TextSanitizer.Sanitize(a.Value, 300)}  ({TextSanitizer.SanitizeMessage(a.Source, 300)})");
    }

    /// <summary>
    /// 0x and lowercase hex digits, without a string: as <see cref="Hex.ToString()"/> prints them,
    /// or zero-padded to 16 digits as <see cref="Hex.ToString(int)"/> does with 16.
    /// </summary>
    public static void WriteHex(TextWriter w, ulong value, bool sixteenDigits = false)
    {
        Span<char> text = stackalloc char[2 + 16];
        w.Write(text[..Hex.Format(value, text, sixteenDigits)]);
    }

    /// <summary>A decimal number; a negative <paramref name="width"/> pads it on the right, as {n,-width} does.</summary>
    public static void WriteNumber(TextWriter w, long value, int width = 0)
    {
        Span<char> text = stackalloc char[20];
        value.TryFormat(text, out int n, default, CultureInfo.InvariantCulture);
        w.Write(text[..n]);
        for (int pad = n; pad < -width; pad++) w.Write(' ');
    }
}
