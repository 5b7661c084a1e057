using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>
/// The wait-for graph as a picture: a Mermaid flowchart for the Markdown report (GitHub and GitLab
/// draw it inside a ticket) and Graphviz DOT for <c>analyze --format dot</c>. An arrow goes from
/// the waiter to the thread it waits for; roots (threads others wait behind that wait for no one)
/// and the threads of a deadlock are marked. Labels come from the core and pass through
/// <see cref="MermaidText"/> or <see cref="DotText"/>.
/// </summary>
public static class WaitGraphDiagram
{
    /// <summary>A root with more waiters than this draws the first ones and one node for the rest: a ticket cannot show ten thousand boxes.</summary>
    public const int MaxWaitersDrawn = 12;

    /// <summary>The threads and edges drawn: every edge into a root or a cycle, bounded per holder.</summary>
    private sealed record Picture(IReadOnlyList<ReportGraphNode> Nodes, IReadOnlyList<ReportGraphEdge> Edges,
        IReadOnlyDictionary<int, int> Hidden, IReadOnlySet<int> Roots, IReadOnlySet<int> InCycle);

    private static Picture Select(AnalysisReport r)
    {
        var roots = r.Findings.Where(f => f.Kind is "blocked-behind").Select(f => f.Lwp).ToHashSet();
        var inCycle = r.Findings.Where(f => f.Kind is "deadlock").SelectMany(f => f.Cycle).ToHashSet();
        var edges = new List<ReportGraphEdge>();
        var hidden = new Dictionary<int, int>();
        foreach (var byHolder in r.Graph.Edges.GroupBy(e => e.To))
        {
            // Edges within a cycle are all drawn; waiters beyond the bound are counted on their holder.
            var list = byHolder.ToList();
            var keep = list.Where(e => inCycle.Contains(e.From) && inCycle.Contains(e.To)).Concat(list.Where(e => !(inCycle.Contains(e.From) && inCycle.Contains(e.To))).Take(MaxWaitersDrawn)).Distinct().ToList();
            edges.AddRange(keep);
            int waiters = list.Select(e => e.From).Distinct().Count() - keep.Select(e => e.From).Distinct().Count();
            if (waiters > 0) hidden[byHolder.Key] = waiters;
        }
        var drawn = edges.SelectMany(e => new[] { e.From, e.To }).ToHashSet();
        var nodes = r.Graph.Nodes.Where(n => drawn.Contains(n.Lwp)).ToList();
        return new Picture(nodes, edges, hidden, roots, inCycle);
    }

    /// <summary>Whether there is anything to draw.</summary>
    public static bool HasEdges(AnalysisReport r) => r.Graph.Edges.Count > 0;

    /// <summary>One line of a node's label: the LWP, the MySQL session, the thread name, what it does.</summary>
    private static string Label(ReportGraphNode n)
    {
        var parts = new List<string> { $"LWP {n.Lwp.ToString(CultureInfo.InvariantCulture)}" };
        if (n.MysqlThreadId is { } id) parts.Add($"MySQL thread id {id.ToString(CultureInfo.InvariantCulture)}");
        if (!string.IsNullOrEmpty(n.Name)) parts.Add(TextSanitizer.Sanitize(n.Name, 24));
        if (n.Activity is not null) parts.Add(TextSanitizer.Sanitize(n.Activity, 64));
        return string.Join(" · ", parts);
    }

    private static string EdgeText(ReportGraphEdge e) =>
        TextSanitizer.Sanitize(e.Resource, 90) + (e.Confidence == "likely" ? " (likely)" : "") +
        (e.Seconds is { } s ? $", {AnalysisText.Duration(s)}" : "");

    public static void WriteMermaid(AnalysisReport r, TextWriter w)
    {
        var p = Select(r);
        w.WriteLine("flowchart LR");
        foreach (var n in p.Nodes) w.WriteLine($"    {MermaidText.NodeId($"lwp{n.Lwp}")}[{MermaidText.Label(Label(n))}]");
        foreach (var (holder, count) in p.Hidden)
            w.WriteLine($"    {MermaidText.NodeId($"more{holder}")}[{MermaidText.Label($"{count.ToString(CultureInfo.InvariantCulture)} more threads wait for LWP {holder.ToString(CultureInfo.InvariantCulture)}")}]");
        foreach (var e in p.Edges)
            w.WriteLine($"    {MermaidText.NodeId($"lwp{e.From}")} {(e.Confidence == "likely" ? "-.->" : "-->")}{MermaidText.EdgeLabel(EdgeText(e))} {MermaidText.NodeId($"lwp{e.To}")}");
        foreach (var (holder, _) in p.Hidden)
            w.WriteLine($"    {MermaidText.NodeId($"more{holder}")} -.-> {MermaidText.NodeId($"lwp{holder}")}");
        var roots = p.Nodes.Where(n => p.Roots.Contains(n.Lwp)).Select(n => MermaidText.NodeId($"lwp{n.Lwp}")).ToList();
        var cycle = p.Nodes.Where(n => p.InCycle.Contains(n.Lwp)).Select(n => MermaidText.NodeId($"lwp{n.Lwp}")).ToList();
        if (roots.Count > 0)
        {
            w.WriteLine("    classDef root fill:#fde2e1,stroke:#c0392b,stroke-width:2px");
            w.WriteLine($"    class {string.Join(",", roots)} root");
        }
        if (cycle.Count > 0)
        {
            w.WriteLine("    classDef deadlock fill:#fff3cd,stroke:#b8860b,stroke-width:2px");
            w.WriteLine($"    class {string.Join(",", cycle)} deadlock");
        }
    }

    /// <summary>The whole graph (not bounded: DOT is for tools), roots and deadlocked threads outlined.</summary>
    public static void WriteDot(AnalysisReport r, TextWriter w)
    {
        var roots = r.Findings.Where(f => f.Kind is "blocked-behind").Select(f => f.Lwp).ToHashSet();
        var inCycle = r.Findings.Where(f => f.Kind is "deadlock").SelectMany(f => f.Cycle).ToHashSet();
        w.WriteLine("digraph waits_for {");
        w.WriteLine($"    label={DotText.Quote($"who waits for whom in {r.Process.Command ?? "the process"} (pid {r.Process.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"}), {r.Core.File}")};");
        w.WriteLine("    rankdir=LR;");
        w.WriteLine("    node [shape=box, fontname=\"Helvetica\"];");
        w.WriteLine("    edge [fontname=\"Helvetica\", fontsize=10];");
        foreach (var n in r.Graph.Nodes)
        {
            string style = roots.Contains(n.Lwp) ? ", color=\"#c0392b\", penwidth=2, style=filled, fillcolor=\"#fde2e1\""
                : inCycle.Contains(n.Lwp) ? ", color=\"#b8860b\", penwidth=2, style=filled, fillcolor=\"#fff3cd\"" : "";
            w.WriteLine($"    {DotText.NodeId($"lwp{n.Lwp}")} [label={DotText.Quote(Label(n))}{style}];");
        }
        foreach (var e in r.Graph.Edges)
            w.WriteLine($"    {DotText.NodeId($"lwp{e.From}")} -> {DotText.NodeId($"lwp{e.To}")} [label={DotText.Quote(EdgeText(e))}{(e.Confidence == "likely" ? ", style=dashed" : "")}];");
        w.WriteLine("}");
    }
}
