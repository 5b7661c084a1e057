using System.Text;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// A text table is its cells padded to the widest of each column, two spaces apart, numbers
/// right-aligned, no trailing blanks: also with thousands of rows, measured and written on two
/// cores, into a string or encoded as it goes.
/// </summary>
public sealed class TextTableTests
{
    private record Row(int Id, ulong Address, string Name, string Last);

    private static readonly TextColumn[] Columns = [new("#", true), new("ADDRESS", true), new("NAME"), new("LAST")];

    [Theory]
    [InlineData(3)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(1001)]
    [InlineData(10_000)]
    public void Rows_are_padded_to_the_widest_cell_of_their_column_in_order(int count)
    {
        // Widths vary along the rows: the widest of a column may be anywhere, in either half.
        var rows = Enumerable.Range(0, count).Select(i => new Row(i * 7919 % (count + 13), (ulong)i * 0x9E3779B97F4A7C15 >> (i % 61),
            new string('n', i * 31 % 23), i % 5 == 0 ? "" : new string('z', i % 9))).ToList();
        string[] Cells(Row r) => [r.Id.ToString(), $"0x{r.Address:x}", r.Name, r.Last.Length == 0 ? "-" : r.Last];
        var table = new List<string[]> { Columns.Select(c => c.Heading).ToArray() };
        table.AddRange(rows.Select(Cells));
        var widths = Enumerable.Range(0, Columns.Length).Select(c => table.Max(cells => cells[c].Length)).ToArray();
        var expected = new StringBuilder();
        foreach (var cells in table)
        {
            var line = string.Join("  ", cells.Select((cell, c) => Columns[c].AlignRight ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c])));
            expected.Append(line.TrimEnd()).Append('\n');
        }

        void Write(TextWriter w) => TextTable.Write(w, Columns, rows, (r, cells) =>
        {
            cells[0] = TextCell.Number(r.Id);
            cells[1] = TextCell.Hex(r.Address);
            cells[2] = r.Name;
            cells[3] = r.Last.Length == 0 ? "-" : r.Last;
        });
        var text = new StringWriter { NewLine = "\n" };
        Write(text);
        Assert.Equal(expected.ToString(), text.ToString());

        var bytes = new MemoryStream();
        using (var utf8 = new Utf8Writer(bytes, leaveOpen: true) { NewLine = "\n" }) Write(utf8);
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(bytes.ToArray()));
    }
}
