using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.MySql;

/// <summary>Where a session description came from.</summary>
public enum SessionSource { InnodbStatus, Processlist }

/// <summary>
/// A MySQL session as SHOW ENGINE INNODB STATUS or SHOW FULL PROCESSLIST describes it. The OS
/// thread handle (<c>THD::real_id</c>, a pthread_t on FreeBSD, spec §10) is known only from InnoDB text.
/// </summary>
/// <param name="LineNumber">The line of the input file the session starts on (from 1).</param>
public sealed record MySqlSession(
    SessionSource Source, long ThreadId, ulong? OsThreadHandle, long? QueryId, string? Host, string? Ip, string? User,
    string? State, string? Command, long? TimeSeconds, string? Database, string? Query, int LineNumber)
{
    /// <summary>
    /// How long its transaction has been active (<c>---TRANSACTION 1234, ACTIVE 12 sec</c> before its line);
    /// null for a transaction not started and for the sessions of LATEST DETECTED DEADLOCK, which are history.
    /// </summary>
    public long? TrxActiveSeconds { get; init; }

    /// <summary><c>mysql tables in use N, locked M</c> of its transaction: N.</summary>
    public int? TablesInUse { get; init; }

    /// <summary><c>mysql tables in use N, locked M</c> of its transaction: M.</summary>
    public int? TablesLocked { get; init; }

    /// <summary>The row or table lock its transaction is waiting for now, or null when the TRANSACTIONS section shows none.</summary>
    public InnodbLockWait? LockWait { get; init; }

    /// <summary>
    /// The id of its active transaction as a decimal number (<c>---TRANSACTION 23, ACTIVE 3 sec</c>, as MySQL 5.6+
    /// and MariaDB print it); null when not active, or printed otherwise (5.5's hexadecimal, 5.0's two words).
    /// </summary>
    public ulong? TransactionId { get; init; }
}

/// <summary>How the mysql client printed a result: the forms a DBA captures during an incident.</summary>
public enum CaptureForm
{
    /// <summary>The status text alone, as copied out of a terminal or a log.</summary>
    Raw,

    /// <summary><c>\G</c>: one <c>Name: value</c> line per column, values printed as they are.</summary>
    Vertical,

    /// <summary>The interactive <c>| cell | cell |</c> table, values printed as they are (newlines included).</summary>
    Table,

    /// <summary><c>mysql -e</c>, <c>-B</c>, <c>-N</c> to a file: tab-separated, newline/tab/NUL/backslash escaped.</summary>
    Batch,
}

/// <summary>What one input file gave: its sessions, the form it was in, and the lines that looked like sessions but could not be read.</summary>
public sealed record SessionText(IReadOnlyList<MySqlSession> Sessions, CaptureForm Form, IReadOnlyList<int> UnreadLines);

/// <summary>Parsers for the text a DBA copies out of the server (spec §10), in every form the mysql client prints it.</summary>
public static partial class MySqlSessions
{
    // MySQL 5.5/5.6 and MariaDB ≤10.1 print the handle in hex (0x…); 5.7/8.0 in decimal (spec §10).
    // [0-9], not \d: \d also matches the digits of other scripts, which long.Parse rejects.
    // MariaDB names itself: "MariaDB thread id N, OS thread handle H (decimal), query id Q" (sql/sql_class.cc: thd_get_error_context_description).
    [GeneratedRegex(@"(?:MySQL|MariaDB) thread id (?<id>[0-9]+), OS thread handle (?<handle>0x[0-9a-fA-F]+|[0-9]+), query id (?<query>[0-9]+)(?<rest>[^\r\n]*)")]
    private static partial Regex InnodbHeader();

    [GeneratedRegex(@"^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$")]
    private static partial Regex IpAddress();

    // The \G row separator: "*************************** 1. row ***************************".
    [GeneratedRegex(@"^\*+ [0-9]+\. row \*+$")]
    private static partial Regex VerticalRow();

    // What the interactive client prints after a result ("1 row in set (0.00 sec)").
    [GeneratedRegex(@"^[0-9]+ rows? in set")]
    private static partial Regex RowsInSet();

    private const string ThreadLineMarker = "MySQL thread id", MariaDbThreadLineMarker = "MariaDB thread id";

    /// <summary>
    /// Every <c>MySQL thread id N, OS thread handle H, query id Q [host] [ip] [user] [state]</c>
    /// line of SHOW ENGINE INNODB STATUS output, with the statement on the lines that follow,
    /// whichever form the client printed the status in.
    /// </summary>
    public static SessionText ReadInnodbStatus(string text)
    {
        var (lines, form) = InnodbStatusLines(Lines(text));
        var sections = InnodbTransactions.Sections(lines);
        var sessions = new List<MySqlSession>();
        var unread = new List<int>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i].Text;
            var m = InnodbHeader().Match(line);
            // A thread id past long's range is no MySQL id: the line is not a session header.
            if (!m.Success || !long.TryParse(m.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long threadId))
            {
                if (line.Contains(ThreadLineMarker, StringComparison.Ordinal) || line.Contains(MariaDbThreadLineMarker, StringComparison.Ordinal)) unread.Add(lines[i].Number);
                continue;
            }
            string h = m.Groups["handle"].Value;
            ulong? handle = h.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(h.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hx) ? hx : null
                : ulong.TryParse(h, CultureInfo.InvariantCulture, out ulong dec) ? dec : null;
            var (host, ip, user, state) = SplitContext(m.Groups["rest"].Value);
            long? queryId = long.TryParse(m.Groups["query"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long q) ? q : null;
            var trx = InnodbTransactions.Around(lines, i, sections);
            sessions.Add(new MySqlSession(SessionSource.InnodbStatus, threadId, handle,
                queryId, host, ip, user, state, null, null, null,
                StatementAfter(lines, i + 1), lines[i].Number)
            {
                TrxActiveSeconds = trx.ActiveSeconds, TablesInUse = trx.TablesInUse, TablesLocked = trx.TablesLocked, LockWait = trx.LockWait,
                TransactionId = trx.TransactionId,
            });
        }
        return new SessionText(sessions, form, unread);
    }

    /// <summary>
    /// The lines of SHOW ENGINE INNODB STATUS text (or of an error log) as the server wrote them,
    /// whichever form the client printed them in, each with its line number in the file.
    /// </summary>
    internal static List<NumberedLine> StatusLines(string text) => InnodbStatusLines(Lines(text)).Lines;

    private static List<NumberedLine> Lines(string text) =>
        [.. text.Replace("\r\n", "\n").Split('\n').Select((l, i) => new NumberedLine(l, i + 1))];

    /// <summary>
    /// The status text out of the client's result of Type, Name, Status (client/mysql.cc:
    /// print_tab_data escapes it, print_table_data and print_table_data_vertically print it
    /// as it is). An escaped status is one line of the file: each of its lines gets that number.
    /// </summary>
    private static (List<NumberedLine> Lines, CaptureForm Form) InnodbStatusLines(List<NumberedLine> lines)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i].Text;
            // Batch: "InnoDB\t<name>\t<status>", the status escaped unless --raw, whose newlines then continue the row.
            // A capture pasted where tabs became spaces still starts with the Type and holds escaped newlines.
            if (line.StartsWith("InnoDB\t", StringComparison.Ordinal) && line.IndexOf('\t', 7) is int second and >= 0)
                return (Batch(line[(second + 1)..], lines, i), CaptureForm.Batch);
            if (line.StartsWith("InnoDB ", StringComparison.Ordinal) && line.Contains(@"\n", StringComparison.Ordinal))
                return (Batch(line[7..].TrimStart(), lines, i), CaptureForm.Batch);
            // Table: "| InnoDB |      | " then the status's own lines; its last line ends with the padding and " |".
            if (line.StartsWith("| InnoDB ", StringComparison.Ordinal))
            {
                var cell = new List<NumberedLine> { lines[i] with { Text = CellAfter(line, 3) } };
                for (int k = i + 1; k < lines.Count && !lines[k].Text.StartsWith("+-", StringComparison.Ordinal); k++)
                    cell.Add(lines[k]);
                if (cell[^1].Text.TrimEnd() is var last && last.EndsWith('|')) cell[^1] = cell[^1] with { Text = last[..^1] };
                return (cell, CaptureForm.Table);
            }
            // \G: "Status: " then the status's own lines, up to "1 row in set" (interactive) or the end.
            if (VerticalRow().IsMatch(line.Trim()))
            {
                int status = lines.FindIndex(i, l => l.Text.TrimStart().StartsWith("Status:", StringComparison.Ordinal));
                if (status < 0) break; // no Status column anywhere after: not this result, and no later row has one either
                var cell = new List<NumberedLine> { lines[status] with { Text = CellAfterColon(lines[status].Text) } };
                for (int k = status + 1; k < lines.Count && !RowsInSet().IsMatch(lines[k].Text) && !VerticalRow().IsMatch(lines[k].Text.Trim()); k++)
                    cell.Add(lines[k]);
                return (cell, CaptureForm.Vertical);
            }
        }
        return (lines, CaptureForm.Raw);

        static List<NumberedLine> Batch(string escaped, List<NumberedLine> lines, int row) =>
            [.. Unescape(escaped).Split('\n').Select(l => lines[row] with { Text = l }), .. lines.Skip(row + 1)];
    }

    /// <summary>The text after the <paramref name="n"/>th '|' of a table line.</summary>
    private static string CellAfter(string line, int n)
    {
        int at = -1;
        for (int k = 0; k < n && at + 1 < line.Length; k++)
        {
            at = line.IndexOf('|', at + 1);
            if (at < 0) return "";
        }
        return line[(at + 1)..];
    }

    private static string CellAfterColon(string line) => line[(line.IndexOf(':') + 1)..].TrimStart(' ');

    /// <summary>
    /// Undoes the batch-mode escaping of client/mysql.cc's safe_put_field: NUL as <c>\0</c>, tab
    /// as <c>\t</c>, newline as <c>\n</c>, backslash as <c>\\</c>. Any other backslash is kept.
    /// </summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            char c = field[i];
            if (c != '\\' || i + 1 == field.Length) { sb.Append(c); continue; }
            char next = field[i + 1];
            string? decoded = next switch { 'n' => "\n", 't' => "\t", '0' => "\0", '\\' => "\\", 'r' => "\r", _ => null };
            if (decoded is null) { sb.Append(c); continue; }
            sb.Append(decoded);
            i++;
        }
        return sb.ToString();
    }

    /// <summary>
    /// thd_security_context appends " host", " ip", " user", " proc_info", each only when set:
    /// host, ip and user are single words; the state is the rest and may contain spaces.
    /// </summary>
    private static (string? Host, string? Ip, string? User, string? State) SplitContext(string rest)
    {
        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return (null, null, null, null);
        int i = 0;
        string? host = words[i++], ip = null, user = null;
        if (i < words.Length && IpAddress().IsMatch(words[i])) ip = words[i++];
        if (i < words.Length) user = words[i++];
        string? state = i < words.Length ? string.Join(' ', words[i..]) : null;
        return (host, ip, user, state);
    }

    private static readonly string[] InnodbMarkers =
        ["---", ThreadLineMarker, "mysql tables in use", "Trx read view", "TABLE LOCK", "RECORD LOCKS", "LOCK WAIT", "*** ", "Record lock", "==="];

    private static string? StatementAfter(List<NumberedLine> lines, int start)
    {
        var parts = new List<string>();
        for (int i = start; i < lines.Count && parts.Count < 50; i++)
        {
            string line = lines[i].Text;
            if (line.Trim().Length == 0 || InnodbMarkers.Any(line.StartsWith)) break;
            parts.Add(line.TrimEnd());
        }
        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    /// <summary>The columns of SHOW FULL PROCESSLIST in their order; MariaDB and Percona add columns after them.</summary>
    private static readonly string[] ProcesslistColumns = ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"];

    /// <summary>SHOW FULL PROCESSLIST in the mysql client's table form, its <c>\G</c> form, or tab-separated batch form (with or without column names).</summary>
    public static SessionText ReadProcesslist(string text)
    {
        var lines = Lines(text);
        var rows = new List<(Dictionary<string, string?> Row, int Line)>();
        CaptureForm form;
        if (lines.Any(l => VerticalRow().IsMatch(l.Text.Trim())))
        {
            form = CaptureForm.Vertical;
            ReadVertical(lines, rows);
        }
        else
        {
            form = lines.Any(l => l.Text.TrimStart().StartsWith('|')) ? CaptureForm.Table : CaptureForm.Batch;
            ReadRows(lines, form, rows);
        }
        var sessions = new List<MySqlSession>();
        var unread = new List<int>();
        foreach (var (row, line) in rows)
            if (ToSession(row, line) is { } s) sessions.Add(s);
            else unread.Add(line);
        return new SessionText(sessions, form, unread);
    }

    /// <summary>
    /// client/mysql.cc prints each column as "%*s: " (names right-aligned, so every colon of a
    /// row is in one column) and the value as it is: a line whose colon is elsewhere continues
    /// the value before it (a statement with newlines).
    /// </summary>
    private static void ReadVertical(List<NumberedLine> lines, List<(Dictionary<string, string?>, int)> rows)
    {
        // Each value's lines, joined once its row is read: a value may span most of a 64 MiB file.
        var values = new List<(Dictionary<string, List<string>> Row, int Line)>();
        Dictionary<string, List<string>>? row = null;
        int colonAt = -1;
        string? lastKey = null;
        foreach (var (line, number) in lines)
        {
            if (VerticalRow().IsMatch(line.Trim()))
            {
                row = new(StringComparer.OrdinalIgnoreCase);
                values.Add((row, number));
                colonAt = -1;
                lastKey = null;
                continue;
            }
            if (RowsInSet().IsMatch(line)) row = null;
            if (row is null) continue;
            int colon = line.IndexOf(':');
            bool isName = colon > 0 && (colonAt < 0 || colon == colonAt) && line[..colon].Trim() is { Length: > 0 } name && !name.Contains(' ')
                          && (colon + 1 == line.Length || line[colon + 1] == ' ');
            if (isName)
            {
                colonAt = colon;
                lastKey = line[..colon].Trim();
                row[lastKey] = [line[(colon + 1)..].TrimStart(' ')];
            }
            else if (lastKey is not null) row[lastKey].Add(line);
        }
        // The blank line that ends the output is no part of the last value.
        foreach (var (value, number) in values)
            rows.Add((value.ToDictionary(v => v.Key, v => (string?)string.Join('\n', v.Value).TrimEnd('\n'), StringComparer.OrdinalIgnoreCase), number));
    }

    /// <summary>
    /// Table and batch rows. A table cell is printed as it is, so a statement with newlines
    /// spreads a row over several lines, the last ending with '|'; a batch row is one line.
    /// Without column names (<c>mysql -N</c>) the columns are SHOW FULL PROCESSLIST's own.
    /// </summary>
    private static void ReadRows(List<NumberedLine> lines, CaptureForm form, List<(Dictionary<string, string?>, int)> rows)
    {
        string[]? header = null;
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i].Text;
            int number = lines[i].Number;
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('+') || RowsInSet().IsMatch(line)) continue;
            string[] cells;
            if (form == CaptureForm.Table)
            {
                if (!line.TrimStart().StartsWith('|')) continue;
                var joined = new StringBuilder(line.Trim());
                for (bool ended = line.TrimEnd().EndsWith('|'); !ended && i + 1 < lines.Count; )
                {
                    string next = lines[++i].Text.TrimEnd();
                    joined.Append('\n').Append(next);
                    ended = next.EndsWith('|');
                }
                string body = joined.ToString().Trim();
                body = body.Length >= 2 && body.EndsWith('|') ? body[1..^1] : body.TrimStart('|');
                cells = body.Split('|');
            }
            else cells = line.Split('\t');
            if (header is null && cells.Select(c => c.Trim()).ToArray() is var names
                && names.Contains("Id", StringComparer.OrdinalIgnoreCase) && names.Contains("Command", StringComparer.OrdinalIgnoreCase))
            {
                header = names;
                continue;
            }
            var columns = header ?? ProcesslistColumns;
            // Without column names only a line with every column of SHOW FULL PROCESSLIST is a row.
            if (header is null && cells.Length < ProcesslistColumns.Length) continue;
            int info = Array.FindIndex(columns, c => c.Equals("Info", StringComparison.OrdinalIgnoreCase));
            if (form == CaptureForm.Table && cells.Length > columns.Length && info >= 0)
            {
                // A statement may hold '|': the cells past the count belong to Info, joined back as they were.
                int extra = cells.Length - columns.Length;
                cells = [.. cells[..info], string.Join('|', cells[info..(info + extra + 1)]), .. cells[(info + extra + 1)..]];
            }
            var row = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            for (int c = 0; c < Math.Min(columns.Length, cells.Length); c++)
                row.TryAdd(columns[c], form == CaptureForm.Table ? cells[c].Trim(' ') : cells[c] == "NULL" ? null : Unescape(cells[c]));
            rows.Add((row, number));
        }
    }

    private static MySqlSession? ToSession(Dictionary<string, string?> row, int line)
    {
        if (!row.TryGetValue("Id", out var id) || !long.TryParse(id?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long threadId)) return null;
        string? Get(string k) => row.TryGetValue(k, out var v) && v is { Length: > 0 } && v != "NULL" ? v : null;
        long? time = long.TryParse(Get("Time")?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long t) ? t : null;
        return new MySqlSession(SessionSource.Processlist, threadId, null, null, Get("Host"), null, Get("User"), Get("State"),
            Get("Command"), time, Get("db"), Get("Info"), line);
    }
}

/// <summary>A line of an input with its number in the file (from 1).</summary>
internal readonly record struct NumberedLine(string Text, int Number);
