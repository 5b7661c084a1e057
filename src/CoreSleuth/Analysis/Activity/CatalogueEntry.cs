namespace CoreSleuth.Analysis.Activity;

/// <summary>What a thread is doing, in the terms a DBA triages a hung server with.</summary>
public enum ThreadCategory
{
    /// <summary>Waiting because it has nothing to do: a connection waiting for its client, a background thread waiting for work.</summary>
    IdleByDesign,
    /// <summary>Blocked on a lock another thread holds: metadata lock, table lock, row lock, InnoDB latch, commit order.</summary>
    WaitingForLock,
    /// <summary>Waiting for the disk: a read, a write, an fsync, an asynchronous I/O.</summary>
    WaitingForIo,
    /// <summary>Waiting for another server: a replica reading from its source, a binlog dump waiting for events.</summary>
    WaitingForPeer,
    /// <summary>Sleeping for a fixed time between rounds of work.</summary>
    Sleeping,
    /// <summary>Executing its own loop, not in any catalogued wait.</summary>
    Running,
    /// <summary>The catalogue does not recognise what the stack waits in.</summary>
    Unknown,
}

/// <summary>How a catalogued function tells about a thread.</summary>
public enum CatalogueEntryKind
{
    /// <summary>A thread's start or loop function: says what kind of thread it is.</summary>
    Role,
    /// <summary>A MySQL function where a thread waits for one specific reason.</summary>
    WaitSite,
    /// <summary>
    /// A generic waiting function (an InnoDB event, a socket poll, a cond-var wait) whose reason
    /// comes from its caller; it speaks for the thread only when no wait site is on the stack.
    /// </summary>
    Primitive,
}

/// <summary>
/// Where an entry was taken from: the repository and file that define the function, the
/// server version looked at, and how the definition was checked (which commit, which look-up).
/// </summary>
public sealed record CatalogueSource(string Repository, string Version, string Path, string Verified)
{
    public override string ToString() => $"{Repository} ({Version}) {Path}";
}

/// <summary>
/// One function of the catalogue. <see cref="Function"/> is the key a symbolized frame is matched
/// against: the name as the demangler prints it, without parameters, template arguments or
/// return type (see <see cref="FunctionName.Key"/>).
/// </summary>
/// <param name="Category">For a wait site or primitive, what a thread waiting there is doing; for a role,
/// the category of its designed wait (a generic wait called straight from the role's loop), or
/// <see cref="ThreadCategory.Unknown"/> when the role has none.</param>
/// <param name="RoleId">Short stable kebab-case id of the thread kind; for a wait site only when the wait belongs to one kind of thread.</param>
/// <param name="Sentence">A plain sentence for a DBA: for a role, what the thread is; otherwise what it is doing.</param>
/// <param name="Servers">The servers and versions the function appears in.</param>
public sealed record CatalogueEntry(
    string Function,
    CatalogueEntryKind Kind,
    ThreadCategory Category,
    string? RoleId,
    string Sentence,
    string Servers,
    CatalogueSource Source)
{
    /// <summary>
    /// When set, the entry matches only when the next frame outward is this function (the same
    /// read means "idle" under do_command and something else elsewhere).
    /// </summary>
    public string? Caller { get; init; }

    /// <summary>For a role with a designed wait: what the thread does while in it.</summary>
    public string? IdleSentence { get; init; }
}

/// <summary>
/// What the catalogue makes of one backtrace. <see cref="Role"/> is the outermost role entry
/// matched, <see cref="Activity"/> the innermost wait-site entry matched (or, failing one, the
/// innermost primitive); the frame indexes count innermost first, as the input does.
/// </summary>
public sealed record ThreadActivity(
    CatalogueEntry? Role,
    int? RoleFrame,
    CatalogueEntry? Activity,
    int? ActivityFrame,
    ThreadCategory Category,
    string Sentence)
{
    /// <summary>The thread kind: the role's, or the one its wait site belongs to when the role frame is missing.</summary>
    public string? RoleId => Role?.RoleId ?? Activity?.RoleId;

    /// <summary>True when the thread sits in a generic wait called straight from its role's loop.</summary>
    public bool InDesignedWait { get; init; }
}
