using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.MySql;

/// <summary>Where a session description came from.</summary>
public enum SessionSource { InnodbStatus, Processlist }

/// <summary>
/// A MySQL session as SHOW ENGINE INNODB STATUS or SHOW FULL PROCESSLIST describes it. The OS
/// thread handle (<c>THD::real_id</c>, a pthread_t on FreeBSD, spec §10) is known only from InnoDB text.
/// </summary>
public sealed record MySqlSession(
    SessionSource Source, long ThreadId, ulong? OsThreadHandle, long? QueryId, string? Host, string? Ip, string? User,
    string? State, string? Command, long? TimeSeconds, string? Database, string? Query, int LineNumber);

/// <summary>Parsers for the text a DBA copies out of the server (spec §10).</summary>
public static partial class MySqlSessions
{
    // MySQL 5.5/5.6 and MariaDB ≤10.1 print the handle in hex (0x…); 5.7/8.0 in decimal (spec §10).
    // [0-9], not \d: \d also matches the digits of other scripts, which long.Parse rejects.
    [GeneratedRegex(@"MySQL thread id (?<id>[0-9]+), OS thread handle (?<handle>0x[0-9a-fA-F]+|[0-9]+), query id (?<query>[0-9]+)(?<rest>[^\r\n]*)")]
    private static partial Regex InnodbHeader();

    [GeneratedRegex(@"^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$")]
    private static partial Regex IpAddress();

    /// <summary>
    /// Every <c>MySQL thread id N, OS thread handle H, query id Q [host] [ip] [user] [state]</c>
    /// line of SHOW ENGINE INNODB STATUS output, with the statement on the lines that follow.
    /// </summary>
    public static IReadOnlyList<MySqlSession> ParseInnodbStatus(string text)
    {
        var sessions = new List<MySqlSession>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var m = InnodbHeader().Match(lines[i]);
            // A thread id past long's range is no MySQL id: the line is not a session header.
            if (!m.Success || !long.TryParse(m.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long threadId)) continue;
            string h = m.Groups["handle"].Value;
            ulong? handle = h.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ulong.TryParse(h.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hx) ? hx : null
                : ulong.TryParse(h, CultureInfo.InvariantCulture, out ulong dec) ? dec : null;
            var (host, ip, user, state) = SplitContext(m.Groups["rest"].Value);
            long? queryId = long.TryParse(m.Groups["query"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long q) ? q : null;
            sessions.Add(new MySqlSession(SessionSource.InnodbStatus, threadId, handle,
                queryId, host, ip, user, state, null, null, null,
                StatementAfter(lines, i + 1), i + 1));
        }
        return sessions;
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
        ["---", "MySQL thread id", "mysql tables in use", "Trx read view", "TABLE LOCK", "RECORD LOCKS", "LOCK WAIT", "*** ", "Record lock", "==="];

    private static string? StatementAfter(string[] lines, int start)
    {
        var parts = new List<string>();
        for (int i = start; i < lines.Length && parts.Count < 50; i++)
        {
            string line = lines[i];
            if (line.Trim().Length == 0 || InnodbMarkers.Any(line.StartsWith)) break;
            parts.Add(line.TrimEnd());
        }
        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    private static readonly string[] ProcesslistColumns = ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"];

    /// <summary>SHOW FULL PROCESSLIST in the mysql client's table form, its <c>\G</c> form, or tab-separated batch form.</summary>
    public static IReadOnlyList<MySqlSession> ParseProcesslist(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Any(l => l.TrimStart().StartsWith("*****", StringComparison.Ordinal) && l.Contains(". row")))
            return ParseVertical(lines);
        return ParseTable(lines);
    }

    private static IReadOnlyList<MySqlSession> ParseVertical(string[] lines)
    {
        var sessions = new List<MySqlSession>();
        Dictionary<string, string>? row = null;
        int rowLine = 0;
        void Flush() { if (row is not null && ToSession(row, rowLine) is { } s) sessions.Add(s); }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.TrimStart().StartsWith("*****", StringComparison.Ordinal)) { Flush(); row = new(StringComparer.OrdinalIgnoreCase); rowLine = i + 1; continue; }
            if (row is null) continue;
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            string key = line[..colon].Trim();
            if (ProcesslistColumns.Contains(key, StringComparer.OrdinalIgnoreCase)) row[key] = line[(colon + 1)..].Trim();
        }
        Flush();
        return sessions;
    }

    private static IReadOnlyList<MySqlSession> ParseTable(string[] lines)
    {
        var sessions = new List<MySqlSession>();
        string[]? header = null;
        char separator = '|';
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('+')) continue;
            string[] cells = line.Contains('|')
                ? line.Trim('|').Split('|').Select(c => c.Trim()).ToArray()
                : line.Split('\t').Select(c => c.Trim()).ToArray();
            if (header is null)
            {
                if (cells.Contains("Id", StringComparer.OrdinalIgnoreCase) && cells.Contains("Command", StringComparer.OrdinalIgnoreCase))
                {
                    header = cells;
                    separator = line.Contains('|') ? '|' : '\t';
                }
                continue;
            }
            if (separator == '|' && line.Contains('|') && cells.Length > header.Length)
            {
                // The Info column may itself contain '|': everything past the fixed columns belongs to it.
                cells = [.. cells[..(header.Length - 1)], string.Join(" | ", cells[(header.Length - 1)..])];
            }
            var row = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int c = 0; c < Math.Min(header.Length, cells.Length); c++) row[header[c]] = cells[c];
            if (ToSession(row, i + 1) is { } s) sessions.Add(s);
        }
        return sessions;
    }

    private static MySqlSession? ToSession(Dictionary<string, string> row, int line)
    {
        if (!row.TryGetValue("Id", out var id) || !long.TryParse(id, CultureInfo.InvariantCulture, out long threadId)) return null;
        string? Get(string k) => row.TryGetValue(k, out var v) && v.Length > 0 && v != "NULL" ? v : null;
        long? time = long.TryParse(Get("Time"), CultureInfo.InvariantCulture, out long t) ? t : null;
        return new MySqlSession(SessionSource.Processlist, threadId, null, null, Get("Host"), null, Get("User"), Get("State"),
            Get("Command"), time, Get("db"), Get("Info"), line);
    }
}
