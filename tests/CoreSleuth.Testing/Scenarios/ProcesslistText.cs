using System.Globalization;
using System.Text;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// SHOW FULL PROCESSLIST for a scenario's sessions, as the DBA captured it beside the core, in
/// the forms of the MySQL client (client/mysql.cc; the rules are those of
/// tests/CoreSleuth.Tests/Identity/CaptureForms/README.md): <c>batch</c> is <c>mysql -e "SHOW FULL
/// PROCESSLIST" &gt; file</c> (print_tab_data: a line of column names, then tab-separated rows;
/// safe_put_field writes NULL as <c>NULL</c> and escapes NUL, tab, newline and backslash);
/// <c>table</c> is a copy of an interactive session (print_table_data: <c>+---+</c> rules, cells
/// padded to the column's longest value, numbers right-aligned). Columns are 5.7's Id, User, Host,
/// db, Command, Time, State, Info; rows are in thread id order, a session without a state has an
/// empty State and one without a statement a NULL Info.
/// </summary>
public static class ProcesslistText
{
    private static readonly string[] Columns = ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"];
    private static readonly bool[] Numeric = [true, false, false, false, false, true, false, false];

    public static string Build(ScenarioProcess process)
    {
        var model = process.Scenario.Processlist ?? throw new InvalidOperationException("the scenario has no processlist");
        var rows = process.Threads.Where(t => t.Session is not null).Select(t => t.Session!).OrderBy(s => s.Id).Select(Row).ToList();
        return model.Format switch
        {
            "batch" => Batch(rows),
            "table" => Table(rows),
            _ => throw new InvalidDataException($"processlist.format \"{model.Format}\" is not batch or table"),
        };
    }

    /// <summary>One row's values; null is SQL NULL.</summary>
    private static string?[] Row(SessionModel s) =>
    [
        s.Id.ToString(CultureInfo.InvariantCulture), s.User, s.Host, s.Db, s.Command, s.Time.ToString(CultureInfo.InvariantCulture), s.State ?? "", s.Statement,
    ];

    private static string Batch(List<string?[]> rows)
    {
        var sb = new StringBuilder().Append(string.Join('\t', Columns)).Append('\n');
        foreach (var row in rows)
            sb.Append(string.Join('\t', row.Select(v => v is null ? "NULL" : Escape(v)))).Append('\n');
        return sb.ToString();
    }

    private static string Escape(string v) =>
        v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal)
         .Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Table(List<string?[]> rows)
    {
        if (rows.Any(r => r.Any(v => v is not null && v.Contains('\n', StringComparison.Ordinal))))
            throw new InvalidDataException("processlist: the table form of a statement with newlines is not written");
        var cells = rows.Select(r => r.Select(v => v ?? "NULL").ToArray()).ToList();
        var widths = Columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        string rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+\n";
        string Line(string[] values, bool header) =>
            "| " + string.Join(" | ", values.Select((v, i) => !header && Numeric[i] ? v.PadLeft(widths[i]) : v.PadRight(widths[i]))) + " |\n";

        var sb = new StringBuilder("mysql> SHOW FULL PROCESSLIST;\n");
        sb.Append(rule).Append(Line(Columns, header: true)).Append(rule);
        foreach (var row in cells) sb.Append(Line(row, header: false));
        sb.Append(rule);
        sb.Append(CultureInfo.InvariantCulture, $"{rows.Count} rows in set (0.00 sec)\n");
        return sb.ToString();
    }
}
