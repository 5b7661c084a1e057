namespace CoreSleuth.Analysis.MySql;

/// <summary>
/// What a SHOW PROCESSLIST state says a session waits for.
/// </summary>
/// <param name="State">The state as the server defines it (<c>Waiting for table metadata lock</c>).</param>
/// <param name="LockKind"><c>metadata</c>, <c>table-level</c>, <c>global-read</c>, <c>commit</c>, <c>table-flush</c>, <c>backup</c>, <c>binlog</c>, <c>user-lock</c>, <c>locking-service</c> or <c>system-lock</c>.</param>
/// <param name="Sentence">What it means, in one sentence for a report.</param>
/// <param name="Source">The server source file that defines the state.</param>
public sealed record ProcesslistWait(string State, string LockKind, string Sentence, string Source)
{
    /// <summary>
    /// True when the state is set only while the session is blocked on the lock; false for
    /// <c>System lock</c>, which a session also shows while it takes locks without waiting.
    /// </summary>
    public bool Certain { get; init; } = true;
}

/// <summary>The SHOW PROCESSLIST states of MySQL 5.5–8.0, MariaDB and Percona Server that mean waiting for a lock.</summary>
public static class ProcesslistStates
{
    private const string Mdl = "sql/mdl.cc (MDL_key::m_namespace_to_wait_state_name)";

    private static ProcesslistWait Metadata(string what, string state) =>
        new(state, "metadata", $"waits for a metadata lock on {what} that another session holds (MDL; it is released at the end of that session's transaction or statement)", Mdl);

    /// <summary>Each waiting state, verified in the source named with it.</summary>
    private static readonly ProcesslistWait[] Waits =
    [
        Metadata("a table", "Waiting for table metadata lock"),
        Metadata("a schema", "Waiting for schema metadata lock"),
        Metadata("a stored function", "Waiting for stored function metadata lock"),
        Metadata("a stored procedure", "Waiting for stored procedure metadata lock"),
        Metadata("a stored package body", "Waiting for stored package body metadata lock") with { Source = "sql/mdl.cc (MariaDB 10.3+)" },
        Metadata("a trigger", "Waiting for trigger metadata lock"),
        Metadata("an event", "Waiting for event metadata lock"),
        Metadata("a tablespace", "Waiting for tablespace metadata lock") with { Source = Mdl + ", MySQL 5.7+" },
        Metadata("resource groups", "Waiting for resource groups metadata lock") with { Source = Mdl + ", MySQL 8.0" },
        Metadata("a foreign key", "Waiting for foreign key metadata lock") with { Source = Mdl + ", MySQL 8.0" },
        Metadata("a check constraint", "Waiting for check constraint metadata lock") with { Source = Mdl + ", MySQL 8.0" },
        Metadata("a spatial reference system", "Waiting for spatial reference system lock") with { Source = Mdl + ", MySQL 8.0" },
        Metadata("the ACL cache", "Waiting for acl cache lock") with { Source = Mdl + ", MySQL 8.0" },
        Metadata("column statistics", "Waiting for column statistics lock") with { Source = Mdl + ", MySQL 8.0" },
        new("Waiting for global read lock", "global-read",
            "waits for the global read lock that FLUSH TABLES WITH READ LOCK (or a backup tool) holds", Mdl),
        new("Waiting for commit lock", "commit",
            "waits to commit while FLUSH TABLES WITH READ LOCK (or a backup tool) blocks commits", Mdl),
        new("Waiting for backup lock", "backup",
            "waits for the backup lock that LOCK INSTANCE FOR BACKUP (MySQL 8.0), LOCK TABLES FOR BACKUP (Percona) or BACKUP STAGE (MariaDB 10.4+) holds",
            Mdl + "; Percona Server 5.6/5.7 and MariaDB 10.4+ too"),
        new("Waiting for binlog lock", "binlog",
            "waits for the binlog lock that LOCK BINLOG FOR BACKUP holds", Mdl + ", Percona Server 5.6/5.7"),
        new("Waiting for locking service lock", "locking-service",
            "waits for a lock of the locking service (service_get_write_locks / read locks) another session holds", Mdl + ", MySQL 5.7+"),
        new("User lock", "user-lock",
            "waits in GET_LOCK() for a named user lock another session holds", Mdl),
        new("Waiting for table level lock", "table-level",
            "waits for a table lock (thr_lock) that another session holds: LOCK TABLES, or a MyISAM/MEMORY/MERGE table in use",
            "mysys/my_init.c (stage_waiting_for_table_level_lock), set in mysys/thr_lock.c wait_for_lock"),
        new("Waiting for table flush", "table-flush",
            "waits until every other session has closed a table being flushed or altered (FLUSH TABLES, RENAME, a long query still using the old table)",
            "sql/mysqld.cc (stage_waiting_for_table_flush), set in sql/sql_base.cc"),
        new("System lock", "system-lock",
            "is in mysql_lock_tables() taking the external (storage-engine) locks of its tables; it waits only when an engine blocks there, else the state is brief",
            "sql/mysqld.cc (stage_system_lock), set in sql/lock.cc mysql_lock_tables") { Certain = false },
    ];

    private static readonly Dictionary<string, ProcesslistWait> ByState =
        Waits.ToDictionary(w => w.State, StringComparer.OrdinalIgnoreCase);

    /// <summary>What <paramref name="state"/> says the session waits for, or null when it is no lock wait (or unknown).</summary>
    public static ProcesslistWait? Classify(string? state) =>
        state is not null && ByState.TryGetValue(state.Trim(), out var wait) ? wait : null;
}
