using CoreSleuth.Analysis.Diagnosis;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>
/// "<see cref="Waiter"/> waits for <see cref="Holder"/>": one edge of the wait-for graph, with
/// what is waited for and why CoreSleuth believes it.
/// </summary>
/// <param name="Waiter">The waiting thread's LWP.</param>
/// <param name="Holder">The LWP of the thread that holds what <paramref name="Waiter"/> waits for; null when the core and the inputs do not say who.</param>
/// <param name="Kind">What is waited for, as a stable id: <c>pthread-mutex</c>, <c>pthread-rwlock</c>, <c>innodb-semaphore</c>,
/// <c>table-lock</c>, <c>metadata-lock</c>, <c>global-read-lock</c>, <c>innodb-row-lock</c>, <c>commit-lock</c>, ….</param>
/// <param name="Resource">The lock in words, e.g. "pthread mutex at 0x801a1c0c0".</param>
/// <param name="Confidence">Certain when the core or InnoDB records the holder; likely when it is inferred.</param>
public sealed record WaitEdge(int Waiter, int? Holder, string Kind, string Resource, Confidence Confidence, IReadOnlyList<string> Evidence)
{
    /// <summary>How long the waiter has waited, when an input says (InnoDB, the processlist); null otherwise.</summary>
    public double? Seconds { get; init; }
}
