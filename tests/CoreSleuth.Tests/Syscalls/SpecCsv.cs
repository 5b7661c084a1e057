using System.Text;

namespace CoreSleuth.Tests.Syscalls;

/// <summary>One row of the spec's syscall CSV, parsed here independently of the generator.</summary>
internal sealed record CsvSyscallRow(int Number, string Name, string NArgs, string Status, string Notes);

internal static class SpecCsv
{
    public static IReadOnlyList<CsvSyscallRow> Read(string path)
    {
        var records = ParseRfc4180(File.ReadAllText(path));
        Assert.Equal(["number", "name", "nargs", "status", "notes"], records[0]);
        return records.Skip(1)
            .Where(r => !(r.Count == 1 && r[0].Length == 0))
            .Select(r =>
            {
                Assert.Equal(5, r.Count);
                return new CsvSyscallRow(int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), r[1], r[2], r[3], r[4]);
            })
            .ToList();
    }

    /// <summary>Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF.</summary>
    private static List<List<string>> ParseRfc4180(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n': row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; break;
                default: field.Append(c); break;
            }
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row); }
        return rows;
    }
}
