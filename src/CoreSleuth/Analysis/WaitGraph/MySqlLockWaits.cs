using System.Globalization;
using CoreSleuth.Analysis.Activity;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.MySql;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>
/// Waits for MySQL's own locks, which libthr does not see (a session waiting for a table lock
/// sleeps on a condition variable): from the frames (the catalogue's lock wait sites), the
/// processlist state and InnoDB's TRANSACTIONS section. Where no structure in the core names the
/// holder, the session whose statement uses the same table and holds its tables is the likely
/// one, with the evidence.
/// </summary>
public static class MySqlLockWaits
{
    /// <summary>Frames that mean a wait for one kind of MySQL lock (docs/thread-catalogue.md has their sources).</summary>
    private static readonly Dictionary<string, string> LockKindOfFrame = new(StringComparer.Ordinal)
    {
        ["MDL_wait::timed_wait"] = "metadata",
        ["thr_multi_lock"] = "table-level",
        ["wait_for_lock"] = "table-level",
        ["lock_wait_suspend_thread"] = "innodb-row",
        ["sync_array_wait_event"] = "innodb-semaphore",
        ["Global_read_lock::lock_global_read_lock"] = "global-read",
        ["Commit_order_manager::wait_for_its_turn"] = "commit-order",
    };

    /// <summary>The kind of MySQL lock the innermost lock-wait frame waits for, and that frame's name; null when none is on the stack.</summary>
    public static (string Kind, string Function)? FromFrames(ThreadAnalysis t)
    {
        foreach (var f in t.Frames)
            if (f.Symbol.Symbol is not null && FunctionName.Key(f.Symbol.DisplayName) is { } key && LockKindOfFrame.TryGetValue(key, out var kind))
                return (kind, key);
        return null;
    }

    public static IEnumerable<WaitEdge> Build(IReadOnlyList<ThreadAnalysis> threads)
    {
        // What each session thread waits for and which tables its statement uses, worked out once:
        // every waiter looks at every other session for its holder.
        var sessions = threads.Where(t => t.Session is not null)
            .Select(t => new SessionThread(t, FromFrames(t), StatementTables.Of(t.Session!.Query))).ToList();
        foreach (var st in sessions)
        {
            var (t, frames, tables) = st;
            var s = t.Session!;
            var state = ProcesslistStates.Classify(s.State);
            if (state is { Certain: false }) state = null; // "System lock" is mostly held, not waited for
            if (s.LockWait is { } row && frames?.Kind is null or "innodb-row")
            {
                yield return RowLock(t, s, row, frames, sessions);
                continue;
            }
            string? kind = frames?.Kind ?? state?.LockKind;
            if (kind is null or "innodb-semaphore" or "innodb-row") continue; // semaphores come from SEMAPHORES; a row wait without TRANSACTIONS text has no holder to name
            var evidence = new List<string>();
            if (frames is { } f) evidence.Add($"LWP {t.Thread.Lwp} is in {f.Function} (docs/thread-catalogue.md): it waits for a {Words(f.Kind)}");
            if (s.State is not null && state is not null)
                evidence.Add($"MySQL thread id {s.ThreadId} is in state \"{s.State}\"{(s.TimeSeconds is { } time ? $" for {time} s" : "")}: it {state.Sentence} ({state.Source})");
            yield return Holder(t, s, tables, kind, sessions, evidence);
        }
    }

    /// <summary>
    /// A wait for an InnoDB record or table lock. InnoDB's status names no holder, but the dump of a
    /// clustered index record names the transaction that last changed it (DB_TRX_ID): when that
    /// transaction is still active, its change is uncommitted and it holds the record's lock.
    /// </summary>
    private static WaitEdge RowLock(ThreadAnalysis t, MySqlSession s, InnodbLockWait row, (string Kind, string Function)? frames, List<SessionThread> sessions)
    {
        string resource = $"InnoDB {(row.TableLock ? "table" : "record")} lock on {row.Table ?? "a table"}{(row.Index is null ? "" : $", index {row.Index}")}";
        var evidence = new List<string>
        {
            $"SHOW ENGINE INNODB STATUS (line {row.LineNumber}): MySQL thread id {s.ThreadId}'s transaction HAS BEEN WAITING {row.Seconds} SEC FOR THIS LOCK TO BE GRANTED{(row.Mode is null ? "" : $": {row.Mode}")}",
        };
        if (frames is { } f) evidence.Insert(0, $"LWP {t.Thread.Lwp} is in {f.Function}: it waits for an InnoDB row lock");
        var changedBy = row.LastChangedBy;
        var holder = changedBy is null ? null : sessions.FirstOrDefault(u =>
            u.Thread != t && u.Thread.Session is { TransactionId: { } id, TrxActiveSeconds: not null } us && id == changedBy.TransactionId && us.ThreadId != s.ThreadId);
        if (changedBy is null || holder is null)
        {
            evidence.Add("InnoDB's status does not name the holder of a row lock; on the live server, sys.innodb_lock_waits (5.7+) or information_schema.innodb_lock_waits (5.5–5.7) does");
            return new WaitEdge(t.Thread.Lwp, null, "innodb-row-lock", resource, Confidence.Certain, evidence) { Seconds = row.Seconds };
        }
        var hs = holder.Thread.Session!;
        evidence.Add($"SHOW ENGINE INNODB STATUS (line {changedBy.LineNumber}): the waited-for record was last changed by transaction {changedBy.TransactionId} " +
                     $"(field {changedBy.Field}, DB_TRX_ID, 0x{changedBy.TransactionId:x}), and TRANSACTION {changedBy.TransactionId} is still ACTIVE{(hs.TrxActiveSeconds is { } active ? $" ({active} sec)" : "")}: " +
                     $"MySQL thread id {hs.ThreadId}'s (line {hs.LineNumber}), LWP {holder.Thread.Thread.Lwp}");
        evidence.Add("a change not yet committed keeps the record locked by its transaction until it commits or rolls back (storage/innobase/lock/lock0lock.cc: lock_rec_convert_impl_to_expl)");
        return new WaitEdge(t.Thread.Lwp, holder.Thread.Thread.Lwp, "innodb-row-lock", resource, Confidence.Certain, evidence) { Seconds = row.Seconds };
    }

    /// <summary>
    /// The likely holder of a table-level, metadata or global read lock: another session whose
    /// statement uses the same table (or runs FLUSH TABLES WITH READ LOCK) and that is not itself
    /// waiting for such a lock; one that InnoDB shows with tables locked, or that started earlier, is preferred.
    /// </summary>
    private static WaitEdge Holder(ThreadAnalysis t, MySqlSession s, IReadOnlyList<string> tables, string kind, List<SessionThread> sessions, List<string> evidence)
    {
        string on = tables.Count == 0 ? "" : $" on table {tables[0]}";
        string resource = kind switch
        {
            "table-level" => $"table-level lock{on}",
            "metadata" => $"metadata lock{on}",
            "global-read" => "global read lock",
            _ => Words(kind),
        };
        string edgeKind = kind switch { "table-level" => "table-lock", "metadata" => "metadata-lock", "global-read" => "global-read-lock", _ => kind };
        double? seconds = s.TimeSeconds;

        var candidates = new List<(ThreadAnalysis Thread, int Score, List<string> Why)>();
        if (kind is "table-level" or "metadata" or "global-read")
            foreach (var (u, uFrames, uTables) in sessions)
            {
                var us = u.Session!;
                if (u == t || us.ThreadId == s.ThreadId) continue;
                if (uFrames?.Kind is "table-level" or "metadata" or "global-read") continue;
                if (ProcesslistStates.Classify(us.State) is { Certain: true, LockKind: "table-level" or "metadata" or "global-read" }) continue;
                var why = new List<string>();
                if (kind == "global-read")
                {
                    if (us.Query is null || !us.Query.Contains("FLUSH TABLES WITH READ LOCK", StringComparison.OrdinalIgnoreCase)) continue;
                    why.Add($"its statement is {us.Query}");
                }
                else
                {
                    var shared = tables.FirstOrDefault(a => uTables.Any(b => StatementTables.SameTable(a, b, s.Database)));
                    if (shared is null) continue;
                    why.Add($"its statement also uses table {shared}: {us.Query}");
                }
                int score = 0;
                if (us.TablesLocked is > 0) { score += 2; why.Add($"InnoDB shows it with tables in use {us.TablesInUse?.ToString(CultureInfo.InvariantCulture) ?? "?"}, locked {us.TablesLocked}"); }
                if (string.Equals(us.State, "System lock", StringComparison.OrdinalIgnoreCase)) { score += 1; why.Add("its state is \"System lock\": it has taken its tables' locks"); }
                if (us.TimeSeconds is { } ut && s.TimeSeconds is { } st && ut > st) { score += 1; why.Add($"it has run for {ut} s, longer than the waiter's {st} s: it was there first"); }
                candidates.Add((u, score, why));
            }

        if (candidates.Count == 0)
        {
            evidence.Add(kind is "table-level" or "metadata" or "global-read"
                ? "no other session in the inputs uses the same table and is not itself waiting: the holder is unknown (on the live server, performance_schema.metadata_locks or sys.schema_table_lock_waits names it)"
                : "the inputs do not name the holder of this lock");
            return new WaitEdge(t.Thread.Lwp, null, edgeKind, resource, Confidence.Likely, evidence) { Seconds = seconds };
        }
        int best = candidates.Max(c => c.Score);
        var top = candidates.Where(c => c.Score == best).ToList();
        if (top.Count > 1)
        {
            evidence.Add($"{top.Count} sessions could hold it (MySQL thread id {string.Join(", ", top.Select(c => c.Thread.Session!.ThreadId))}); none stands out, so no holder is named");
            return new WaitEdge(t.Thread.Lwp, null, edgeKind, resource, Confidence.Likely, evidence) { Seconds = seconds };
        }
        var holder = top[0];
        evidence.Add($"likely held by LWP {holder.Thread.Thread.Lwp} (MySQL thread id {holder.Thread.Session!.ThreadId}): {string.Join("; ", holder.Why)}");
        evidence.Add("inferred, not read from the lock itself: MySQL's lock structures are not decoded");
        return new WaitEdge(t.Thread.Lwp, holder.Thread.Thread.Lwp, edgeKind, resource, Confidence.Likely, evidence) { Seconds = seconds };
    }

    /// <summary>A thread with a session, the MySQL lock its stack waits for, and the tables its statement uses.</summary>
    private sealed record SessionThread(ThreadAnalysis Thread, (string Kind, string Function)? Frames, IReadOnlyList<string> Tables);

    private static string Words(string kind) => kind switch
    {
        "table-level" => "table-level lock (thr_lock)",
        "metadata" => "metadata lock",
        "innodb-row" => "InnoDB row lock",
        "innodb-semaphore" => "InnoDB latch",
        "global-read" => "global read lock",
        "commit-order" => "its turn to commit (replica commit order)",
        _ => kind.Replace('-', ' ') + " lock",
    };
}
