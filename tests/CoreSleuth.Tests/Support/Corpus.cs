namespace CoreSleuth.Tests.Support;

/// <summary>
/// The shared corpus of real FreeBSD cores, binaries and reference outputs of gdb, LLDB and
/// readelf. It is not part of the repository: it lives in <c>../shared/corpus</c> next to the
/// folder holding <c>CoreSleuth.sln</c> (or where <c>CORESLEUTH_CORPUS</c> points), and tests
/// that need it are skipped with <see cref="MissingReason"/> when it is absent.
/// </summary>
public static class Corpus
{
    private static readonly Lazy<string?> root = new(FindRoot);

    /// <summary>The corpus folder (holding cores/, binaries/, reference/), or null when absent.</summary>
    public static string? Root => root.Value;

    public static bool Available => Root is not null;

    public const string MissingReason =
        "the shared corpus of real FreeBSD cores is absent (expected ../shared/corpus next to the folder of CoreSleuth.sln, or CORESLEUTH_CORPUS)";

    public static string Core(string name) => Path.Combine(RequireRoot(), "cores", name);

    public static string Reference(string name) => Path.Combine(RequireRoot(), "reference", name);

    public static string Binary(string relativePath) => Path.Combine(RequireRoot(), "binaries", relativePath);

    public static string Readme => Path.Combine(RequireRoot(), "README.md");

    /// <summary>
    /// The core files of the corpus that are ELF64 x86-64 (told from e_ident[EI_CLASS] and
    /// e_machine read here directly, not through the reader under test), sorted by name.
    /// </summary>
    public static IReadOnlyList<string> Amd64CoreNames => amd64.Value;

    private static readonly Lazy<IReadOnlyList<string>> amd64 = new(() =>
    {
        if (Root is null) return [];
        var names = new List<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(Root, "cores"), "*.core"))
        {
            var head = new byte[20];
            using (var f = File.OpenRead(path)) f.ReadExactly(head);
            bool elf64 = head[0] == 0x7F && head[1] == 'E' && head[2] == 'L' && head[3] == 'F' && head[4] == 2;
            if (elf64 && BitConverter.ToUInt16(head, 18) == 62) names.Add(Path.GetFileName(path));
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    });

    /// <summary>Theory data: one row per amd64 core; a placeholder row when the corpus is absent (the theory is skipped then).</summary>
    public static TheoryData<string> Amd64Cores()
    {
        var data = new TheoryData<string>();
        foreach (var name in Amd64CoreNames) data.Add(name);
        if (data.Count == 0) data.Add("(corpus absent)");
        return data;
    }

    private static string RequireRoot() => Root ?? throw new InvalidOperationException(MissingReason);

    private static string? FindRoot()
    {
        if (Environment.GetEnvironmentVariable("CORESLEUTH_CORPUS") is { Length: > 0 } env)
            return Directory.Exists(Path.Combine(env, "cores")) ? Path.GetFullPath(env) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) continue;
            string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus"));
            return Directory.Exists(Path.Combine(candidate, "cores")) ? candidate : null;
        }
        return null;
    }
}

/// <summary>External tools used as independent oracles.</summary>
public static class Tools
{
    private static readonly Lazy<string?> lldb = new(() => FindOnPath("lldb-16"));

    /// <summary>Full path of <c>lldb-16</c>, or null when it is not on PATH.</summary>
    public static string? Lldb => lldb.Value;

    public const string LldbMissingReason = "lldb-16 is not on PATH (the LLDB cross-checks need it; .ci/run installs it)";

    public static string? FindOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs the shared corpus; skipped with a reason when it is absent.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (!Corpus.Available) Skip = Corpus.MissingReason;
    }
}

/// <summary>A theory that needs the shared corpus; skipped with a reason when it is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (!Corpus.Available) Skip = Corpus.MissingReason;
    }
}

/// <summary>A theory that needs the corpus and <c>lldb-16</c>; skipped with a reason when either is absent.</summary>
public sealed class LldbTheoryAttribute : TheoryAttribute
{
    public LldbTheoryAttribute()
    {
        if (!Corpus.Available) Skip = Corpus.MissingReason;
        else if (Tools.Lldb is null) Skip = Tools.LldbMissingReason;
    }
}

/// <summary>A fact that needs the corpus and <c>lldb-16</c>; skipped with a reason when either is absent.</summary>
public sealed class LldbFactAttribute : FactAttribute
{
    public LldbFactAttribute()
    {
        if (!Corpus.Available) Skip = Corpus.MissingReason;
        else if (Tools.Lldb is null) Skip = Tools.LldbMissingReason;
    }
}
