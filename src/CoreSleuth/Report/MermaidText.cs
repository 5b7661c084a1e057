using System.Security.Cryptography;
using System.Text;

namespace CoreSleuth.Report;

/// <summary>
/// Pieces of a Mermaid flowchart (the wait-for graph in the Markdown report) built from strings
/// of the core: thread names, statements, paths. Mermaid reads a label in three stages, and a
/// label must mean only its text in each:
/// <list type="number">
/// <item>before lexing, <c>#name;</c> and <c>#123;</c> anywhere in the diagram become entity
/// placeholders, and <c>%%{…}%%</c> anywhere is a directive that changes the configuration;</item>
/// <item>the flowchart lexer ends a quoted label at the next <c>"</c> (a label that opens with a
/// backtick is a Markdown string), and trims its ends;</item>
/// <item>the renderer turns the placeholders back into HTML character references, puts the label
/// in HTML (the default <c>htmlLabels</c>), and there reads <c>\n</c> as a line break, <c>$$…$$</c>
/// as KaTeX and <c>fa:fa-NAME</c> as an icon, even when they were written as entities.</item>
/// </list>
/// So every ASCII character other than letters, digits, inner spaces and a few plain punctuation
/// marks, and any other white space, is written as a numeric entity code (<c>#34;</c> for <c>"</c>, <c>#35;</c> for <c>#</c>,
/// <c>#60;</c> for <c>&lt;</c>…), which the browser shows as that character and no stage reads as
/// syntax; and the three render-time sequences get an invisible WORD JOINER (U+2060, written
/// <c>#8288;</c>) inside them, which keeps them from matching. The text is first made one inert,
/// bounded line by <see cref="TextSanitizer"/>, as everywhere else in the report.
/// </summary>
public static class MermaidText
{
    /// <summary>Default bound on a label's text (before entity codes), in UTF-16 code units.</summary>
    public const int DefaultMaxLength = 120;

    /// <summary>Goes inside <c>\n</c>, <c>$$</c> and <c>:fa-</c> so that the renderer does not read them.</summary>
    public const char Joiner = '\u2060';

    // Plain punctuation that neither the lexer (inside quotes) nor HTML nor the renderer reads.
    private const string PlainPunctuation = ".,-_/()[]=+?!@'*~^";

    /// <summary>
    /// A complete quoted label, for a node (<c>id["…"]</c>) or after an edge's arrow (see
    /// <see cref="EdgeLabel"/>): sanitised, bounded to <paramref name="maxLength"/>, escaped.
    /// </summary>
    public static string Label(string? text, int maxLength = DefaultMaxLength)
    {
        string safe = TextSanitizer.Sanitize(text, maxLength);
        if (safe.Length == 0) return "\"#8288;\""; // Mermaid rejects an empty "": an invisible joiner instead
        var sb = new StringBuilder(safe.Length + 16).Append('"');
        for (int i = 0; i < safe.Length; i++)
        {
            char c = safe[i];
            if (char.IsAsciiLetterOrDigit(c) || PlainPunctuation.Contains(c) || (c == ' ' && i > 0 && i < safe.Length - 1))
                sb.Append(c);
            // Also other white space, which the lexer's trim removes at the ends, and ﬂ and ¶,
            // which begin and end Mermaid's own entity placeholders.
            else if (c < 0x80 || char.IsWhiteSpace(c) || c is '\uFB02' or '\u00B6')
                sb.Append('#').Append((int)c).Append(';');
            else
                sb.Append(c);
            if (BreaksRenderSequence(safe, i)) sb.Append("#8288;");
        }
        return sb.Append('"').ToString();
    }

    /// <summary>An edge's label with its delimiters, to follow the arrow: <c>a --&gt;|"…"| b</c>.</summary>
    public static string EdgeLabel(string? text, int maxLength = DefaultMaxLength) => $"|{Label(text, maxLength)}|";

    /// <summary>
    /// A node id from any key (a thread id, a lock's address…): <c>n_</c> then the key's ASCII
    /// letters and digits as they are and every other UTF-16 unit as <c>_XXXX</c> (hex), so
    /// different keys give different ids, and no id is a keyword (<c>end</c>, <c>graph</c>,
    /// <c>subgraph</c>, <c>click</c>, <c>style</c>, <c>class</c>…; nor DOT's <c>node</c>,
    /// <c>edge</c>…) or begins with <c>o</c> or <c>x</c>, which Mermaid reads as an arrow head
    /// after <c>--</c>. A long key keeps its first units and a hash of the whole.
    /// </summary>
    public static string NodeId(string key)
    {
        const int MaxLength = 64;
        var sb = new StringBuilder("n_", key.Length + 2);
        foreach (char c in key)
        {
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(c);
            else sb.Append('_').Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (sb.Length <= MaxLength) return sb.ToString();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"{sb.ToString(0, MaxLength - hash.Length - 1)}_{hash}";
    }

    /// <summary>
    /// True after <c>\</c> before <c>n</c>/<c>N</c> (a line break), between <c>$$</c> (KaTeX), and after
    /// <c>:</c> before <c>fa-</c> (an icon): the places a <see cref="Joiner"/> goes.
    /// </summary>
    private static bool BreaksRenderSequence(string s, int i) =>
        i + 1 < s.Length && (s[i], s[i + 1]) switch
        {
            ('\\', 'n' or 'N') => true,
            ('$', '$') => true,
            (':', 'f') => s.AsSpan(i + 1).StartsWith("fa-", StringComparison.Ordinal),
            _ => false,
        };
}
