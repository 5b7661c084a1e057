using CoreSleuth.Analysis.Diagnosis;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>
/// Threads as nodes, "waits for" as edges (<see cref="WaitEdge"/>). Edges without a known holder
/// stay on their waiter (it waits, for someone unknown) but join no two nodes.
/// </summary>
public sealed class WaitForGraph
{
    private readonly Dictionary<int, List<WaitEdge>> outgoing = [];
    private readonly Dictionary<int, List<WaitEdge>> incoming = [];

    public WaitForGraph(IEnumerable<WaitEdge> edges)
    {
        Edges = [.. edges];
        foreach (var e in Edges)
        {
            Add(outgoing, e.Waiter, e);
            if (e.Holder is { } h) Add(incoming, h, e);
        }
        Cycles = FindCycles();
    }

    public IReadOnlyList<WaitEdge> Edges { get; }

    /// <summary>Each set of threads that wait for one another round a cycle, its LWPs in the order of the cycle starting at the smallest.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Cycles { get; }

    /// <summary>The LWPs an edge joins, in the order they first appear.</summary>
    public IReadOnlyList<int> Nodes => Edges.Where(e => e.Holder is not null).SelectMany(e => new[] { e.Waiter, e.Holder!.Value }).Distinct().ToList();

    public IReadOnlyList<WaitEdge> WaitsFor(int lwp) => outgoing.TryGetValue(lwp, out var l) ? l : [];

    public IReadOnlyList<WaitEdge> WaitedForBy(int lwp) => incoming.TryGetValue(lwp, out var l) ? l : [];

    /// <summary>Every thread that waits for <paramref name="lwp"/>, directly or through others, nearest first; <paramref name="lwp"/> itself excluded.</summary>
    public IReadOnlyList<int> WaitersBehind(int lwp)
    {
        var seen = new HashSet<int> { lwp };
        var order = new List<int>();
        var queue = new Queue<int>([lwp]);
        while (queue.Count > 0)
            foreach (var e in WaitedForBy(queue.Dequeue()))
                if (seen.Add(e.Waiter)) { order.Add(e.Waiter); queue.Enqueue(e.Waiter); }
        return order;
    }

    /// <summary>
    /// The threads others wait for that wait for nobody the core names: the ends of the wait
    /// chains, where a hang starts. Members of cycles are not roots (the cycle is).
    /// </summary>
    public IReadOnlyList<int> Roots()
    {
        var inCycle = Cycles.SelectMany(c => c).ToHashSet();
        return incoming.Keys.Where(h => !inCycle.Contains(h) && !WaitsFor(h).Any(e => e.Holder is not null)).Order().ToList();
    }

    /// <summary>Strongly connected components of more than one thread, or a thread waiting for itself (Tarjan).</summary>
    private List<IReadOnlyList<int>> FindCycles()
    {
        var index = new Dictionary<int, int>();
        var low = new Dictionary<int, int>();
        var stack = new Stack<int>();
        var onStack = new HashSet<int>();
        var cycles = new List<IReadOnlyList<int>>();
        int next = 0;
        foreach (int n in Nodes.Order())
            if (!index.ContainsKey(n)) Connect(n);
        return cycles;

        // Iterative: ten thousand threads in one chain must not overflow the stack.
        void Connect(int start)
        {
            var work = new Stack<(int Node, int Edge)>();
            Enter(start);
            work.Push((start, 0));
            while (work.Count > 0)
            {
                var (v, i) = work.Pop();
                var edges = WaitsFor(v);
                if (i < edges.Count)
                {
                    work.Push((v, i + 1));
                    if (edges[i].Holder is not { } w) continue;
                    if (!index.ContainsKey(w)) { Enter(w); work.Push((w, 0)); }
                    else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
                    continue;
                }
                if (work.Count > 0) { var parent = work.Peek().Node; low[parent] = Math.Min(low[parent], low[v]); }
                if (low[v] != index[v]) continue;
                var component = new List<int>();
                int x;
                do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
                if (component.Count > 1 || WaitsFor(v).Any(e => e.Holder == v)) cycles.Add(Order(component));
            }
        }

        void Enter(int n)
        {
            index[n] = low[n] = next++;
            stack.Push(n);
            onStack.Add(n);
        }
    }

    /// <summary>A cycle's threads in the order they wait for one another, from the smallest LWP.</summary>
    private IReadOnlyList<int> Order(List<int> component)
    {
        var members = component.ToHashSet();
        var order = new List<int>();
        int at = component.Min();
        while (!order.Contains(at))
        {
            order.Add(at);
            var nextEdge = WaitsFor(at).FirstOrDefault(e => e.Holder is { } h && members.Contains(h));
            if (nextEdge is null) break;
            at = nextEdge.Holder!.Value;
        }
        // A component that is not one simple cycle lists its other members after the first cycle found.
        order.AddRange(component.Where(c => !order.Contains(c)).Order());
        return order;
    }

    private static void Add(Dictionary<int, List<WaitEdge>> map, int key, WaitEdge e)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(e);
    }
}
