using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Tests.Samples;
using Corpus = CoreSleuth.Tests.Support.Corpus;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// Backtraces in the analysis: the blocked thread of the incident unwinds by CFI to exactly the
/// call chain of its scenario (spec §10 / the seed incident), my_open's arguments are
/// reconstructed with their sources, and real cores without binaries never get invented frames.
/// </summary>
public class BacktraceTests
{
    // The chain the scenario builds (samples/scenarios/mysqld-ghost-fifo.json, the incident as told).
    private static readonly string[] IncidentChain =
    [
        "__sys_open", "open", "my_open(char const*, int, unsigned long)", "mysql_load(", "mysql_execute_command(THD*)",
        "mysql_parse(", "dispatch_command(", "do_command(THD*)", "do_handle_one_connection(THD*)", "handle_one_connection(void*)",
        "pfs_spawn_thread",
    ];

    private static CoreAnalysis WithSysroot(string sample) =>
        CoreAnalysis.Run(SampleSet.CorePath(sample), new AnalysisOptions { Sysroot = SampleSet.Sysroot(sample) });

    [Theory]
    [InlineData("mysqld-ghost-fifo")]
    [InlineData("mysqld-ghost-fifo-kernel")]
    public void The_blocked_thread_unwinds_to_the_scenario_chain(string sample)
    {
        using var analysis = WithSysroot(sample);
        var thread = analysis.Threads.Single(t => t.Thread.Lwp == 100460);
        var names = thread.Frames.Select(f => f.Symbol.DisplayName ?? "??").ToList();
        Assert.True(names.Count > IncidentChain.Length, string.Join(" <- ", names));
        for (int i = 0; i < IncidentChain.Length; i++)
            Assert.StartsWith(IncidentChain[i], names[i]);
        Assert.Equal(FrameTrust.Context, thread.Frames[0].Frame.Trust);
        // FreeBSD 10's __sys_open is an assembly stub without CFI: its caller is found by reading its code.
        Assert.Equal(FrameTrust.Prologue, thread.Frames[1].Frame.Trust);
        Assert.All(thread.Frames.Skip(2).Take(IncidentChain.Length - 2), f => Assert.Equal(FrameTrust.Cfi, f.Frame.Trust));
        Assert.Equal(["libc.so.7", "libthr.so.3", "mysqld"], thread.Frames.Take(3).Select(f => f.Symbol.Module!.FileName));
    }

    [Theory]
    [InlineData("mysqld-ghost-fifo")]
    [InlineData("mysqld-ghost-fifo-kernel")]
    [InlineData("mysqld-ghost-fifo-gdb")]
    public void Without_the_binaries_the_syscall_stubs_caller_is_still_frame_1(string sample)
    {
        // As gcore writes it: no code in the core. libthr's open (the stub's caller) must not be
        // skipped: its return address is the word at rsp, the same pc the binaries give.
        using var with = WithSysroot(sample);
        using var without = CoreAnalysis.Run(SampleSet.CorePath(sample), new AnalysisOptions());
        var blocked = without.Threads.Single(t => t.Thread.Lwp == 100460);
        var expected = with.Threads.Single(t => t.Thread.Lwp == 100460);
        Assert.Equal(expected.Frames[1].Frame.Pc, blocked.Frames[1].Frame.Pc);
        Assert.Equal(FrameTrust.SyscallStub, blocked.Frames[1].Frame.Trust);
        Assert.Equal(expected.Frames[2].Frame.Pc, blocked.Frames[2].Frame.Pc);   // my_open, by libthr's frame pointer
        // Every thread asleep in a system call keeps its stub's caller.
        foreach (var t in without.Threads.Where(t => t.Site is not null))
        {
            var w = with.Threads.Single(x => x.Thread.Lwp == t.Thread.Lwp);
            Assert.True(t.Frames.Count > 1 && t.Frames[1].Frame.Pc == w.Frames[1].Frame.Pc,
                $"LWP {t.Thread.Lwp}: frame 1 is {(t.Frames.Count > 1 ? $"0x{t.Frames[1].Frame.Pc:x}" : "missing")}, with the binaries 0x{w.Frames[1].Frame.Pc:x}");
        }
    }

    [Fact]
    public void An_executable_without_PT_GNU_EH_FRAME_unwinds_by_its_eh_frame_section_and_start_ends_the_walk()
    {
        // mysqld-no-symbols' executable was linked without .eh_frame_hdr (as some real FreeBSD 11
        // a.out files): its CFI is found through the section headers, and _start's
        // DW_CFA_undefined rip makes it the outermost frame, with nothing scanned past it.
        string exe = Path.Combine(SampleSet.Sysroot("mysqld-no-symbols")!, "usr/local/libexec/mysqld");
        using (var source = CoreSleuth.Elf.ByteSource.OpenFile(exe))
        {
            var elf = CoreSleuth.Elf.ElfFile.Parse(source);
            Assert.DoesNotContain(elf.ProgramHeaders, p => p.Type == EhFrame.PT_GNU_EH_FRAME);
            Assert.Contains(elf.SectionHeaders, h => h.Name == ".eh_frame");
        }
        using var analysis = WithSysroot("mysqld-no-symbols");
        var main = analysis.Threads.First();
        var inMysqld = main.Frames.Where(f => f.Symbol.Module?.FileName == "mysqld").ToList();
        Assert.NotEmpty(inMysqld);
        Assert.All(inMysqld, f => Assert.Equal(FrameTrust.Cfi, f.Frame.Trust));
        Assert.Equal("_start", main.Frames[^1].Symbol.DisplayName);
        Assert.Contains("outermost frame", main.UnwindStop);
        Assert.DoesNotContain(analysis.Threads.SelectMany(t => t.Frames), f => f.Frame.Trust == FrameTrust.Scan);
    }

    [Fact]
    public void My_open_arguments_come_from_the_open_it_made()
    {
        using var analysis = WithSysroot("mysqld-ghost-fifo");
        var thread = analysis.Threads.Single(t => t.Thread.Lwp == 100460);
        int myOpen = thread.Frames.ToList().FindIndex(f => f.Symbol.DisplayName?.StartsWith("my_open(") == true);
        var args = thread.FrameArguments[myOpen];
        Assert.Equal(["FileName", "Flags", "MyFlags"], args.Select(a => a.Name));
        Assert.Equal("\"/tmp/ghost.fifo\"", args[0].Value);
        Assert.Equal("O_RDONLY", args[1].Value);
        Assert.Contains("open() system call", args[0].Source);
        Assert.Equal("unknown", args[2].Value);
        Assert.Single(thread.FrameArguments); // no other frame is claimed to be my_open
    }

    [Fact]
    public void Real_cores_without_binaries_say_why_the_walk_stopped_and_find_no_fifo()
    {
        if (!Corpus.Available) return;
        foreach (var name in Corpus.Amd64CoreNames)
        {
            using var analysis = CoreAnalysis.Run(Corpus.Core(name), new AnalysisOptions());
            Assert.Empty(analysis.Findings);
            foreach (var t in analysis.Threads)
            {
                Assert.False(string.IsNullOrEmpty(t.UnwindStop), $"{name} LWP {t.Thread.Lwp}: no stop reason");
                // With no binary, no frame may claim CFI (there is no .eh_frame to have used).
                Assert.DoesNotContain(t.Frames, f => f.Frame.Trust == FrameTrust.Cfi);
                Assert.All(t.Frames, f => Assert.Null(f.Symbol.Symbol));
            }
        }
    }
}

public class BacktraceWithoutFramePointersTests
{
    [Fact]
    public void The_incident_still_unwinds_when_mysqld_has_no_frame_pointers()
    {
        // Text in the core, so the walk has the code and its CFI without a sysroot.
        var scenario = CoreSleuth.Testing.Scenarios.ScenarioLoader.Load(SampleSet.ScenarioPath("mysqld-ghost-fifo")) with { OmitFramePointers = true, Text = "core" };
        var process = CoreSleuth.Testing.Scenarios.ScenarioProcess.Build(scenario);
        byte[] bytes = CoreSleuth.Testing.Cores.CoreWriter.WriteToArray(CoreSleuth.Testing.Scenarios.ScenarioCore.Build(process));
        using var core = CoreSleuth.Model.CoreFile.Load(CoreSleuth.Elf.ByteSource.FromBytes(bytes, "no-frame-pointers.core"));
        using var analysis = CoreAnalysis.Run(core, new AnalysisOptions());
        var thread = analysis.Threads.Single(t => t.Thread.Lwp == 100460);
        var names = thread.Frames.Select(f => f.Symbol.DisplayName ?? "??").ToList();
        Assert.Contains("my_open(char const*, int, unsigned long)", names);
        Assert.Contains("pfs_spawn_thread", names);
        // Every mysqld frame must have come from CFI: rbp holds no frame chain in code built without it.
        Assert.All(thread.Frames.Where(f => f.Symbol.Module?.FileName == "mysqld"), f => Assert.Equal(FrameTrust.Cfi, f.Frame.Trust));
    }
}
