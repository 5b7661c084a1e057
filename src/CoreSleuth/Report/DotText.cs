using System.Text;

namespace CoreSleuth.Report;

/// <summary>
/// Pieces of a Graphviz DOT graph (<c>analyze --format dot</c>) built from strings of the core.
/// A double-quoted DOT string ends at a <c>"</c> not written <c>\"</c>, and Graphviz reads a label
/// a second time when it draws it: <c>\n</c>, <c>\l</c>, <c>\r</c> break the line,
/// <c>\N</c>, <c>\G</c>, <c>\E</c>, <c>\T</c>, <c>\H</c>, <c>\L</c> are replaced by the node's or
/// graph's name, and HTML entities such as <c>&amp;lt;</c> are decoded. So after
/// <see cref="TextSanitizer"/> has made the text one inert, bounded line, a backslash is doubled
/// (drawn as one backslash), <c>"</c> is <c>\"</c> and <c>&amp;</c> is <c>&amp;amp;</c>.
/// </summary>
public static class DotText
{
    /// <summary>Default bound on a label's text (before escaping), in UTF-16 code units.</summary>
    public const int DefaultMaxLength = MermaidText.DefaultMaxLength;

    /// <summary>A double-quoted DOT ID holding <paramref name="text"/>, for a label or any other attribute value.</summary>
    public static string Quote(string? text, int maxLength = DefaultMaxLength)
    {
        string safe = TextSanitizer.Sanitize(text, maxLength);
        var sb = new StringBuilder(safe.Length + 8).Append('"');
        foreach (char c in safe)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '&': sb.Append("&amp;"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// A node id from any key: the same form as <see cref="MermaidText.NodeId"/> (<c>n_</c>, letters,
    /// digits, underscores), which is a plain DOT ID and never one of DOT's keywords
    /// (<c>node</c>, <c>edge</c>, <c>graph</c>, <c>digraph</c>, <c>subgraph</c>, <c>strict</c>), so
    /// one key names a thread alike in both diagrams.
    /// </summary>
    public static string NodeId(string key) => MermaidText.NodeId(key);
}
