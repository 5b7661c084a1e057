using CoreSleuth.Analysis;
using CoreSleuth.Diagnostics;
using CoreSleuth.Elf;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// Stacks walked on two threads (beside the statement search, or without one), with pthread_t
/// and sessions found on the second while the first walks, come out as on one thread: the
/// benchmarks' 1,000-thread scenario and its InnoDB status, analysed every way.
/// </summary>
public sealed class ParallelWalkTests
{
    private static (byte[] Core, string Innodb) Scenario => SampleSet.ThousandThreads;

    [Fact]
    public void Every_thread_has_the_same_frames_walked_on_two_threads_as_on_one()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Scenario.Core, "mysqld-1000-threads.core"));
        Assert.True(core.Threads.Count >= 2 * CoreAnalysis.ParallelWalkMinimum);
        string innodb = Scenario.Innodb;
        using var one = CoreAnalysis.Run(core, new AnalysisOptions { ParallelWalks = false, InnodbStatus = innodb });
        Assert.NotEmpty(one.Findings);
        // Both cores walk, the second once it has found the pthread_t and, with the search, run it.
        using var two = CoreAnalysis.Run(core, new AnalysisOptions { SearchStatements = false, InnodbStatus = innodb });
        using var beside = CoreAnalysis.Run(core, new AnalysisOptions { InnodbStatus = innodb });
        Assert.NotEmpty(beside.Findings);
        Assert.Contains(one.Threads, t => t.Session is not null);

        foreach (var other in new[] { two, beside })
        {
            Assert.Equal(one.Threads.Select(t => t.Thread.Lwp), other.Threads.Select(t => t.Thread.Lwp));
            for (int i = 0; i < one.Threads.Count; i++)
            {
                var (a, b) = (one.Threads[i], other.Threads[i]);
                Assert.NotEmpty(b.Frames);
                Assert.Equal(Frames(a), Frames(b));
                Assert.Equal(a.UnwindStop, b.UnwindStop);
                Assert.Equal(a.FrameArguments.Keys.Order(), b.FrameArguments.Keys.Order());
                // pthread_t and sessions, found on the other core while this one walks.
                Assert.Equal((a.Pthread, a.Session?.ThreadId, a.Join, a.Syscall?.FormatCall(), a.State), (b.Pthread, b.Session?.ThreadId, b.Join, b.Syscall?.FormatCall(), b.State));
                Assert.NotNull(b.Description);
                Assert.Equal((a.Description, a.Sleep), (b.Description, b.Sleep));
            }
            Assert.Equal(one.Identity.Notes, other.Identity.Notes);
            Assert.Equal(one.Findings.Select(f => (f.Lwp, f.Pthread, f.Path, f.Session?.ThreadId)), other.Findings.Select(f => (f.Lwp, f.Pthread, f.Path, f.Session?.ThreadId)));
            Assert.Equal(one.Handles.Select(h => (h.Resolution.Status, h.Resolution.Lwp)), other.Handles.Select(h => (h.Resolution.Status, h.Resolution.Lwp)));
        }
        Assert.Contains(one.Threads, t => t.Pthread is not null);
        // With the search on both: the same evidence, statements found in memory included.
        Assert.Equal(one.Findings.Select(f => string.Join("; ", f.Evidence)), beside.Findings.Select(f => string.Join("; ", f.Evidence)));
    }

    [Fact]
    public void Without_frame_registers_the_frames_are_the_same_and_only_threads_blocked_in_open_keep_their_registers()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Scenario.Core, "mysqld-1000-threads.core"));
        using var with = CoreAnalysis.Run(core, new AnalysisOptions());
        using var without = CoreAnalysis.Run(core, new AnalysisOptions { FrameRegisters = false });
        Assert.Contains(with.Threads, t => t.FrameArguments.Count > 0);
        int emptied = 0;
        for (int i = 0; i < with.Threads.Count; i++)
        {
            var (a, b) = (with.Threads[i], without.Threads[i]);
            Assert.Equal(a.Frames.Select(Frame), b.Frames.Select(Frame));
            Assert.Equal(a.UnwindStop, b.UnwindStop);
            Assert.Equal(a.FrameArguments.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}"), b.FrameArguments.Select(e => $"{e.Key}: {string.Join("; ", e.Value)}"));
            if (a.Site?.OpenArguments is not null) Assert.Equal(Frames(a), Frames(b));
            else
            {
                Assert.All(b.Frames, f => Assert.Empty(f.Frame.Registers));
                if (a.Frames.Any(f => f.Frame.Registers.Count > 0)) emptied++;
            }
        }
        Assert.True(emptied > 900, $"{emptied} threads lost their frames' registers");
        Assert.Equal(with.Findings.Select(f => $"{f.Lwp} {f.Path} {f.Confidence}"), without.Findings.Select(f => $"{f.Lwp} {f.Path} {f.Confidence}"));
    }

    private static string Frame(NamedFrame f) => $"{f.Frame.Pc:x} {f.Frame.Sp:x} {f.Frame.Cfa:x} {f.Frame.Trust} {f.Symbol.DisplayName}+{f.Symbol.Offset} {f.Frame.Note}";

    /// <summary>
    /// A thread list of many threads (no stacks walked) has the other core find the pthread_t while
    /// this one decodes the system calls: the same identities, sessions and handles as on one core,
    /// and --timings shows how long this one waits for them.
    /// </summary>
    [Fact]
    public void A_thread_list_finds_the_same_pthread_t_and_sessions_on_the_other_core()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Scenario.Core, "mysqld-1000-threads.core"));
        var options = new AnalysisOptions { InnodbStatus = Scenario.Innodb, WalkStacksOf = new HashSet<int>(), SearchStatements = false, DescribeHang = false };
        using var one = CoreAnalysis.Run(core, options with { ParallelWalks = false });
        var handles = one.Threads.Select(t => t.Pthread).OfType<ulong>().Take(50).Append(0x1UL).ToArray();
        using var oneWithHandles = CoreAnalysis.Run(core, options with { ParallelWalks = false, Handles = handles });
        var timings = new StageTimings();
        using var two = CoreAnalysis.Run(core, options with { Handles = handles }, timings);
        // --timings shows the pthread_t found on the other core, and the time this one waits for them.
        Assert.Contains(timings.Stages, s => s is { Stage: "pthread_t", Concurrent: true });
        Assert.Contains(timings.Stages, s => s is { Stage: "waiting for pthread_t", Concurrent: false });
        Assert.Equal(core.Threads.Count, one.Threads.Count(t => t.Pthread is not null));
        Assert.Contains(one.Threads, t => t.Session is not null);
        Assert.Equal(one.Threads.Select(t => (t.Thread.Lwp, t.Pthread, t.Session?.ThreadId, t.Join, t.Syscall?.FormatCall(), t.State)),
            two.Threads.Select(t => (t.Thread.Lwp, t.Pthread, t.Session?.ThreadId, t.Join, t.Syscall?.FormatCall(), t.State)));
        Assert.Equal(oneWithHandles.Handles.Select(h => (h.Resolution.Status, h.Resolution.Lwp, h.Source)), two.Handles.Select(h => (h.Resolution.Status, h.Resolution.Lwp, h.Source)));
        Assert.Equal(one.Identity.Notes, two.Identity.Notes);
    }

    private static List<string> Frames(ThreadAnalysis t) =>
        [.. t.Frames.Select(f => $"{f.Frame.Pc:x} {f.Frame.Sp:x} {f.Frame.Cfa:x} {f.Frame.Trust} {f.Symbol.DisplayName}+{f.Symbol.Offset} {f.Frame.Note} "
            + string.Join(",", f.Frame.Registers.Select(r => $"{r.Name}={r.Value:x}:{r.Source}")))];

    /// <summary>
    /// Through the report writer (UTF-8 as it goes, each frame line encoded once and remembered,
    /// blocks of threads rendered on two threads), every text report is the text a plain string
    /// writer gets, encoded: for a thousand threads, and for every sample, whose threads hold the
    /// same functions at different depths.
    /// </summary>
    [Fact]
    public void Text_reports_of_a_thousand_threads_through_the_report_writer_are_the_plain_text_encoded()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Scenario.Core, "mysqld-1000-threads.core"));
        using var analysis = CoreAnalysis.Run(core, new AnalysisOptions());
        SameThroughReportWriter(analysis, "mysqld-1000-threads.core");
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Text_reports_of_every_sample_through_the_report_writer_are_the_plain_text_encoded(string name)
    {
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), new AnalysisOptions { Sysroot = SampleSet.Sysroot(name) });
        SameThroughReportWriter(analysis, name);
    }

    private static void SameThroughReportWriter(CoreAnalysis analysis, string name)
    {
        var report = Report.AnalysisReport.Build(analysis, name);
        SameGroupsAsByNames(report);
        var backtraces = Report.BacktraceReport.Build(analysis, name, null);
        Action<TextWriter>[] renderers =
        [
            w => Report.AnalysisText.Write(report, w),
            w => Report.AnalysisMarkdown.Write(report, w),
            w => Report.BacktraceReport.WriteText(backtraces, w),
        ];
        foreach (var render in renderers)
        {
            var plain = new StringWriter { NewLine = "\n" };
            render(plain);
            var bytes = new MemoryStream();
            using (var w = new Report.Utf8Writer(bytes, leaveOpen: true)) render(w);
            Assert.Equal(new System.Text.UTF8Encoding(false).GetBytes(plain.ToString()), bytes.ToArray());
        }
        // The same frames again at other depths, indents and bounds: each its own line.
        var frames = report.Threads.SelectMany(t => t.Frames).ToList();
        Action<TextWriter> again = w =>
        {
            foreach (var (f, i) in frames.Select((f, i) => (f, i)))
                foreach (string indent in new[] { "", "    " })
                    foreach (int bound in new[] { 4, 200 })
                    {
                        Report.FrameText.Write(w, indent, i % 12, f, bound);
                        Report.FrameText.Write(w, indent, i % 12 + 1, f, bound);
                    }
        };
        var plainAgain = new StringWriter { NewLine = "\n" };
        again(plainAgain);
        var bytesAgain = new MemoryStream();
        using (var w = new Report.Utf8Writer(bytesAgain, leaveOpen: true)) again(w);
        Assert.Equal(new System.Text.UTF8Encoding(false).GetBytes(plainAgain.ToString()), bytesAgain.ToArray());

        var text = new StringWriter();
        Report.BacktraceReport.WriteText(backtraces, text);
        Assert.Contains("#1 ", text.ToString()); // frame lines were written, each but the first per thread shared
    }

    /// <summary>
    /// Threads are grouped by their walked frames (by reference) as by the names the frames show:
    /// the same frames made from values, which can only be grouped by their names, make the same groups.
    /// </summary>
    private static void SameGroupsAsByNames(Report.AnalysisReport report)
    {
        var byValue = report.Threads.Select(t => new Stack(t.Lwp,
            [.. t.Frames.Select(f => new Report.ReportFrame(f.Pc, f.Module, f.Symbol, f.Offset, f.Trust) { ModuleOffset = f.ModuleOffset })])).ToList();
        var expected = Report.ReportStackGroup.Group(byValue);
        Assert.Equal(expected.Select(g => (g.Count, string.Join(",", g.Lwps), string.Join("|", g.Frames))),
            report.Stacks.Select(g => (g.Count, string.Join(",", g.Lwps), string.Join("|", g.Frames))));
    }

    private sealed record Stack(int Lwp, IReadOnlyList<Report.ReportFrame> Frames) : Report.IThreadStack;
}
