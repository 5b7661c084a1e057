using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.MySql;

/// <summary>
/// A row or table lock a transaction waits for, as the TRANSACTIONS section of SHOW ENGINE INNODB
/// STATUS prints it (storage/innobase/lock/lock0lock.cc): <c>------- TRX HAS BEEN WAITING 12 SEC FOR
/// THIS LOCK TO BE GRANTED:</c> and the <c>RECORD LOCKS …</c> or <c>TABLE LOCK …</c> line after it.
/// </summary>
/// <param name="LineNumber">The line of the input with <c>TRX HAS BEEN WAITING</c> (from 1).</param>
/// <param name="Seconds">How long the transaction has waited, as printed.</param>
/// <param name="Table">The table as printed, quotes included (<c>`test`.`t`</c>; <c>`test/t`</c> before 5.5); null when the lock line is missing.</param>
/// <param name="Index">The index of a record lock without its backquotes (<c>PRIMARY</c>); null for a table lock.</param>
/// <param name="Mode">What is requested, as printed from <c>lock_mode</c>/<c>lock mode</c> on (<c>lock_mode X locks rec but not gap waiting</c>, <c>lock mode AUTO-INC waiting</c>).</param>
public sealed record InnodbLockWait(int LineNumber, long Seconds, string? Table, string? Index, string? Mode)
{
    /// <summary>True for a <c>TABLE LOCK</c> (LOCK TABLES, AUTO-INC, IX…), false for <c>RECORD LOCKS</c> or when the lock line is missing.</summary>
    public bool TableLock { get; init; }

    /// <summary>
    /// The DB_TRX_ID of the waited-for record of a clustered index: the transaction that last
    /// changed it, read from the record's dump after the lock line; null when there is none.
    /// </summary>
    public RecordTransaction? LastChangedBy { get; init; }
}

/// <summary>
/// The DB_TRX_ID system column of a clustered index record, as <c>lock_rec_print</c> dumps the
/// record (<c> 1: len 6; hex 000000000017; asc       ;;</c>).
/// </summary>
/// <param name="TransactionId">The transaction id the six bytes hold.</param>
/// <param name="Field">The field's number in the dump: the first of six bytes followed by one of seven (DB_ROLL_PTR), after the key.</param>
/// <param name="LineNumber">The line of the input with that field.</param>
public sealed record RecordTransaction(ulong TransactionId, int Field, int LineNumber);

/// <summary>What the TRANSACTIONS section says of the transaction of one session.</summary>
internal readonly record struct TransactionFacts(long? ActiveSeconds, int? TablesInUse, int? TablesLocked, InnodbLockWait? LockWait, ulong? TransactionId = null);

/// <summary>
/// Reads the lines of the TRANSACTIONS section around a session header. trx_print_low
/// (storage/innobase/trx/trx0trx.cc) prints <c>---TRANSACTION id, ACTIVE n sec</c>, <c>mysql tables
/// in use N, locked M</c> and the lock counts before the <c>MySQL thread id</c> line, and
/// lock_trx_print_wait_and_mvcc_state the lock wait after the statement.
/// </summary>
internal static class InnodbTransactions
{
    // "---TRANSACTION 1792, ACTIVE 512 sec", "---TRANSACTION 3EF8F1F3, ACTIVE 7 sec fetching rows" (5.5 hex ids),
    // "---TRANSACTION 0 1234, ACTIVE 12 sec, process no …" (5.0/5.1), "ACTIVE (PREPARED) 5 sec" (XA).
    private static readonly StatusLinePattern TransactionHeader = new("---TRANSACTION ", @"^\s*---TRANSACTION (?<id>[^,]*), ACTIVE (?:\(PREPARED\) )?(?<sec>[0-9]{1,18}) sec", anchoredWithoutAmbiguity: true);

    // rec_print_comp (storage/innobase/rem/rem0rec.cc): " 1: len 6; hex 000000000017; asc       ;;", one field a line.
    private static readonly StatusLinePattern RecordField = new(": len ", @"^\s*(?<field>[0-9]{1,4}): len (?<len>[0-9]{1,9}); hex (?<hex>[0-9a-f]*)", anchoredWithoutAmbiguity: true);

    private static readonly StatusLinePattern TablesLine = new("mysql tables in use ", @"^\s*mysql tables in use (?<use>[0-9]{1,9}), locked (?<locked>[0-9]{1,9})", anchoredWithoutAmbiguity: true);

    // MySQL prints seconds; MariaDB microseconds: "TRX HAS BEEN WAITING 2060372 us FOR THIS LOCK TO BE GRANTED" (seen in 10.11.19).
    private static readonly StatusLinePattern WaitingLine = new("TRX HAS BEEN WAITING ", @"TRX HAS BEEN WAITING (?<sec>[0-9]{1,18}) (?<unit>SEC|us) FOR THIS LOCK TO BE GRANTED");

    // lock_rec_print: "RECORD LOCKS space id 417 page no 2846 n bits 288 index `PRIMARY` of table `db`.`t` trx id 3EF8F1F3 lock_mode X …".
    private static readonly StatusLinePattern RecordLockLine = new("RECORD LOCKS space id ", @"^\s*RECORD LOCKS space id [0-9]+ page no [0-9]+ n bits [0-9]+ index (?<index>.+?) of table (?<table>.+?) trx id .*?(?<mode>lock[ _]mode .*?)?\s*$");

    // lock_table_print: "TABLE LOCK table `test`.`t` trx id 1234 lock mode AUTO-INC waiting".
    private static readonly StatusLinePattern TableLockLine = new("TABLE LOCK table ", @"^\s*TABLE LOCK table (?<table>.+?) trx id .*?(?<mode>lock[ _]mode .*?)?\s*$");

    /// <summary>A session line: "MySQL thread id N, …", or "MariaDB thread id N, …" as MariaDB names itself.</summary>
    private static bool IsSessionLine(string text) =>
        text.Contains("MySQL thread id", StringComparison.Ordinal) || text.Contains("MariaDB thread id", StringComparison.Ordinal);

    /// <summary>Sections whose transactions are history, not what the server is doing now.</summary>
    private static readonly string[] PastSections = ["LATEST DETECTED DEADLOCK", "LATEST FOREIGN KEY ERROR"];

    /// <summary>
    /// The section title each line is in: a title is a line between two rules of dashes or equal
    /// signs (srv_printf_innodb_monitor). Null before the first title (a paste without headers).
    /// </summary>
    internal static string?[] Sections(List<NumberedLine> lines)
    {
        var result = new string?[lines.Count];
        string? current = null;
        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0 && i + 1 < lines.Count && IsRule(lines[i - 1].Text) && IsRule(lines[i + 1].Text)
                && lines[i].Text.Trim() is { Length: > 0 } title && title[0] != '-')
                current = title;
            result[i] = current;
        }
        return result;
    }

    private static bool IsRule(string line)
    {
        var t = line.AsSpan().Trim();
        return t.Length >= 3 && !t.ContainsAnyExcept('-', '=');
    }

    /// <summary>The transaction facts of the session whose header is line <paramref name="session"/>.</summary>
    internal static TransactionFacts Around(List<NumberedLine> lines, int session, string?[] sections)
    {
        string? section = sections[session];
        if (section is not null && PastSections.Contains(section)) return default;

        long? active = null;
        ulong? id = null;
        int? inUse = null, locked = null;
        // Back to this transaction's header; its lines before the session line are few (a dozen at most).
        for (int k = session - 1; k >= 0 && k >= session - 20 && sections[k] == section; k--)
        {
            string text = lines[k].Text;
            if (IsSessionLine(text)) break;
            if (TablesLine.Match(text) is { Success: true } t)
            {
                inUse = int.Parse(t.Groups["use"].ValueSpan, CultureInfo.InvariantCulture);
                locked = int.Parse(t.Groups["locked"].ValueSpan, CultureInfo.InvariantCulture);
            }
            if (TransactionHeader.Match(text) is { Success: true } h)
            {
                active = long.Parse(h.Groups["sec"].ValueSpan, CultureInfo.InvariantCulture);
                id = ulong.TryParse(h.Groups["id"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed) ? parsed : null;
                break;
            }
            if (text.TrimStart().StartsWith("---TRANSACTION", StringComparison.Ordinal)) break; // "not started": no ACTIVE
        }
        return new TransactionFacts(active, inUse, locked, LockWaitAfter(lines, session, sections), id);
    }

    /// <summary>The lock wait printed after the session's statement, up to the next transaction or session.</summary>
    private static InnodbLockWait? LockWaitAfter(List<NumberedLine> lines, int session, string?[] sections)
    {
        for (int k = session + 1; k < lines.Count && sections[k] == sections[session]; k++)
        {
            string text = lines[k].Text;
            if (IsSessionLine(text) || text.TrimStart().StartsWith("---TRANSACTION", StringComparison.Ordinal))
                return null;
            if (WaitingLine.Match(text) is not { Success: true } w) continue;
            // A number past long's range is no wait time InnoDB printed; the regex bounds it to 18 digits.
            long seconds = long.Parse(w.Groups["sec"].ValueSpan, CultureInfo.InvariantCulture);
            if (w.Groups["unit"].Value == "us") seconds /= 1_000_000;
            int next = k + 1;
            while (next < lines.Count && lines[next].Text.Trim().Length == 0) next++;
            string lockLine = next < lines.Count ? lines[next].Text : "";
            if (RecordLockLine.Match(lockLine) is { Success: true } r)
            {
                string index = r.Groups["index"].Value.Trim('`');
                return new InnodbLockWait(lines[k].Number, seconds, r.Groups["table"].Value, index, ModeOf(r))
                {
                    LastChangedBy = index is "PRIMARY" or "GEN_CLUST_INDEX" ? RecordTransactionAfter(lines, next, sections) : null,
                };
            }
            if (TableLockLine.Match(lockLine) is { Success: true } t)
                return new InnodbLockWait(lines[k].Number, seconds, t.Groups["table"].Value, null, ModeOf(t)) { TableLock = true };
            return new InnodbLockWait(lines[k].Number, seconds, null, null, null);
        }
        return null;
    }

    /// <summary>
    /// The DB_TRX_ID of the first record dumped after the lock line <paramref name="lockLine"/>. In a
    /// clustered index record the key's fields come first, then DB_TRX_ID (6 bytes) and DB_ROLL_PTR
    /// (7 bytes) (storage/innobase/dict/dict0dict.cc: dict_index_add_col of the system columns):
    /// the first field of six bytes followed by one of seven, after at least one key field.
    /// </summary>
    private static RecordTransaction? RecordTransactionAfter(List<NumberedLine> lines, int lockLine, string?[] sections)
    {
        (int Field, int Length, string Hex, int Line)? previous = null;
        for (int k = lockLine + 1; k < lines.Count && k <= lockLine + 64 && sections[k] == sections[lockLine]; k++)
        {
            string text = lines[k].Text;
            if (text.Contains("PHYSICAL RECORD", StringComparison.Ordinal))
            {
                if (previous is not null) return null; // the next record: the first has none
                continue;
            }
            if (RecordField.Match(text) is not { Success: true } f)
            {
                if (previous is not null) return null; // past the first record's fields
                continue;
            }
            int field = int.Parse(f.Groups["field"].ValueSpan, CultureInfo.InvariantCulture);
            int length = int.TryParse(f.Groups["len"].ValueSpan, CultureInfo.InvariantCulture, out int n) ? n : -1;
            if (previous is { Length: 6, Field: >= 1 } p && field == p.Field + 1 && length == 7 && p.Hex.Length == 12)
                return new RecordTransaction(ulong.Parse(p.Hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture), p.Field, p.Line);
            previous = (field, length, f.Groups["hex"].Value, lines[k].Number);
        }
        return null;
    }

    // A copy wrapped at the terminal's width may cut the mode off: then it is unknown, not empty.
    private static string? ModeOf(Match m) => m.Groups["mode"] is { Success: true, Length: > 0 } g ? g.Value : null;
}
