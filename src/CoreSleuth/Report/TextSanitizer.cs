using System.Globalization;
using System.Text;

namespace CoreSleuth.Report;

/// <summary>
/// Makes strings that come from a core (thread names, paths, command lines, auxv and memory
/// strings) safe to print on a terminal. Such strings are written by the dumped process and
/// may hold anything: ANSI escape sequences that recolour or retitle the terminal, carriage
/// returns that overwrite a line, bidirectional overrides that reorder what is shown,
/// invalid UTF-8. Every character that is not plainly visible is shown as an escape, so
/// the output is one line, unambiguous and inert:
/// <list type="bullet">
/// <item><c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\0</c>, <c>\\</c> for those characters;</item>
/// <item><c>\xNN</c> for other C0 controls (ESC is <c>\x1b</c>), DEL, and each byte of invalid UTF-8;</item>
/// <item><c>\uNNNN</c> (or <c>\U00NNNNNN</c>) for C1 controls, format characters such as U+202E
/// RIGHT-TO-LEFT OVERRIDE and zero-width characters, line/paragraph separators, lone surrogates
/// and unassigned code points.</item>
/// </list>
/// Output longer than the bound is cut at a whole character or escape and ends with <see cref="Ellipsis"/>.
/// </summary>
public static class TextSanitizer
{
    /// <summary>Default bound on the printed length, in UTF-16 code units of the escaped text.</summary>
    public const int DefaultMaxLength = 1024;

    /// <summary>Appended when a string was cut to its bound.</summary>
    public const string Ellipsis = "…";

    /// <summary>Escapes <paramref name="text"/> for display; null becomes the empty string.</summary>
    public static string Sanitize(string? text, int maxLength = DefaultMaxLength) => Sanitize(text, maxLength, escapeBackslash: true);

    /// <summary>
    /// For messages written by CoreSleuth itself (warnings, errors) that may quote strings from
    /// the core: escaped like <see cref="Sanitize(string?, int)"/>, except that a backslash stays
    /// a backslash, so messages that mention escapes such as <c>"\x7fELF"</c> read as written.
    /// </summary>
    public static string SanitizeMessage(string? text, int maxLength = DefaultMaxLength) => Sanitize(text, maxLength, escapeBackslash: false);

    private static string Sanitize(string? text, int maxLength, bool escapeBackslash)
    {
        if (string.IsNullOrEmpty(text)) return "";
        // Most strings are short printable ASCII: nothing to escape or cut.
        if (text.Length <= maxLength && !text.AsSpan().ContainsAnyExceptInRange(' ', '~') && !(escapeBackslash && text.Contains('\\')))
            return text;
        var output = new Bounded(maxLength) { EscapeBackslash = escapeBackslash };
        for (int i = 0; i < text.Length && !output.Full; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Add(new Rune(c, text[i + 1]));
                i++;
            }
            else if (char.IsSurrogate(c))
                output.AddEscape($"\\u{(int)c:x4}"); // a lone surrogate cannot be printed or encoded
            else
                output.Add(new Rune(c));
        }
        return output.ToString();
    }

    /// <summary>
    /// Escapes raw bytes (a C string read from memory): valid UTF-8 is decoded and escaped as
    /// for strings, and every byte of an invalid sequence is shown as <c>\xNN</c>.
    /// </summary>
    public static string Sanitize(ReadOnlySpan<byte> utf8, int maxLength = DefaultMaxLength)
    {
        var output = new Bounded(maxLength);
        while (!utf8.IsEmpty && !output.Full)
        {
            var status = Rune.DecodeFromUtf8(utf8, out Rune rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done)
                output.Add(rune);
            else
                for (int i = 0; i < consumed && !output.Full; i++)
                    output.AddEscape($"\\x{utf8[i]:x2}");
            utf8 = utf8[consumed..];
        }
        return output.ToString();
    }

    /// <summary>Sanitised and in double quotes, as debuggers print C strings.</summary>
    public static string Quote(string? text, int maxLength = DefaultMaxLength) => $"\"{Sanitize(text, maxLength).Replace("\"", "\\\"")}\"";

    /// <summary>True when <paramref name="rune"/> is printed as an escape rather than as itself.</summary>
    public static bool NeedsEscape(Rune rune)
    {
        int v = rune.Value;
        if (v is < 0x20 or 0x7f or '\\') return true;
        if (v < 0x7f) return false;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => true,            // C1 controls U+0080–U+009F (CSI is U+009B)
            UnicodeCategory.Format => true,             // U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF…
            UnicodeCategory.LineSeparator => true,
            UnicodeCategory.ParagraphSeparator => true,
            UnicodeCategory.Surrogate => true,
            UnicodeCategory.OtherNotAssigned => true,
            UnicodeCategory.PrivateUse => true,
            _ => false,
        };
    }

    private static string Escape(Rune rune) => rune.Value switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\0' => "\\0",
        '\\' => "\\\\",
        < 0x80 => $"\\x{rune.Value:x2}",
        <= 0xffff => $"\\u{rune.Value:x4}",
        _ => $"\\U{rune.Value:x8}",
    };

    /// <summary>Collects whole characters or escapes until the next one would pass the bound.</summary>
    private sealed class Bounded(int maxLength)
    {
        private readonly StringBuilder text = new();
        private readonly int max = Math.Max(maxLength, Ellipsis.Length + 1);
        private int lastFit = -1; // length before the first unit that pushed past max - Ellipsis.Length

        public bool Full { get; private set; }

        public bool EscapeBackslash { get; init; } = true;

        public void Add(Rune rune)
        {
            if (NeedsEscape(rune) && (EscapeBackslash || rune.Value != '\\')) AddEscape(Escape(rune));
            else
            {
                Span<char> chars = stackalloc char[2];
                Append(chars[..rune.EncodeToUtf16(chars)]);
            }
        }

        public void AddEscape(string escape) => Append(escape);

        private void Append(ReadOnlySpan<char> unit)
        {
            if (lastFit < 0 && text.Length + unit.Length > max - Ellipsis.Length) lastFit = text.Length;
            text.Append(unit);
            if (text.Length > max) Full = true;
        }

        public override string ToString()
        {
            if (!Full) return text.ToString();
            return text.ToString(0, lastFit) + Ellipsis;
        }
    }
}
