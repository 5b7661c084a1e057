using CoreSleuth.Analysis;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// Commands that show less than the diagnosis ask the analysis for less: no stacks for a thread
/// list, one stack for <c>bt --lwp</c>, no statement search without findings to show.
/// </summary>
public sealed class AnalysisScopeTests
{
    private const string Incident = "mysqld-ghost-fifo";

    private static CoreAnalysis Run(AnalysisOptions options) =>
        CoreAnalysis.Run(SampleSet.CorePath(Incident), options with { Sysroot = SampleSet.Sysroot(Incident) });

    [Fact]
    public void Without_stacks_no_thread_is_walked_and_the_rest_is_the_same()
    {
        using var full = Run(new AnalysisOptions());
        using var none = Run(new AnalysisOptions { WalkStacksOf = new HashSet<int>() });
        Assert.All(full.Threads, t => Assert.NotEmpty(t.Frames));
        Assert.All(none.Threads, t => Assert.Empty(t.Frames));
        Assert.Equal(full.Threads.Select(t => (t.Thread.Lwp, t.Pthread, t.State.Text, t.Syscall?.FormatCall(), t.Session?.ThreadId)),
            none.Threads.Select(t => (t.Thread.Lwp, t.Pthread, t.State.Text, t.Syscall?.FormatCall(), t.Session?.ThreadId)));
        Assert.Equal(full.Findings.Select(f => (f.Lwp, f.Path)), none.Findings.Select(f => (f.Lwp, f.Path)));
    }

    [Fact]
    public void One_lwp_walks_that_stack_alone_as_the_full_analysis_does()
    {
        using var full = Run(new AnalysisOptions());
        var blocked = full.Findings.Single();
        using var one = Run(new AnalysisOptions { WalkStacksOf = new HashSet<int> { blocked.Lwp } });
        Assert.All(one.Threads.Where(t => t.Thread.Lwp != blocked.Lwp), t => Assert.Empty(t.Frames));
        var expected = full.Threads.Single(t => t.Thread.Lwp == blocked.Lwp);
        var walked = one.Threads.Single(t => t.Thread.Lwp == blocked.Lwp);
        Assert.Contains(walked.Frames, f => f.Symbol.DisplayName?.StartsWith("my_open(", StringComparison.Ordinal) == true);
        Assert.Equal(expected.Frames.Select(f => (f.Frame.Pc, f.Symbol.DisplayName)), walked.Frames.Select(f => (f.Frame.Pc, f.Symbol.DisplayName)));
        Assert.Equal(expected.UnwindStop, walked.UnwindStop);
    }

    [Fact]
    public void Without_the_statement_search_a_finding_has_no_statement_from_memory()
    {
        using var searched = Run(new AnalysisOptions());
        using var unsearched = Run(new AnalysisOptions { SearchStatements = false });
        Assert.Contains(searched.Findings.Single().StatementsInMemory, h => h.Text.Contains("LOAD DATA INFILE '/tmp/ghost.fifo'", StringComparison.Ordinal));
        Assert.Empty(unsearched.Findings.Single().StatementsInMemory);
        Assert.Equal(searched.Findings.Single().Path, unsearched.Findings.Single().Path);
    }
}
