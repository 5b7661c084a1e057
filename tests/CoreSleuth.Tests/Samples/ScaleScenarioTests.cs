using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// The scenario behind the benchmark cores (tests/CoreSleuth.Benchmarks/scenarios), without its
/// buffer pool: what the benchmarks time must be a correct analysis, checked here against the
/// scenario's own facts (its LWPs, pthread_t labels, FIFO paths and sessions).
/// </summary>
public sealed class ScaleScenarioTests
{
    private static string ScenarioPath => SampleSet.ThousandThreadScenario;

    private static (ScenarioProcess Process, CoreFile Core, string Innodb) Build(bool libthrSymbols)
    {
        var scenario = ScenarioLoader.Load(ScenarioPath) with { HideLibthrSymbols = !libthrSymbols };
        var process = ScenarioProcess.Build(scenario);
        var bytes = CoreWriter.WriteToArray(ScenarioCore.Build(process));
        return (process, CoreFile.Load(ByteSource.FromBytes(bytes, "mysqld-1000-threads.core")), InnodbStatusText.Build(process));
    }

    [Theory]
    [InlineData(true, PthreadStrategy.DebuggerSymbols)]
    [InlineData(false, PthreadStrategy.SignatureScan)]
    public void A_thousand_threads_are_identified_and_the_ten_fifo_waiters_found(bool libthrSymbols, PthreadStrategy strategy)
    {
        var (process, core, innodb) = Build(libthrSymbols);
        using (core)
        using (var analysis = CoreAnalysis.Run(core, new AnalysisOptions { InnodbStatus = innodb }))
        {
            Assert.Equal(1000, analysis.Threads.Count);
            Assert.Equal([strategy], analysis.Identity.StrategiesUsed);
            Assert.All(process.Threads, t => Assert.Equal(process.PthreadOf(t.Lwp), analysis.Identity.PthreadOf(t.Lwp)));

            var blocked = process.Threads.Where(t => t.Model.Open is not null).ToList();
            Assert.Equal(10, blocked.Count);
            Assert.Equal(blocked.Select(t => (t.Lwp, t.Model.Open!.Path, (long?)t.Model.Session!.Id, t.Model.Session.Statement)),
                analysis.Findings.Select(f => (f.Lwp, f.Path!, f.Session?.ThreadId, f.Session?.Query)));
            Assert.All(analysis.Findings, f => Assert.Contains(f.StatementsInMemory, s => s.Text == process.Threads.Single(t => t.Lwp == f.Lwp).Model.Session!.Statement));
            Assert.All(analysis.Handles, h => Assert.Equal(HandleStatus.Live, h.Resolution.Status));
            Assert.Equal(10, analysis.Handles.Count);
        }
    }
}
