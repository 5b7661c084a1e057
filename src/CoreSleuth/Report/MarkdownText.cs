using System.Text;

namespace CoreSleuth.Report;

/// <summary>
/// Markdown that reads the same raw (tickets, mail and chat often show the source) as rendered
/// by a CommonMark or GitHub-flavoured renderer. Values from the core are code spans, whose
/// content is literal; CoreSleuth's own sentences are escaped only where CommonMark would
/// misread them. Every string is first made a single inert line by <see cref="TextSanitizer"/>,
/// so what the Markdown shows is exactly what the text report shows.
/// </summary>
internal static class MarkdownText
{
    /// <summary>
    /// A value from the core (path, name, call, statement…): sanitised, then a code span; "-" when
    /// empty, as the text report prints it. In a table cell a value holding <c>|</c> is escaped
    /// prose instead: GitHub splits cells at a pipe even inside a code span (there it must be
    /// <c>\|</c>) while other renderers such as Markdig show that <c>\|</c> as written, and a
    /// backslash-escaped pipe in plain text reads as one pipe in both.
    /// </summary>
    public static string Value(string? value, int bound, bool inTable = false)
    {
        string safe = TextSanitizer.Sanitize(value, bound);
        if (safe.Length == 0) return "-";
        return inTable && safe.Contains('|') ? Prose(safe, inTable) : Code(safe);
    }

    /// <summary>
    /// A code span of one line of text: fenced by a backtick run longer than any inside it, and
    /// padded with a space where CommonMark would otherwise eat a backtick or strip a space.
    /// </summary>
    public static string Code(string line)
    {
        int longest = 0, run = 0;
        foreach (char c in line)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        string fence = new('`', longest + 1);
        // CommonMark strips one space from each end when both ends have one (and not all are spaces).
        bool pad = line.StartsWith('`') || line.EndsWith('`') ||
                   (line.Length > 1 && line[0] == ' ' && line[^1] == ' ' && line.AsSpan().ContainsAnyExcept(' '));
        return pad ? $"{fence} {line} {fence}" : $"{fence}{line}{fence}";
    }

    /// <summary>A sentence CoreSleuth wrote, which may quote strings from the core: sanitised as a message, then escaped as prose.</summary>
    public static string Message(string? text, int bound, bool inTable = false) => Prose(TextSanitizer.SanitizeMessage(text, bound), inTable);

    /// <summary>
    /// Advice: a sentence whose text between its first and last backtick is a command to run,
    /// shown as a code span rather than as escaped backticks. However a string from the core
    /// inside the sentence places its backticks, every character still shows as written.
    /// </summary>
    public static string Advice(string? text, int bound)
    {
        string safe = TextSanitizer.SanitizeMessage(text, bound);
        int open = safe.IndexOf('`'), close = safe.LastIndexOf('`');
        if (open < 0 || close - open < 2) return Prose(safe);
        return Prose(safe[..open], atLineEnd: false) + Code(safe[(open + 1)..close]) + Prose(safe[(close + 1)..], atLineStart: false);
    }

    /// <summary>
    /// Escapes plain text where CommonMark (and GitHub's extensions) would read markup: emphasis,
    /// code, links, HTML, entities, strikethrough, a backslash that would escape what follows,
    /// a block marker at the start, and table pipes inside a cell. Nothing else: a path reads
    /// <c>/tmp/ghost.fifo</c>, not <c>/tmp/ghost\.fifo</c>. <paramref name="atLineStart"/> and
    /// <paramref name="atLineEnd"/> say whether the text begins or ends a line (or a table cell).
    /// </summary>
    public static string Prose(string text, bool inTable = false, bool atLineStart = true, bool atLineEnd = true)
    {
        var sb = new StringBuilder(text.Length + 8);
        int start = 0, end = text.Length;
        // Spaces that begin a line could start an indented code block; at its end they would be
        // dropped (or make a hard break), and a table cell is trimmed: written as character references.
        while (atLineStart && start < end && text[start] == ' ') { sb.Append("&#32;"); start++; }
        int trailing = 0;
        while (atLineEnd && end > start && text[end - 1] == ' ') { end--; trailing++; }
        if (atLineStart && start < end) start = BlockMarker(text, start, end, sb);
        for (int i = start; i < end; i++)
        {
            char c = text[i];
            bool escape = c switch
            {
                '`' or '*' or '<' or '[' or '~' => true,
                '|' => inTable,
                '_' => !(i > 0 && char.IsLetterOrDigit(text[i - 1]) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1])),
                '\\' => i + 1 >= end || char.IsAsciiLetterOrDigit(text[i + 1]) is false && text[i + 1] is > ' ' and <= '~',
                '&' => LooksLikeEntity(text, i, end),
                _ => false,
            };
            if (escape) sb.Append('\\');
            sb.Append(c);
        }
        for (int i = 0; i < trailing; i++) sb.Append("&#32;");
        return sb.ToString();
    }

    /// <summary>
    /// Escapes what would make the text a heading, quote, list item or thematic break when it
    /// begins a line (a list item's text begins a line too); returns where plain text resumes.
    /// </summary>
    private static int BlockMarker(string text, int start, int end, StringBuilder sb)
    {
        char first = text[start];
        bool EndsHere(int i) => i >= end || text[i] == ' ';
        int hashes = start;
        while (hashes < end && text[hashes] == '#') hashes++;
        bool marker = first switch
        {
            '>' => true,
            '#' => hashes - start <= 6 && EndsHere(hashes),
            // A list item, or a thematic break or setext underline ("---", "- - -").
            '-' or '+' => EndsHere(start + 1) || text.AsSpan(start, end - start).ContainsAnyExcept(' ', first) is false,
            _ => false,
        };
        if (marker)
        {
            sb.Append('\\').Append(first);
            return start + 1;
        }
        int digits = start;
        while (digits < end && char.IsAsciiDigit(text[digits])) digits++;
        if (digits > start && digits - start <= 9 && digits < end && text[digits] is '.' or ')' && EndsHere(digits + 1))
        {
            sb.Append(text, start, digits - start).Append('\\').Append(text[digits]);
            return digits + 1;
        }
        return start;
    }

    /// <summary>&amp;name; &amp;#123; &amp;#x1f; — what CommonMark would turn into another character.</summary>
    private static bool LooksLikeEntity(string text, int at, int end)
    {
        int i = at + 1;
        if (i < end && text[i] == '#')
        {
            i++;
            if (i < end && text[i] is 'x' or 'X') i++;
        }
        int name = i;
        while (i < end && char.IsAsciiLetterOrDigit(text[i])) i++;
        return i > name && i < end && text[i] == ';';
    }
}
