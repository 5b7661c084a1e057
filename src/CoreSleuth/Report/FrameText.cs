using System.Globalization;
using System.Runtime.CompilerServices;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.Analysis.Unwind;

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
        if (w is Utf8Writer utf8 && f.LineIdentity is { } id)
            utf8.WriteUtf8(Line(utf8, new LineKey(id.Pc, id.Trust, id.Name, index, indent, moduleBound), f));
        else WriteLine(w, indent, index, f, moduleBound);
    }

    /// <summary>
    /// A frame's line as UTF-8, kept with the writer by what it depends on: ten thousand idle threads
    /// show the same dozen frames, and each line was a dozen writes and their encoding every time, a
    /// fifth of the text report's time. Kept with the writer (one per thread that renders), not for the
    /// process: a check of many cores would otherwise keep every core's names. Bounded: a core of a
    /// million distinct frames keeps only the first lines.
    /// </summary>
    private static byte[] Line(Utf8Writer w, in LineKey key, ReportFrame f)
    {
        var lines = w.Memo as Dictionary<LineKey, byte[]> ?? (Dictionary<LineKey, byte[]>)(w.Memo = new Dictionary<LineKey, byte[]>(LineKeyComparer.Instance));
        if (lines.TryGetValue(key, out var bytes)) return bytes;
        var text = new MemoryStream(128);
        using (var one = new Utf8Writer(text, 256, leaveOpen: true) { NewLine = w.NewLine }) WriteLine(one, key.Indent, key.Index, f, key.ModuleBound);
        bytes = text.ToArray();
        if (lines.Count < MaxLines) lines.Add(key, bytes);
        return bytes;
    }

    private const int MaxLines = 1 << 12;

    /// <summary>A frame line's identity: the frame's (<see cref="ReportFrame.LineIdentity"/>) and how it is laid out.</summary>
    private readonly record struct LineKey(ulong Pc, FrameTrust Trust, SymbolizedAddress Name, int Index, string Indent, int ModuleBound);

    /// <summary>Names and indents by reference: the same instance is the same text, and a different one with the same text only another entry.</summary>
    private sealed class LineKeyComparer : IEqualityComparer<LineKey>
    {
        public static readonly LineKeyComparer Instance = new();

        public bool Equals(LineKey a, LineKey b) =>
            a.Pc == b.Pc && a.Trust == b.Trust && a.Index == b.Index && a.ModuleBound == b.ModuleBound &&
            ReferenceEquals(a.Name, b.Name) && ReferenceEquals(a.Indent, b.Indent);

        public int GetHashCode(LineKey k) => HashCode.Combine(k.Pc, k.Index, RuntimeHelpers.GetHashCode(k.Name), k.Trust);
    }

    private static void WriteLine(TextWriter w, string indent, int index, ReportFrame f, int moduleBound)
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
