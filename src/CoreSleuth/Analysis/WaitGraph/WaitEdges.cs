using CoreSleuth.Analysis.Libthr;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>Gathers every "waits for" edge the core and the DBA's inputs record.</summary>
public static class WaitEdges
{
    public static IReadOnlyList<WaitEdge> Build(IReadOnlyList<ThreadAnalysis> threads, FreeBsdCore core, ThreadIdentity identity)
    {
        var lwps = threads.Select(t => t.Thread.Lwp).ToHashSet();
        var byPthread = new Dictionary<ulong, int>();
        foreach (var t in threads)
            if (t.Pthread is { } p) byPthread.TryAdd(p, t.Thread.Lwp);
        int? LwpOfPthread(ulong p) => byPthread.TryGetValue(p, out int l) ? l : null;

        var edges = new List<WaitEdge>();
        foreach (var t in threads)
            if (PthreadLockOwners.Of(t, core.Memory, lwps, LwpOfPthread) is { } e) edges.Add(e);
        return edges;
    }
}
