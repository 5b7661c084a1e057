using CoreSleuth.Analysis;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Report;
using CoreSleuth.Tests.Reports;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// <c>threads</c> and <c>handle</c> analyse without describing the threads or building the
/// wait-for graph (<see cref="AnalysisOptions.DescribeHang"/>): their reports are the same as with
/// both, on every sample with its InnoDB status and processlist, pthread_t given as handles.
/// </summary>
public sealed class ThreadListOptionsTests
{
    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Thread_list_and_handles_are_the_same_without_descriptions_or_the_wait_for_graph(string name)
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(File.ReadAllBytes(SampleSet.CorePath(name)), SampleSet.CorePath(name)));
        string processlistPath = Path.Combine(SampleSet.Folder, name + ".processlist.txt");
        var options = new AnalysisOptions
        {
            InnodbStatus = SampleSet.InnodbStatus(name),
            Processlist = File.Exists(processlistPath) ? File.ReadAllText(processlistPath) : null,
            Sysroot = SampleSet.Sysroot(name),
            WalkStacksOf = new HashSet<int>(),
            SearchStatements = false,
        };
        using var described = CoreAnalysis.Run(core, options);
        var handles = described.Threads.Select(t => t.Pthread).OfType<ulong>().Append(0x1UL).ToArray();
        using var full = CoreAnalysis.Run(core, options with { Handles = handles });
        using var lean = CoreAnalysis.Run(core, options with { Handles = handles, DescribeHang = false });

        // The option does skip them: every thread is described with it, none without.
        Assert.All(full.Threads, t => Assert.NotNull(t.Description));
        Assert.All(lean.Threads, t => Assert.Null(t.Description));
        Assert.Equal(ReportFixtures.Render(ThreadsReport.Build(full, name), JsonReport.Write), ReportFixtures.Render(ThreadsReport.Build(lean, name), JsonReport.Write));
        Assert.Equal(ReportFixtures.Render(ThreadsReport.Build(full, name), TextReport.Write), ReportFixtures.Render(ThreadsReport.Build(lean, name), TextReport.Write));
        Assert.Equal(ReportFixtures.Render(HandlesReport.Build(full, name), HandlesReport.WriteJson), ReportFixtures.Render(HandlesReport.Build(lean, name), HandlesReport.WriteJson));
    }
}
