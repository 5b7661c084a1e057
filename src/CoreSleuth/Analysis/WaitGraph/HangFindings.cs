using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.WaitGraph;

/// <summary>Threads that wait for one another round a cycle: none of them can go on.</summary>
/// <param name="Cycle">The LWPs in the order they wait for one another.</param>
/// <param name="Edges">The edges of the cycle, in that order.</param>
/// <param name="WaitersBehind">Threads outside the cycle that wait for it, directly or through others.</param>
public sealed record Deadlock(IReadOnlyList<int> Cycle, IReadOnlyList<WaitEdge> Edges, Confidence Confidence, IReadOnlyList<int> WaitersBehind,
    IReadOnlyList<string> Evidence, IReadOnlyList<string> Advice)
{
    public const string Kind = "deadlock";
}

/// <summary>Threads that wait, directly or through others, for one root thread that waits for no thread the core names.</summary>
/// <param name="Root">The LWP the chains end at.</param>
/// <param name="RootActivity">What the root is doing, in plain words.</param>
/// <param name="Direct">The LWPs that wait for the root itself.</param>
/// <param name="Waiters">Every LWP that waits behind the root, nearest first.</param>
public sealed record BlockedBehind(int Root, string RootActivity, IReadOnlyList<int> Direct, IReadOnlyList<int> Waiters, Confidence Confidence,
    IReadOnlyList<string> Evidence, IReadOnlyList<string> Advice)
{
    public const string Kind = "blocked-behind";
}

/// <summary>Finds the deadlocks and the roots of the wait-for graph.</summary>
public static class HangFindings
{
    public static IReadOnlyList<Deadlock> Deadlocks(WaitForGraph graph, Func<int, ThreadAnalysis?> thread, CoreProducer producer)
    {
        var found = new List<Deadlock>();
        foreach (var cycle in graph.Cycles)
        {
            var members = cycle.ToHashSet();
            var edges = new List<WaitEdge>();
            for (int i = 0; i < cycle.Count; i++)
                if (graph.WaitsFor(cycle[i]).FirstOrDefault(e => e.Holder == cycle[(i + 1) % cycle.Count]) is { } e) edges.Add(e);
            var behind = cycle.SelectMany(graph.WaitersBehind).Where(l => !members.Contains(l)).Distinct().ToList();
            var confidence = edges.Count == cycle.Count && edges.All(e => e.Confidence == Confidence.Certain) ? Confidence.Certain : Confidence.Likely;
            var evidence = new List<string>();
            foreach (var e in edges)
            {
                evidence.Add(EdgeLine(e, thread));
                evidence.AddRange(e.Evidence.Select(x => "  " + x));
            }
            if (confidence == Confidence.Likely) evidence.Add("not certain: at least one edge of the cycle is inferred, not recorded by the core or InnoDB");
            bool mutexes = edges.All(e => e.Kind is "pthread-mutex" or "pthread-rwlock");
            var advice = new List<string>();
            if (producer == CoreProducer.Kernel)
                advice.Add("The process is gone (the kernel wrote this core when a signal ended it); after the restart the same statements can deadlock again.");
            advice.Add(mutexes
                ? "A deadlock of the server's own mutexes never ends by itself, and KILL cannot interrupt a pthread mutex wait: only restarting mysqld ends it."
                : "Ending one statement of the cycle (KILL QUERY on its MySQL thread id) breaks it, when its wait is one MySQL can interrupt.");
            if (mutexes) advice.Add("Report it to the server's vendor with both stacks (the frames above the lock calls name the code paths); search its bug tracker for the functions on them.");
            found.Add(new Deadlock(cycle, edges, confidence, behind, evidence, advice));
        }
        return found;
    }

    /// <summary>A finding for each root others wait behind, most waiters first.</summary>
    /// <param name="blockedFifoOpens">The LWPs diagnosed as blocked opening a FIFO (a Linux core has no wait message to tell it).</param>
    public static IReadOnlyList<BlockedBehind> Roots(WaitForGraph graph, Func<int, ThreadAnalysis?> thread, CoreProducer producer, IReadOnlySet<int>? blockedFifoOpens = null)
    {
        var found = new List<BlockedBehind>();
        foreach (int root in graph.Roots())
        {
            var waiters = graph.WaitersBehind(root);
            var direct = graph.WaitedForBy(root).Select(e => e.Waiter).Distinct().ToList();
            var t = thread(root);
            string activity = t?.Description?.Sentence ?? "not in the core";
            var evidence = new List<string>
            {
                $"LWP {root}{Session(t)} {(t is null ? "is not a thread of the core" : "waits for no thread the core names: it is " + activity)}",
            };
            // Every edge in one line; the reasons of the first few in full (ten thousand waiters would drown the report).
            const int Explained = 1;
            int explained = 0;
            var behind = waiters.Append(root).ToHashSet();
            var chain = graph.Edges.Where(e => e.Holder is { } h && behind.Contains(h)).ToList();
            foreach (var e in chain)
            {
                evidence.Add(EdgeLine(e, thread));
                if (explained++ < Explained) evidence.AddRange(e.Evidence.Select(x => "  " + x));
            }
            var advice = new List<string>
            {
                $"The {Plural.Of(waiters.Count, "waiting thread")} {(waiters.Count == 1 ? "is a victim" : "are victims")}: ending {(waiters.Count == 1 ? "it" : "them")} does not help; what holds them is LWP {root}.",
            };
            if (producer == CoreProducer.Kernel)
                advice.Add($"The process is gone (the kernel wrote this core when a signal ended it){(t?.Session is { } gone ? $"; MySQL thread id {gone.ThreadId}'s statement is what the others waited for" : "")}.");
            else if (t?.Wait?.Category == FreeBsd.WaitMessages.WaitCategory.Fifo || blockedFifoOpens?.Contains(root) == true)
                advice.Add($"LWP {root} is blocked opening a FIFO: its blocked-fifo-open finding says how to release it; the threads behind it then go on.");
            else if (t?.Session is { } s)
                advice.Add($"Release LWP {root} (MySQL thread id {s.ThreadId}): `KILL {s.ThreadId}` ends its statement when its wait is one MySQL can interrupt; the threads behind it then go on.");
            found.Add(new BlockedBehind(root, activity, direct, waiters, chain.All(e => e.Confidence == Confidence.Certain) ? Confidence.Certain : Confidence.Likely, evidence, advice));
        }
        return found.OrderByDescending(f => f.Waiters.Count).ThenBy(f => f.Root).ToList();
    }

    /// <summary>"LWP a (MySQL thread id n) waits for LWP b: what [how sure], for how long": one edge in a finding's evidence.</summary>
    private static string EdgeLine(WaitEdge e, Func<int, ThreadAnalysis?> thread) =>
        $"LWP {e.Waiter}{Session(thread(e.Waiter))} waits for LWP {e.Holder}: {e.Resource} [{(e.Confidence == Confidence.Certain ? "certain" : "likely")}]" +
        (e.Seconds is { } secs ? $", for {Durations.Text(secs)}" : "");

    private static string Session(ThreadAnalysis? t) => t?.Session is { } s ? $" (MySQL thread id {s.ThreadId})" : "";

}

/// <summary>Durations in the words a DBA reads them: "1 h 42 min", "640 s".</summary>
public static class Durations
{
    public static string Text(double seconds) => Cached(ref texts, seconds, atLeast: false);

    /// <summary>"≥ " and <see cref="Text"/>: a duration that is at least this long.</summary>
    public static string AtLeastText(double seconds) => Cached(ref atLeastTexts, seconds, atLeast: true);

    private static string Make(double seconds)
    {
        if (seconds < 120) return $"{seconds.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} s";
        long s = (long)seconds;
        if (s < 3600) return $"{s / 60} min {s % 60} s";
        if (s < 86400) return $"{s / 3600} h {s % 3600 / 60} min";
        return $"{s / 86400} d {s % 86400 / 3600} h";
    }

    // Made once per distinct text: ten thousand threads asleep since gcore's stop share a few dozen.
    private static string?[]? texts, atLeastTexts;

    /// <summary>Whole seconds below an hour, then minutes below a day, then hours below a month: one text each.</summary>
    private const int Slots = 3600 + (86400 - 3600) / 60 + 30 * 24;

    private static string Cached(ref string?[]? cache, double seconds, bool atLeast)
    {
        if (Slot(seconds) is not { } slot) return atLeast ? "≥ " + Make(seconds) : Make(seconds);
        cache ??= new string?[Slots];
        // Two threads may make the same text at once; either copy is right.
        return cache[slot] ??= atLeast ? "≥ " + Make(seconds) : Make(seconds);
    }

    /// <summary>Which cached text <paramref name="seconds"/> has: every duration in a slot reads the same; null when not cached.</summary>
    private static int? Slot(double seconds)
    {
        if (!(seconds >= 0) || seconds >= 86400 * 31) return null;
        long s = (long)seconds;
        if (seconds < 120 && s != seconds) return null; // a fraction shows below two minutes
        if (s < 3600) return (int)s;
        if (s < 86400) return 3600 + (int)(s / 60 - 60);
        return 3600 + (86400 - 3600) / 60 + (int)(s / 3600 - 24);
    }
}
