using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// The bundled samples (samples/ beside CoreSleuth.sln): their names, files, and the in-memory
/// generation of each from its scenario (cached: generation is deterministic).
/// </summary>
internal static class SampleSet
{
    private static readonly Dictionary<string, SampleBuild> Cache = [];

    /// <summary>The folder holding CoreSleuth.sln, found from the test assembly upwards.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Folder => Path.Combine(RepositoryRoot, "samples");

    /// <summary>Every sample, by name (samples/scenarios/NAME.json).</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. SampleBuild.ScenarioFiles(Path.Combine(FindRoot(), "samples")).Select(Path.GetFileNameWithoutExtension).OfType<string>()];

    public static TheoryData<string> All => [.. Names];

    public static string ScenarioPath(string name) => Path.Combine(Folder, "scenarios", name + ".json");

    public static string CorePath(string name) => Path.Combine(Folder, name + ".core");

    /// <summary>The benchmarks' 1,000-thread scenario (tests/CoreSleuth.Benchmarks/scenarios).</summary>
    public static string ThousandThreadScenario => Path.Combine(RepositoryRoot, "tests", "CoreSleuth.Benchmarks", "scenarios", "mysqld-1000-threads.json");

    /// <summary>That scenario's core and InnoDB status, written once for every test that reads them.</summary>
    public static (byte[] Core, string Innodb) ThousandThreads => ThousandThreadCore.Value;

    private static readonly Lazy<(byte[] Core, string Innodb)> ThousandThreadCore = new(() =>
    {
        var process = ScenarioProcess.Build(ScenarioLoader.Load(ThousandThreadScenario));
        return (CoreWriter.WriteToArray(ScenarioCore.Build(process)), InnodbStatusText.Build(process));
    });

    /// <summary>The sample regenerated in memory from its scenario.</summary>
    public static SampleBuild Build(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var build))
            {
                build = SampleBuild.FromFile(ScenarioPath(name));
                Cache[name] = build;
            }
            return build;
        }
    }

    /// <summary>The committed InnoDB status text beside the core, or null.</summary>
    public static string? InnodbStatus(string name)
    {
        string path = Path.Combine(Folder, name + ".innodb.txt");
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>The committed sysroot folder of a sample whose text is not in the core, or null.</summary>
    public static string? Sysroot(string name)
    {
        string path = Path.Combine(Folder, "sysroot-" + name);
        return Directory.Exists(path) ? path : null;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no CoreSleuth.sln above {AppContext.BaseDirectory}");
    }
}
