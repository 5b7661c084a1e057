using System.IO.Compression;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Every input that ever broke an invariant (found by the AFL++ run, the managed long run or
/// the in-suite mutation run) is kept in Hostile/Crashes — gzip-compressed when the core is
/// large — and replayed here through all the checks of <see cref="PipelineCheck"/>. Crashes/README.md
/// says what each one broke and which change fixed it.
/// </summary>
public sealed class CrashReproducerTests
{
    private const string None = "(no reproducer)";

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Hostile", "Crashes");

    private static List<string> Names() => !Directory.Exists(Folder) ? [] :
        [.. Directory.EnumerateFiles(Folder).Where(f => f.EndsWith(".core", StringComparison.Ordinal) || f.EndsWith(".core.gz", StringComparison.Ordinal))
            .Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names()) data.Add(name);
        if (data.Count == 0) data.Add(None);
        return data;
    }

    public static byte[] Load(string name)
    {
        string path = Path.Combine(Folder, name);
        if (!name.EndsWith(".gz", StringComparison.Ordinal)) return File.ReadAllBytes(path);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reproducer_keeps_every_invariant(string name)
    {
        Assert.True(Directory.Exists(Folder), $"{Folder} was not copied to the test output");
        if (name == None) return;
        var bytes = Load(name);
        // Once without the time bound (the first analysis in a process pays for the JIT), then with every bound.
        PipelineCheck.Run(bytes, bytes.Length, name, limits: PipelineLimits.Default with { PerInput = TimeSpan.FromMinutes(5) });
        var outcome = PipelineCheck.Run(bytes, bytes.Length, name, keepOutput: true);
        Assert.True(outcome.Result is PipelineResult.Analysed or PipelineResult.Refused);
    }

    [Fact]
    public void Every_reproducer_is_explained_in_the_readme()
    {
        string readme = File.ReadAllText(Path.Combine(Folder, "README.md"));
        foreach (var name in Names())
            Assert.Contains(name, readme);
    }
}
