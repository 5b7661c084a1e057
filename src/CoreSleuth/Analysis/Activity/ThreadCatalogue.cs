using System.Collections.Frozen;

namespace CoreSleuth.Analysis.Activity;

/// <summary>
/// The catalogue of MySQL 5.5–8.0, MariaDB 10.x/11.x and Percona Server functions that tells,
/// from a symbolized backtrace, what kind of thread it is (its role) and what it is doing at the
/// innermost known wait (its activity). Entries and their sources: docs/thread-catalogue.md.
/// </summary>
public static partial class ThreadCatalogue
{
    /// <summary>Every entry, roles first, in the order the documentation lists them.</summary>
    public static IReadOnlyList<CatalogueEntry> Entries { get; } = BuildEntries();

    private static readonly FrozenDictionary<string, CatalogueEntry[]> ByFunction =
        Entries.GroupBy(e => e.Function, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// Classifies a backtrace given as the frames' function names, innermost first (null for a
    /// frame without a name). Returns null when no frame is in the catalogue.
    /// </summary>
    /// <remarks>
    /// Role: the outermost frame matching a role entry. Activity: the innermost frame matching a
    /// wait site (a wait site with a <see cref="CatalogueEntry.Caller"/> only when the next frame
    /// outward is that caller). Without a wait site, the innermost run of primitives speaks (its
    /// outermost member): when the frame just outward of the run is a role with a designed wait,
    /// the thread is in that designed wait (a monitor thread in os_event_wait_time_low); otherwise
    /// the primitive's own category holds. A thread whose innermost frame is its role function
    /// itself is running its loop.
    /// </remarks>
    public static ThreadActivity? Classify(IReadOnlyList<string?> functionsInnermostFirst)
    {
        ArgumentNullException.ThrowIfNull(functionsInnermostFirst);
        return ClassifyInPlace([.. functionsInnermostFirst]);
    }

    /// <summary>
    /// <see cref="Classify"/> of names the caller holds in a buffer of its own, each replaced by its
    /// key: every thread is classified, and a new array per thread for the names and another for
    /// the keys were most of what describing it allocated.
    /// </summary>
    internal static ThreadActivity? ClassifyInPlace(Span<string?> functionsInnermostFirst)
    {
        for (int i = 0; i < functionsInnermostFirst.Length; i++) functionsInnermostFirst[i] = FunctionName.Key(functionsInnermostFirst[i]);
        ReadOnlySpan<string?> keys = functionsInnermostFirst;

        int? roleFrame = null;
        CatalogueEntry? role = null;
        for (int i = keys.Length - 1; i >= 0 && role is null; i--)
            if (Find(keys, i, CatalogueEntryKind.Role) is { } r) { role = r; roleFrame = i; }

        for (int i = 0; i < keys.Length; i++)
            if (Find(keys, i, CatalogueEntryKind.WaitSite) is { } wait)
                return new ThreadActivity(role, roleFrame, wait, i, wait.Category, wait.Sentence);

        for (int i = 0; i < keys.Length; i++)
        {
            if (Find(keys, i, CatalogueEntryKind.Primitive) is not { } primitive) continue;
            // The run of primitives (pthread_cond_wait ← os_event::wait_low ← os_event_wait_low):
            // its outermost member is the one nearest to MySQL's own code and says the most.
            int last = i;
            while (last + 1 < keys.Length && Find(keys, last + 1, CatalogueEntryKind.Primitive) is { } outerPrimitive)
            {
                primitive = outerPrimitive;
                last++;
            }
            if (last + 1 < keys.Length && Find(keys, last + 1, CatalogueEntryKind.Role) is { } owner
                && owner.Category != ThreadCategory.Unknown && owner.IdleSentence is { } idle)
                return new ThreadActivity(role, roleFrame, primitive, last, owner.Category, idle) { InDesignedWait = true };
            return new ThreadActivity(role, roleFrame, primitive, last, primitive.Category, primitive.Sentence);
        }

        if (role is null) return null;
        return roleFrame == 0
            ? new ThreadActivity(role, roleFrame, null, null, ThreadCategory.Running, "running its own loop, not in any catalogued wait")
            : new ThreadActivity(role, roleFrame, null, null, ThreadCategory.Unknown, "in a function the catalogue does not know");
    }

    /// <summary>The entry of kind <paramref name="kind"/> that frame <paramref name="i"/> matches: one naming the frame's caller beats a general one.</summary>
    private static CatalogueEntry? Find(ReadOnlySpan<string?> keys, int i, CatalogueEntryKind kind)
    {
        if (keys[i] is not { } key || !ByFunction.TryGetValue(key, out var entries)) return null;
        string? caller = i + 1 < keys.Length ? keys[i + 1] : null;
        CatalogueEntry? general = null;
        foreach (var e in entries)
        {
            if (e.Kind != kind) continue;
            if (e.Caller is null) general ??= e;
            else if (string.Equals(e.Caller, caller, StringComparison.Ordinal)) return e;
        }
        return general;
    }
}
