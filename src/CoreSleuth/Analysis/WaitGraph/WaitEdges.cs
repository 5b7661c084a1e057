using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>Gathers every "waits for" edge the core and the DBA's inputs record.</summary>
public static class WaitEdges
{
    /// <param name="semaphores">The SEMAPHORES waits of the DBA's InnoDB status text (empty without it).</param>
    public static IReadOnlyList<WaitEdge> Build(IReadOnlyList<ThreadAnalysis> threads, CoreFile core, ThreadIdentity identity, IReadOnlyList<MySql.SemaphoreWait> semaphores)
    {
        var lwps = threads.Select(t => t.Thread.Lwp).ToHashSet();
        var byPthread = new Dictionary<ulong, int>();
        foreach (var t in threads)
            if (t.Pthread is { } p) byPthread.TryAdd(p, t.Thread.Lwp);
        int? LwpOfPthread(ulong p) => byPthread.TryGetValue(p, out int l) ? l : null;

        // The other direction, where the release's struct pthread layout is known: the mutexes each owner lists as held.
        var pthreadOf = new Dictionary<int, ulong>(threads.Count);
        foreach (var t in threads)
            if (t.Pthread is { } p) pthreadOf.TryAdd(t.Thread.Lwp, p);
        var held = new Dictionary<int, IReadOnlySet<ulong>>();
        Func<int, ulong, bool?>? holds = !PthreadLockOwners.KnowsHeldMutexes(core.Process.FreeBsd?.OsRelDate) ? null : (lwp, mutex) =>
        {
            if (!pthreadOf.TryGetValue(lwp, out ulong p)) return null;
            if (!held.TryGetValue(lwp, out var set)) held[lwp] = set = PthreadLockOwners.HeldMutexes(p, core.Memory);
            return set.Contains(mutex);
        };
        var edges = new List<WaitEdge>();
        foreach (var t in threads)
            if (PthreadLockOwners.Of(t, core.Memory, lwps, LwpOfPthread, holds) is { } e) edges.Add(e);
        edges.AddRange(InnodbSemaphoreWaits.Edges(semaphores, identity));
        edges.AddRange(MySqlLockWaits.Build(threads));
        // In the order of the threads, each thread's edges in the order found: the same report every run.
        var order = new Dictionary<int, int>(threads.Count);
        for (int i = 0; i < threads.Count; i++) order.TryAdd(threads[i].Thread.Lwp, i);
        return edges.Select((e, i) => (e, i)).OrderBy(x => order.GetValueOrDefault(x.e.Waiter, int.MaxValue)).ThenBy(x => x.i).Select(x => x.e).ToList();
    }
}
