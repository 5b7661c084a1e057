namespace CoreSleuth.Report;

/// <summary>A column of a <see cref="TextTable"/>: its heading and which side its cells hug.</summary>
internal sealed record TextColumn(string Heading, bool AlignRight = false);

/// <summary>
/// An aligned plain-text table: each column is as wide as its widest cell, columns are
/// separated by two spaces, and no line ends in spaces. Cells must already be sanitised.
/// </summary>
internal sealed class TextTable(params TextColumn[] columns)
{
    private readonly List<string[]> rows = [];

    /// <summary>Whether the heading line is printed (key/value lists have none).</summary>
    public bool ShowHeadings { get; init; } = true;

    /// <summary>Printed before every line.</summary>
    public string Indent { get; init; } = "";

    public int Count => rows.Count;

    public void Add(params string[] cells)
    {
        if (cells.Length != columns.Length)
            throw new ArgumentException($"a row of {columns.Length} cells was expected, not {cells.Length}", nameof(cells));
        rows.Add(cells);
    }

    public void Write(TextWriter writer)
    {
        var widths = new int[columns.Length];
        IEnumerable<string[]> all = ShowHeadings ? rows.Prepend(columns.Select(c => c.Heading).ToArray()) : rows;
        foreach (var row in all)
            for (int i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);

        var line = new System.Text.StringBuilder();
        foreach (var row in all)
        {
            line.Clear().Append(Indent);
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append("  ");
                int pad = widths[i] - row[i].Length;
                if (columns[i].AlignRight && pad > 0) line.Append(' ', pad);
                line.Append(row[i]);
                if (!columns[i].AlignRight && i < row.Length - 1 && pad > 0) line.Append(' ', pad);
            }
            int end = line.Length;
            while (end > 0 && line[end - 1] == ' ') end--;
            line.Length = end;
            foreach (var chunk in line.GetChunks()) writer.Write(chunk.Span);
            writer.WriteLine();
        }
    }
}
