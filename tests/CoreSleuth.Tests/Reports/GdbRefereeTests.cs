using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis;
using CoreSleuth.Tests.Support;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// gdb as a referee of the backtraces of the corpus cores that carry memory (the bsi-* kernel
/// cores, recorded with a FreeBSD-capable gdb 13.1 and no binaries: reference/*.gdb.txt). Every
/// frame gdb shows is either one of CoreSleuth's frames or no code at all by gdb's own account:
/// its pc lies in no executable mapping of gdb's <c>info proc mappings</c> (gdb without code walks
/// on through saved rbps and stack garbage such as 0x7fffffffd8a0, 0x1, 0x37f). And every frame
/// CoreSleuth shows lies in such a mapping. Nothing here comes from CoreSleuth's own reader.
/// </summary>
public sealed partial class GdbRefereeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cores => ["bsi-01c3190a", "bsi-08c8232b", "bsi-26432659"];

    /// <summary>gdb frames in code that CoreSleuth does not show, each examined (pc → why it is not a frame).</summary>
    private static readonly Dictionary<(string Core, ulong Pc), string> Examined = new()
    {
        // gdb's bt of bsi-01c3190a lists, from #1 on, the consecutive stack words at rsp = 0x7fffffffd540,
        // 0x…548, 0x…550, … (`coresleuth mem CORE 0x7fffffffd540 --count 16` shows the same run): without
        // code it took every frame as frameless. Its #1, 0x7fffffffd8a0, is the saved rbp (rbp = rsp: frame 0
        // had run push rbp; mov rbp,rsp); these three are later words of that run that point into code.
        [("bsi-01c3190a", 0x80084e17c)] = "the word at 0x7fffffffd550, read as a frame only because gdb walks word by word",
        [("bsi-01c3190a", 0x8012bdebd)] = "the word at 0x7fffffffd588, read as a frame only because gdb walks word by word",
        [("bsi-01c3190a", 0x412bcd)] = "the word at 0x7fffffffd5a0, read as a frame only because gdb walks word by word",
    };

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void Every_frame_gdb_shows_is_ours_or_no_code_by_gdbs_own_mappings(string name)
    {
        string gdb = File.ReadAllText(Corpus.Reference(name + ".gdb.txt"));
        var executable = MappingLine().Matches(gdb).Where(m => m.Groups[3].Value.Contains('x'))
            .Select(m => (Start: Hex(m.Groups[1].Value), End: Hex(m.Groups[2].Value))).ToList();
        Assert.NotEmpty(executable);
        bool IsCode(ulong pc) => executable.Any(r => pc >= r.Start && pc < r.End);

        var threads = ThreadBacktrace().Matches(gdb).Select(m => (Lwp: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            Pcs: FrameLine().Matches(m.Groups[2].Value).Select(f => Hex(f.Groups[1].Value)).ToList())).ToList();
        Assert.NotEmpty(threads);

        using var analysis = CoreAnalysis.Run(Corpus.Core(name + ".core"), new AnalysisOptions());
        int agreed = 0, notCode = 0, examined = 0;
        foreach (var (lwp, gdbPcs) in threads)
        {
            var ours = analysis.Threads.Single(t => t.Thread.Lwp == lwp).Frames.Select(f => f.Frame.Pc).ToList();
            output.WriteLine($"{name} LWP {lwp}: gdb {string.Join(" ← ", gdbPcs.Select(p => $"0x{p:x}"))}");
            output.WriteLine($"{name} LWP {lwp}: ours {string.Join(" ← ", ours.Select(p => $"0x{p:x}"))}");
            Assert.Equal(gdbPcs[0], ours[0]);
            foreach (ulong pc in gdbPcs.Skip(1))
            {
                if (ours.Contains(pc)) agreed++;
                else if (!IsCode(pc)) notCode++;
                else if (Examined.TryGetValue((name, pc), out string? why)) { examined++; output.WriteLine($"  gdb's 0x{pc:x}: {why}"); }
                else Assert.Fail($"{name} LWP {lwp}: gdb's frame 0x{pc:x} is in an executable mapping and CoreSleuth does not show it");
            }
            Assert.All(ours, pc => Assert.True(IsCode(pc), $"{name} LWP {lwp}: CoreSleuth's frame 0x{pc:x} is in no executable mapping"));
        }
        output.WriteLine($"{name}: {threads.Count} thread(s), gdb frames after #0: {agreed} also CoreSleuth's, {notCode} not code, {examined} examined and not frames");
        Assert.True(agreed + notCode > 0);
    }

    private static ulong Hex(string text) => ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+([r-][w-][x-])\s+\S+\s+/\S+", RegexOptions.Multiline)]
    private static partial Regex MappingLine();

    [GeneratedRegex(@"^Thread \d+ \(LWP (\d+)\):\n((?:#\d+ .*\n?)+)", RegexOptions.Multiline)]
    private static partial Regex ThreadBacktrace();

    [GeneratedRegex(@"^#\d+\s+(0x[0-9a-f]+) in", RegexOptions.Multiline)]
    private static partial Regex FrameLine();
}
