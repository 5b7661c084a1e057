using System.Globalization;
using System.Text;

namespace CoreSleuth.Report;

/// <summary>A column of a <see cref="TextTable"/>: its heading and which side its cells hug.</summary>
internal sealed record TextColumn(string Heading, bool AlignRight = false);

/// <summary>
/// A cell of a <see cref="TextTable"/>: text, or a number (decimal, or 0x and hex digits) after an
/// optional prefix, written into the line when it is written: ten thousand threads' rows made four
/// strings each of numbers alone.
/// </summary>
internal readonly struct TextCell
{
    private enum Form : byte { Text, Decimal, Hex }

    private readonly string text;
    private readonly long value;
    private readonly Form form;

    private TextCell(string text, long value, Form form)
    {
        this.text = text;
        this.value = value;
        this.form = form;
    }

    public static implicit operator TextCell(string text) => new(text, 0, Form.Text);

    /// <summary><paramref name="prefix"/> and <paramref name="value"/> in decimal, as <c>$"{prefix}{value}"</c> makes it.</summary>
    public static TextCell Number(long value, string prefix = "") => new(prefix, value, Form.Decimal);

    /// <summary>0x and lowercase hex digits, as <see cref="Report.Hex.ToString()"/> makes them.</summary>
    public static TextCell Hex(ulong value) => new("", unchecked((long)value), Form.Hex);

    public int Length
    {
        get
        {
            if (form == Form.Text) return text.Length;
            Span<char> digits = stackalloc char[20];
            return text.Length + Format(digits);
        }
    }

    public void AppendTo(StringBuilder line)
    {
        line.Append(text);
        if (form == Form.Text) return;
        Span<char> digits = stackalloc char[20];
        line.Append(digits[..Format(digits)]);
    }

    private int Format(Span<char> digits)
    {
        if (form == Form.Hex) return Report.Hex.Format(unchecked((ulong)value), digits);
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        return n;
    }
}

/// <summary>Fills <paramref name="cells"/> with the cells of <paramref name="row"/>, one per column.</summary>
internal delegate void CellsOf<T>(T row, Span<TextCell> cells);

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

    public void Write(TextWriter writer) =>
        Write(writer, columns, rows, static (row, cells) => { for (int i = 0; i < row.Length; i++) cells[i] = row[i]; }, ShowHeadings, Indent);

    /// <summary>
    /// The table of <paramref name="rows"/>, whose cells <paramref name="cellsOf"/> gives: asked
    /// twice per row (for the widths, then for the line), so that no row is kept. Many rows (ten
    /// thousand threads) are measured and written on two cores (<see cref="InParallel"/>), so
    /// <paramref name="cellsOf"/> may be asked on two threads at once.
    /// </summary>
    public static void Write<T>(TextWriter writer, TextColumn[] columns, IReadOnlyList<T> rows, CellsOf<T> cellsOf, bool showHeadings = true, string indent = "")
    {
        var widths = new int[columns.Length];
        if (showHeadings)
            for (int i = 0; i < columns.Length; i++) widths[i] = columns[i].Heading.Length;
        foreach (var half in InParallel.Halves(rows.Count, (from, to) => Widths(columns.Length, rows, cellsOf, from, to)))
            for (int i = 0; i < widths.Length; i++) widths[i] = Math.Max(widths[i], half[i]);

        var cells = new TextCell[columns.Length];
        var line = new StringBuilder();
        if (showHeadings)
        {
            for (int i = 0; i < columns.Length; i++) cells[i] = columns[i].Heading;
            WriteLine(writer, line, columns, widths, cells, indent);
        }
        if (!InParallel.Splits(rows.Count))
        {
            for (int r = 0; r < rows.Count; r++)
            {
                cellsOf(rows[r], cells);
                WriteLine(writer, line, columns, widths, cells, indent);
            }
            return;
        }
        // Each thread with cells and a line of its own.
        using var own = new ThreadLocal<(TextCell[] Cells, StringBuilder Line)>(() => (new TextCell[columns.Length], new StringBuilder()));
        InParallel.Write(writer, rows, (w, row, _) =>
        {
            var (rowCells, rowLine) = own.Value;
            cellsOf(row, rowCells);
            WriteLine(w, rowLine, columns, widths, rowCells, indent);
        });
    }

    /// <summary>The widest cell of each column among rows [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static int[] Widths<T>(int columns, IReadOnlyList<T> rows, CellsOf<T> cellsOf, int from, int to)
    {
        var cells = new TextCell[columns];
        var widths = new int[columns];
        for (int r = from; r < to; r++)
        {
            cellsOf(rows[r], cells);
            for (int i = 0; i < cells.Length; i++) widths[i] = Math.Max(widths[i], cells[i].Length);
        }
        return widths;
    }

    private static void WriteLine(TextWriter writer, StringBuilder line, TextColumn[] columns, int[] widths, TextCell[] cells, string indent)
    {
        line.Clear().Append(indent);
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) line.Append("  ");
            int pad = widths[i] - cells[i].Length;
            if (columns[i].AlignRight && pad > 0) line.Append(' ', pad);
            cells[i].AppendTo(line);
            if (!columns[i].AlignRight && i < cells.Length - 1 && pad > 0) line.Append(' ', pad);
        }
        int end = line.Length;
        while (end > 0 && line[end - 1] == ' ') end--;
        line.Length = end;
        foreach (var chunk in line.GetChunks()) writer.Write(chunk.Span);
        writer.WriteLine();
    }
}
