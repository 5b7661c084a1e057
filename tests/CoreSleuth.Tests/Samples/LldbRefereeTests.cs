using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CoreSleuth.Analysis;
using CoreSleuth.Report;
using CoreSleuth.Tests.Support;
using CoreSleuth.Tests.Writer;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Samples;

/// <summary>A theory that needs LLDB 16 and the shared corpus (../shared/corpus).</summary>
public sealed class LldbCorpusTheoryAttribute : TheoryAttribute
{
    public LldbCorpusTheoryAttribute()
    {
        if (!ExternalTools.IsOnPath(ExternalTools.Lldb)) Skip = "lldb-16 is not on PATH (install it to compare backtraces with LLDB)";
        else if (!Corpus.Available) Skip = Corpus.MissingReason;
    }
}

/// <summary>One backtrace difference between LLDB and CoreSleuth that has been examined (lldb-bt-differences.json).</summary>
/// <param name="Core">"samples/NAME.core" or "corpus/NAME.core".</param>
/// <param name="Sysroot">Whether both were given the sample's binaries (LLDB: exec-search-paths and the executable; CoreSleuth: --sysroot).</param>
/// <param name="Frame">Index of the frame in LLDB's backtrace, or in CoreSleuth's when LLDB has no frame there.</param>
/// <param name="Lldb">LLDB's pc, or null when LLDB has no such frame.</param>
/// <param name="CoreSleuth">CoreSleuth's pc, or null when CoreSleuth has no such frame.</param>
/// <param name="Evidence">The fact that settles which side is right (or that says it cannot be settled).</param>
public sealed record BacktraceDifference(string Core, bool Sysroot, int Lwp, int Frame, string? Lldb, string? CoreSleuth, string Evidence)
{
    [JsonIgnore]
    public string Key => $"{Core} sysroot={(Sysroot ? "yes" : "no")} LWP {Lwp} frame #{Frame}: LLDB {Lldb ?? "(none)"}, CoreSleuth {CoreSleuth ?? "(none)"}";
}

/// <summary>
/// LLDB 16 as a referee of CoreSleuth's <c>bt</c>: for every sample core (without and with its
/// binaries) and every amd64 core of the corpus, the pc list of every thread from
/// <c>thread backtrace all</c> is compared with the one CoreSleuth's backtrace report gives.
/// LLDB is not an oracle: it has its own limits (it cannot analyse code it does not have, and
/// without an FDE or a symbol it falls back to rbp). So every difference must be listed, with
/// the evidence that settles it, in lldb-bt-differences.json; the test fails on a difference not
/// listed and on a listed one that no longer occurs.
/// <para>To regenerate the list after the unwinder changed: run these tests with
/// <c>COREsleuth_WRITE_LLDB_DIFFERENCES=/path/to/file.json</c>; the current differences are written
/// there (evidence kept from the committed file for entries that still occur, empty for new ones),
/// for a human to examine and fill before replacing the committed file.</para>
/// </summary>
public partial class LldbTests(ITestOutputHelper output)
{
    public const string DifferencesEnvironmentVariable = "COREsleuth_WRITE_LLDB_DIFFERENCES";

    private static readonly string DifferencesPath = Path.Combine(SampleSet.RepositoryRoot, "tests", "CoreSleuth.Tests", "Samples", "lldb-bt-differences.json");

    private static readonly JsonSerializerOptions DifferencesJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly Lock WriteLock = new();

    public static TheoryData<string, bool> SampleCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in SampleSet.Names)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    [LldbTheory]
    [MemberData(nameof(SampleCases))]
    public void Lldb_referee_every_thread_of_a_sample_unwinds_as_in_coresleuth_or_the_difference_is_listed(string name, bool sysroot)
    {
        var b = SampleSet.Build(name);
        string core = SampleSet.CorePath(name);
        if (Environment.GetEnvironmentVariable(DifferencesEnvironmentVariable) is { Length: > 0 } writeTo)
            WriteIntendedChains(writeTo + ".intended.txt", b);
        if (!sysroot)
        {
            // The committed sysroot folder is what a user would pass; without it, only the core.
            Referee($"samples/{name}.core", core, sysroot: false, lldbTarget: ["-c", core], coreSleuthSysroot: null);
            return;
        }
        using var temp = new TempSysroot(b.Process.Image);
        Referee($"samples/{name}.core", core, sysroot: true,
            lldbTarget: ["-O", $"settings set target.exec-search-paths {string.Join(' ', temp.SearchPaths)}", temp.PathOf(b.Process.Image.ExecutablePath), "-c", core],
            coreSleuthSysroot: temp.PathOf("/"));
    }

    [LldbCorpusTheory]
    [MemberData(nameof(Corpus.Amd64Cores), MemberType = typeof(Corpus))]
    public void Lldb_referee_every_thread_of_a_corpus_core_unwinds_as_in_coresleuth_or_the_difference_is_listed(string coreName)
    {
        string core = Corpus.Core(coreName);
        Referee($"corpus/{coreName}", core, sysroot: false, lldbTarget: ["-c", core], coreSleuthSysroot: null);
    }

    private void Referee(string label, string corePath, bool sysroot, IReadOnlyList<string> lldbTarget, string? coreSleuthSysroot)
    {
        var lldb = Lldb.Run(lldbTarget, ["thread list", "thread backtrace all"]);
        var tids = ThreadLine().Matches(lldb["thread list"]).ToDictionary(
            m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        var lldbByLwp = Backtraces(lldb["thread backtrace all"]).ToDictionary(t => tids[t.Index], t => t.Frames.Select(f => f.Pc).ToList());

        using var analysis = CoreAnalysis.Run(corePath, new AnalysisOptions { Sysroot = coreSleuthSysroot, SearchStatements = false });
        var report = BacktraceReport.Build(analysis, corePath, null);
        var oursByLwp = report.Threads.ToDictionary(t => t.Lwp, t => t.Frames.Select(f => f.Pc.Value).ToList());

        Assert.True(lldbByLwp.Keys.Order().SequenceEqual(oursByLwp.Keys.Order()),
            $"{label}: LLDB has threads {string.Join(", ", lldbByLwp.Keys.Order())}, CoreSleuth {string.Join(", ", oursByLwp.Keys.Order())}");

        var found = new List<BacktraceDifference>();
        int frames = 0;
        foreach (var (lwp, theirs) in lldbByLwp.OrderBy(p => p.Key))
        {
            var ours = oursByLwp[lwp];
            frames += Math.Max(theirs.Count, ours.Count);
            found.AddRange(Differences(theirs, ours).Select(d => new BacktraceDifference(label, sysroot, lwp, d.Frame, Hex(d.Lldb), Hex(d.Ours), "")));
        }
        output.WriteLine($"{label} sysroot={(sysroot ? "yes" : "no")}: {lldbByLwp.Count} threads, {frames} frames compared, {found.Count} differences");

        var listed = LoadDifferences().Where(d => d.Core == label && d.Sysroot == sysroot).ToList();
        if (Environment.GetEnvironmentVariable(DifferencesEnvironmentVariable) is { Length: > 0 } writeTo)
        {
            WriteDifferences(writeTo, label, sysroot, found, listed);
            return;
        }

        var listedKeys = listed.Select(d => d.Key).ToHashSet();
        var foundKeys = found.Select(d => d.Key).ToHashSet();
        var unexplained = found.Where(d => !listedKeys.Contains(d.Key)).ToList();
        var gone = listed.Where(d => !foundKeys.Contains(d.Key)).ToList();
        if (unexplained.Count == 0 && gone.Count == 0)
        {
            Assert.All(listed, d => Assert.False(string.IsNullOrWhiteSpace(d.Evidence), $"{d.Key}: no evidence in {DifferencesPath}"));
            return;
        }

        var message = new StringBuilder();
        foreach (var d in unexplained) message.AppendLine($"not listed: {d.Key}");
        foreach (var d in gone) message.AppendLine($"listed but no longer occurs: {d.Key}");
        message.AppendLine($"(regenerate with {DifferencesEnvironmentVariable}=/tmp/differences.json, examine each difference, fill its evidence)");
        foreach (var lwp in unexplained.Concat(gone).Select(d => d.Lwp).Distinct())
        {
            message.AppendLine($"LWP {lwp}:");
            message.AppendLine($"  LLDB:       {string.Join(" ← ", lldbByLwp[lwp].Select(p => $"0x{p:x}"))}");
            message.AppendLine($"  CoreSleuth: {string.Join(" ← ", oursByLwp[lwp].Select(p => $"0x{p:x}"))}");
        }
        message.AppendLine("LLDB's backtraces:").AppendLine(lldb["thread backtrace all"]);
        var text = new StringWriter();
        BacktraceReport.WriteText(report, text);
        message.AppendLine("CoreSleuth's backtraces:").AppendLine(text.ToString());
        Assert.Fail(message.ToString());
    }

    private static string? Hex(ulong? pc) => pc is { } p ? $"0x{p:x}" : null;

    /// <summary>
    /// The two pc lists aligned on their longest common subsequence, so that a frame one side
    /// skips is one difference (not a shift of every frame after it). Unmatched frames met at the
    /// same step pair up as one difference with both pcs.
    /// </summary>
    internal static List<(int Frame, ulong? Lldb, ulong? Ours)> Differences(IReadOnlyList<ulong> lldb, IReadOnlyList<ulong> ours)
    {
        int n = lldb.Count, m = ours.Count;
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = lldb[i] == ours[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var result = new List<(int, ulong?, ulong?)>();
        int a = 0, c = 0;
        while (a < n || c < m)
        {
            if (a < n && c < m && lldb[a] == ours[c]) { a++; c++; continue; }
            bool dropLldb = a < n && (c >= m || lcs[a + 1, c] >= lcs[a, c + 1]);
            bool dropOurs = c < m && (a >= n || lcs[a, c + 1] >= lcs[a + 1, c]);
            if (dropLldb && dropOurs && lcs[a + 1, c + 1] == lcs[a, c])
            {
                result.Add((a, lldb[a], ours[c]));
                a++; c++;
            }
            else if (dropLldb)
            {
                result.Add((a, lldb[a], null));
                a++;
            }
            else
            {
                result.Add((c, null, ours[c]));
                c++;
            }
        }
        return result;
    }

    /// <summary>A help for whoever fills the evidence: every thread's stack as the scenario built it.</summary>
    private static void WriteIntendedChains(string path, Testing.Scenarios.SampleBuild b)
    {
        lock (WriteLock)
        {
            if (File.Exists(path) && File.ReadLines(path).Any(l => l == $"samples/{b.Name}.core")) return;
            var text = new StringBuilder().AppendLine($"samples/{b.Name}.core");
            foreach (var t in b.Process.Image.Threads)
            {
                ulong rip = b.Core.Threads.Single(c => c.Lwp == t.Lwp).Registers.Rip;
                var frames = t.Frames.Select((f, i) => $"#{i} 0x{(i == 0 ? rip : f.Pc):x} {f.Module.FileName}!{f.Function.Name}{(f.Module.Image.Spec.EmitsFde(f.Function.Spec) ? "" : " [no FDE]")}{(f.Function.Spec.Exported ? "" : " [static]")} cfa=0x{f.Cfa:x}");
                text.AppendLine($"  LWP {t.Lwp}: {string.Join(" | ", frames)}");
            }
            File.AppendAllText(path, text.ToString());
        }
    }

    internal static List<BacktraceDifference> LoadDifferences() =>
        File.Exists(DifferencesPath)
            ? JsonSerializer.Deserialize<List<BacktraceDifference>>(File.ReadAllText(DifferencesPath), DifferencesJson) ?? []
            : [];

    /// <summary>Replaces this case's entries in <paramref name="path"/> (created from the committed file) with the current differences.</summary>
    private static void WriteDifferences(string path, string label, bool sysroot, List<BacktraceDifference> found, List<BacktraceDifference> listed)
    {
        lock (WriteLock)
        {
            var all = File.Exists(path) ? JsonSerializer.Deserialize<List<BacktraceDifference>>(File.ReadAllText(path), DifferencesJson) ?? [] : LoadDifferences();
            var evidence = listed.GroupBy(d => d.Key).ToDictionary(g => g.Key, g => g.First().Evidence);
            all.RemoveAll(d => d.Core == label && d.Sysroot == sysroot);
            all.AddRange(found.Select(d => d with { Evidence = evidence.GetValueOrDefault(d.Key, "") }));
            all = [.. all.OrderBy(d => d.Core, StringComparer.Ordinal).ThenBy(d => d.Sysroot).ThenBy(d => d.Lwp).ThenBy(d => d.Frame)];
            File.WriteAllText(path, JsonSerializer.Serialize(all, DifferencesJson).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        }
    }
}
