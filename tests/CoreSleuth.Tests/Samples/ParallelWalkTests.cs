using CoreSleuth.Analysis;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// Stacks walked on two threads (beside the statement search, or without one) come out as one
/// thread walks them: the benchmarks' 1,000-thread scenario, walked every way.
/// </summary>
public sealed class ParallelWalkTests
{
    private static readonly Lazy<byte[]> Core = new(() =>
    {
        string scenario = Path.Combine(SampleSet.RepositoryRoot, "tests", "CoreSleuth.Benchmarks", "scenarios", "mysqld-1000-threads.json");
        return CoreWriter.WriteToArray(ScenarioCore.Build(ScenarioProcess.Build(ScenarioLoader.Load(scenario))));
    });

    [Fact]
    public void Every_thread_has_the_same_frames_walked_on_two_threads_as_on_one()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Core.Value, "mysqld-1000-threads.core"));
        Assert.True(core.Threads.Count >= 2 * CoreAnalysis.ParallelWalkMinimum);
        using var one = CoreAnalysis.Run(core, new AnalysisOptions { ParallelWalks = false });
        Assert.NotEmpty(one.Findings);
        // Both cores walk; with the search, the second once the search is done.
        using var two = CoreAnalysis.Run(core, new AnalysisOptions { SearchStatements = false });
        using var beside = CoreAnalysis.Run(core, new AnalysisOptions());
        Assert.NotEmpty(beside.Findings);

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
            }
        }
    }

    [Fact]
    public void Without_frame_registers_the_frames_are_the_same_and_only_threads_blocked_in_open_keep_their_registers()
    {
        using var core = CoreFile.Load(ByteSource.FromBytes(Core.Value, "mysqld-1000-threads.core"));
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

    private static List<string> Frames(ThreadAnalysis t) =>
        [.. t.Frames.Select(f => $"{f.Frame.Pc:x} {f.Frame.Sp:x} {f.Frame.Cfa:x} {f.Frame.Trust} {f.Symbol.DisplayName}+{f.Symbol.Offset} {f.Frame.Note} "
            + string.Join(",", f.Frame.Registers.Select(r => $"{r.Name}={r.Value:x}:{r.Source}")))];
}
