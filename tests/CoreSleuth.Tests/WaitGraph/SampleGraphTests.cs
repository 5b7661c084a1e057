using System.Text.RegularExpressions;
using CoreSleuth.Analysis;
using CoreSleuth.Report;
using CoreSleuth.Tests.Samples;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.WaitGraph;

/// <summary>
/// The wait-for graph on the samples, from the other side than their expectations: the pictures
/// checked by Mermaid's own parser and by Graphviz, and ki_slptime read as each producer leaves it.
/// </summary>
public partial class SampleGraphTests
{
    private static AnalysisReport Report(string name)
    {
        string processlist = Path.Combine(SampleSet.Folder, name + ".processlist.txt");
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), new AnalysisOptions
        {
            InnodbStatus = SampleSet.InnodbStatus(name),
            Processlist = File.Exists(processlist) ? File.ReadAllText(processlist) : null,
            Sysroot = SampleSet.Sysroot(name),
        });
        return AnalysisReport.Build(analysis, name + ".core");
    }

    private static string Markdown(AnalysisReport r)
    {
        var w = new StringWriter();
        AnalysisMarkdown.Write(r, w);
        return w.ToString();
    }

    private static string? MermaidBlock(string markdown) =>
        MermaidFence().Match(markdown) is { Success: true } m ? m.Groups[1].Value : null;

    [MermaidFact]
    public void Every_sample_with_an_edge_draws_a_Mermaid_graph_that_Mermaid_parses_with_each_thread_and_edge_of_the_report()
    {
        var reports = SampleSet.Names.Select(n => (Name: n, Report: Report(n))).ToList();
        var drawn = reports.Where(r => r.Report.Graph.Edges.Count > 0).ToList();
        Assert.Contains(drawn, r => r.Name == "mysqld-table-lock-victims");
        Assert.Contains(drawn, r => r.Name == "mysqld-mutex-deadlock");
        foreach (var (name, report) in reports.Except(drawn))
            Assert.True(MermaidBlock(Markdown(report)) is null, $"{name} has no edge but draws a graph");

        var blocks = drawn.Select(r => MermaidBlock(Markdown(r.Report)) ?? throw new Xunit.Sdk.XunitException($"{r.Name}: no mermaid block")).ToList();
        var results = DiagramValidators.CheckMermaid(blocks);
        for (int i = 0; i < drawn.Count; i++)
        {
            var (name, report) = drawn[i];
            Assert.True(results[i].Error is null, $"{name}: {results[i].Error}");
            // Each node of the report's graph is a box whose text starts with its LWP; each edge an arrow between them.
            foreach (var node in report.Graph.Nodes)
                Assert.Contains(results[i].Nodes, n => n.Id == MermaidText.NodeId($"lwp{node.Lwp}") && n.Label.Text.StartsWith($"LWP {node.Lwp}", StringComparison.Ordinal));
            foreach (var edge in report.Graph.Edges)
                Assert.Contains(results[i].Edges, e => e.Start == MermaidText.NodeId($"lwp{edge.From}") && e.End == MermaidText.NodeId($"lwp{edge.To}")
                                                       && e.Label.Text.StartsWith(edge.Resource, StringComparison.Ordinal));
        }
    }

    [MermaidFact]
    public void The_READMEs_Mermaid_block_is_what_the_incident_with_victims_draws_and_Mermaid_parses_it()
    {
        string readme = File.ReadAllText(Path.Combine(SampleSet.RepositoryRoot, "README.md"));
        string shown = MermaidBlock(readme) ?? throw new Xunit.Sdk.XunitException("README.md has no mermaid block");
        Assert.Equal(MermaidBlock(Markdown(Report("mysqld-table-lock-victims"))), shown);
        Assert.Null(DiagramValidators.MermaidErrors(shown));
    }

    [MermaidFact]
    public void Ten_thousand_waiters_draw_a_bounded_graph_that_Mermaid_still_parses()
    {
        var r = Report("mysqld-table-lock-victims");
        var nodes = Enumerable.Range(0, 10_000).Select(i => new ReportGraphNode(200_000 + i, "connection", "waiting-for-lock", "waiting for a table-level lock", i)).Prepend(r.Graph.Nodes.Single(n => n.Lwp == 100460)).ToList();
        var edges = Enumerable.Range(0, 10_000).Select(i => new ReportGraphEdge(200_000 + i, 100460, "table-lock", "table-level lock on table t", "likely", i)).ToList();
        var big = r with { Graph = new ReportGraph(nodes, edges) };
        var w = new StringWriter();
        WaitGraphDiagram.WriteMermaid(big, w);
        var result = Assert.Single(DiagramValidators.CheckMermaid([w.ToString()]));
        Assert.Null(result.Error);
        Assert.Equal(WaitGraphDiagram.MaxWaitersDrawn + 1, result.Edges.Count(e => e.End == MermaidText.NodeId("lwp100460")));
        Assert.Contains(result.Nodes, n => n.Label.Text == $"{10_000 - WaitGraphDiagram.MaxWaitersDrawn} more threads wait for LWP 100460");
    }

    [DotFact]
    public void Every_sample_writes_DOT_that_Graphviz_draws_with_every_edge_of_the_report()
    {
        foreach (string name in SampleSet.Names)
        {
            var report = Report(name);
            var w = new StringWriter();
            WaitGraphDiagram.WriteDot(report, w);
            var drawing = DiagramValidators.DrawDot(w.ToString());
            Assert.True(drawing.Error is null, $"{name}: {drawing.Error}");
            Assert.Equal(report.Graph.Nodes.Count, drawing.Nodes.Count);
            Assert.Equal(report.Graph.Edges.Count, drawing.Edges.Count);
            foreach (var node in report.Graph.Nodes)
                Assert.Contains(drawing.Nodes, n => n.Title == DotText.NodeId($"lwp{node.Lwp}") && n.Text.StartsWith($"LWP {node.Lwp}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Each_deadlocked_mutex_is_also_listed_as_held_in_its_owners_struct_pthread()
    {
        // The scenario links M1 (0x829e40100) into LWP 100230's mq queues and M2 (0x829e40200) into LWP 100231's.
        var r = Report("mysqld-mutex-deadlock");
        foreach (var (waiter, holder, mutex) in new[] { (100230, 100231, "0x829e40200"), (100231, 100230, "0x829e40100") })
        {
            var edge = Assert.Single(r.Threads.Single(t => t.Lwp == waiter).WaitsFor);
            Assert.Equal((holder, $"pthread mutex at {mutex}"), (edge.Lwp!.Value, edge.Resource));
            Assert.Contains(edge.Evidence, e => e.StartsWith($"LWP {holder}'s struct pthread lists the mutex among those it holds", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Sleep_time_is_the_sleeps_own_only_where_the_producer_left_the_count_alone()
    {
        // gcore: every sleeper here sleeps interruptibly, and suspending it restarted the count.
        var gcore = Report("mysqld-ghost-fifo");
        Assert.All(gcore.Threads.Where(t => t.Wait is not null), t => Assert.Equal("stop", t.SleepCountsFrom));
        Assert.All(gcore.Threads.Where(t => t.Wait is null), t => Assert.Null(t.SleepSeconds));
        // gdb cores carry no kinfo_proc: nothing to count from.
        Assert.All(Report("mysqld-ghost-fifo-gdb").Threads, t => Assert.Null(t.SleepSeconds));
        // A kernel core keeps only uninterruptible sleeps, whose count is their own (the holder's biord read).
        var kernel = Report("mysqld-semaphore-wait-kernel");
        var asleep = Assert.Single(kernel.Threads, t => t.SleepSeconds is not null);
        Assert.Equal((100231, "sleep", "waiting-for-io"), (asleep.Lwp, asleep.SleepCountsFrom, asleep.Category));
    }

    /// <summary>
    /// What each role of the writer's template is, as a DBA would class it (the issue's categories,
    /// docs/thread-catalogue.md): listener, signal handler, manager, InnoDB background threads and
    /// idle connections wait by design; the master thread and page cleaner sleep between rounds; a
    /// session opening a FIFO waits for its peer. Two roles reach their wait through a static
    /// function that has no symbol in a stripped mysqld (srv_purge_coordinator_suspend,
    /// cache_thread), so nothing on their stacks says why they wait: unknown, not a guess.
    /// </summary>
    private static readonly Dictionary<string, string> CategoryOfRole = new()
    {
        ["main"] = "idle-by-design", ["signal-handler"] = "idle-by-design", ["manager"] = "idle-by-design",
        ["io-handler"] = "idle-by-design", ["lock-wait-timeout"] = "idle-by-design", ["error-monitor"] = "idle-by-design",
        ["monitor"] = "idle-by-design", ["dict-stats"] = "idle-by-design", ["buffer-dump"] = "idle-by-design",
        ["session-idle"] = "idle-by-design", ["master"] = "sleeping", ["page-cleaner"] = "sleeping",
        ["load-data"] = "waiting-for-peer", ["general-log-open"] = "waiting-for-peer",
        ["purge-coordinator"] = "unknown", ["session-cached"] = "unknown",
    };

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_thread_of_a_role_gets_the_category_of_its_role(string name)
    {
        var b = SampleSet.Build(name);
        var report = Report(name);
        var roles = Expectations.Threads(b).Where(t => t.Model.Role is not null).ToList();
        Assert.NotEmpty(roles);
        foreach (var t in roles)
        {
            // The thread that took the fatal signal or gcore's SIGSTOP left its sleep: it is not in its role's wait.
            var thread = report.Threads.Single(x => x.Lwp == t.Lwp);
            if (report.Crash?.Lwp == t.Lwp) continue;
            Assert.True(CategoryOfRole[t.Model.Role!] == thread.Category, $"{name} LWP {t.Lwp} ({t.Model.Role}): {thread.Category}, {thread.Activity}");
        }
    }

    [Fact]
    public void Every_thread_of_every_sample_has_a_category_and_a_sentence()
    {
        foreach (string name in SampleSet.Names)
            Assert.All(Report(name).Threads, t =>
            {
                Assert.Contains(t.Category, new[] { "idle-by-design", "running", "waiting-for-lock", "waiting-for-io", "waiting-for-peer", "sleeping", "unknown" });
                Assert.False(string.IsNullOrWhiteSpace(t.Activity));
            });
    }

    [GeneratedRegex(@"```mermaid\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidFence();
}
