using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Model;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Unwind;

/// <summary>The unwinder's core adapters on the corpus's real amd64 cores.</summary>
public sealed partial class CoreWalkTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cores => new()
    {
        "bsi-01c3190a", "bsi-08c8232b", "bsi-26432659", "lldb-x86-64-freebsd13", "lldb-x86-64-freebsd14-multithread",
    };

    // gdb's "info proc mappings" line: start end size offset flags [file].
    [GeneratedRegex(@"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+(\S{3})\s+\S{4}\s*(\S*)\s*$")]
    private static partial Regex GdbMapping();

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Shared_page_is_the_anonymous_executable_mapping_gdb_lists_at_the_top(string name)
    {
        using var core = OpenCore(name);
        var mappings = File.ReadAllLines(Path.Combine(UnwindCorpus.Root!, "reference", name + ".gdb.txt"))
            .Select(l => GdbMapping().Match(l)).Where(m => m.Success)
            .Select(m => (Start: Hex(m.Groups[1].Value), End: Hex(m.Groups[2].Value), Flags: m.Groups[3].Value, File: m.Groups[4].Value))
            .ToList();
        var expected = mappings.Where(m => m.Flags == "r-x" && m.File.Length == 0).MaxBy(m => m.Start);
        Assert.NotEqual(0UL, expected.Start);
        Assert.Equal(new AddressRange(expected.Start, expected.End), ModuleMapCfiProvider.FindSharedPage(core.Process));
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Walks_every_thread_within_bounds(string name)
    {
        using var core = OpenCore(name);
        using var modules = ModuleMap.Discover(core, null);
        var unwinder = NewUnwinder(core, modules);
        foreach (var thread in core.Threads)
        {
            var walk = unwinder.Walk(thread.Registers);
            output.WriteLine($"LWP {thread.Lwp}: {string.Join(" | ", walk.Frames)} — {walk.StopReason}");
            Assert.Equal((thread.Registers.Rip, thread.Registers.Rsp, "context"), (walk.Frames[0].Pc, walk.Frames[0].Sp, walk.Frames[0].TrustLabel));
            Assert.InRange(walk.Frames.Count, 1, Unwinder.MaxDepth);
            Assert.False(string.IsNullOrWhiteSpace(walk.StopReason));
            Assert.True(walk.Frames.Zip(walk.Frames.Skip(1)).All(p => p.Second.Sp > p.First.Sp || p.Second.Trust == FrameTrust.SignalContext));
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void One_unwinder_walking_every_thread_in_turn_finds_what_a_fresh_one_finds(string name)
    {
        // An unwinder reuses its register sets from frame to frame and walk to walk: nothing of one
        // walk may leak into the next. Walked backwards so each thread follows a different one.
        using var core = OpenCore(name);
        using var modules = ModuleMap.Discover(core, null);
        var shared = NewUnwinder(core, modules);
        foreach (var thread in core.Threads.Reverse())
        {
            var reused = shared.Walk(thread.Registers);
            var fresh = NewUnwinder(core, modules).Walk(thread.Registers);
            Assert.Equal(Describe(fresh), Describe(reused));
        }

        static List<string> Describe(StackWalk walk) =>
        [
            .. walk.Frames.Select(f => $"{f} cfa={f.Cfa:x} signal={f.IsSignalFrame} note={f.Note} " +
                string.Join(",", f.Registers.Select(r => $"{r.Name}={r.Value:x} ({r.Source})"))),
            walk.StopReason,
        ];
    }

    private static CoreFile OpenCore(string name) => CoreFile.Open(Path.Combine(UnwindCorpus.Root!, "cores", name + ".core"));

    private static Unwinder NewUnwinder(CoreFile core, ModuleMap modules) =>
        new(new AddressSpaceStackMemory(core.Memory), new ModuleMapCfiProvider(modules, core.Process));

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
