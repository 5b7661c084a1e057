using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Benchmarks;

/// <summary>
/// One production-scale core: the scale scenario resized to <paramref name="Threads"/> threads, plus an
/// InnoDB buffer pool of <paramref name="BufferPoolGiB"/> GiB of anonymous memory.
/// </summary>
/// <param name="LibthrSymbols">false hides libthr's thread_db symbols, so pthread_t can only come from the signature scan (spec §9.4).</param>
/// <param name="Dense">true writes pseudo-random bytes into the whole buffer pool (real disk blocks, no holes);
/// false leaves it a sparse hole, which costs no disk.</param>
/// <param name="Threads">How many threads: the scenario's 21 server threads and 10 LOAD DATA sessions stay, the idle and
/// cached connections fill the rest.</param>
public sealed record LargeCoreSpec(int BufferPoolGiB, bool LibthrSymbols, bool Dense = false, int Threads = LargeCoreSpec.ScenarioThreads)
{
    /// <summary>The threads of <c>scenarios/mysqld-1000-threads.json</c> as written.</summary>
    public const int ScenarioThreads = 1000;

    /// <summary>The fewest threads a resized scenario can have: its server threads, sessions blocked on FIFOs, one idle and one cached connection.</summary>
    public const int MinThreads = 33, MaxThreads = 100_000;

    public string Name => $"mysqld-{Threads}t-" + ShortName;

    /// <summary>The name without its threads: 4g, 64g-nosym, 4g-nosym-dense.</summary>
    public string ShortName => $"{BufferPoolGiB}g{(LibthrSymbols ? "" : "-nosym")}{(Dense ? "-dense" : "")}";

    public ulong BufferPoolBytes => (ulong)BufferPoolGiB << 30;

    /// <summary>Parses a name as <see cref="Name"/> or <see cref="ShortName"/> writes it (1,000 threads when the name gives none).</summary>
    public static LargeCoreSpec? Parse(string name)
    {
        if (!name.StartsWith("mysqld-", StringComparison.Ordinal)) name = $"mysqld-{ScenarioThreads}t-" + name;
        var parts = name.Split('-');
        if (parts.Length < 3 || parts[0] != "mysqld" || !parts[1].EndsWith('t') || !parts[2].EndsWith('g')
            || !int.TryParse(parts[1][..^1], out int threads) || threads is < MinThreads or > MaxThreads
            || !int.TryParse(parts[2][..^1], out int gib) || gib is < 1 or > 1024) return null;
        var rest = parts[3..];
        if (rest.Any(p => p is not ("nosym" or "dense"))) return null;
        return new LargeCoreSpec(gib, !rest.Contains("nosym"), rest.Contains("dense"), threads);
    }
}

/// <summary>
/// Writes the benchmark cores from <c>scenarios/mysqld-1000-threads.json</c> with the test-support
/// core writer: 1,000 threads (10 of them LOAD DATA sessions blocked opening FIFOs), a
/// matching InnoDB status text and a sysroot of its binaries beside each core, and a buffer pool mapping of 4–64 GiB written
/// as a hole of a sparse file (or filled, for the scan's throughput).
/// </summary>
public static class LargeCores
{
    public const string ScenarioFile = "tests/CoreSleuth.Benchmarks/scenarios/mysqld-1000-threads.json";

    /// <summary>The cores of the performance targets.</summary>
    public static IReadOnlyList<LargeCoreSpec> Standard { get; } =
    [
        new(4, LibthrSymbols: true), new(16, LibthrSymbols: true), new(64, LibthrSymbols: true),
        new(4, LibthrSymbols: false), new(64, LibthrSymbols: false),
        new(4, LibthrSymbols: false, Dense: true),
    ];

    /// <summary>Where the cores go: $CORESLEUTH_BENCH_CORES, else tests/CoreSleuth.Benchmarks/.cores.</summary>
    public static string Folder => Environment.GetEnvironmentVariable("CORESLEUTH_BENCH_CORES") is { Length: > 0 } f
        ? Path.GetFullPath(f) : Path.Combine(RepositoryRoot(), "tests", "CoreSleuth.Benchmarks", ".cores");

    public static string CorePath(LargeCoreSpec spec) => Path.Combine(Folder, spec.Name + ".core");

    public static string InnodbPath(LargeCoreSpec spec) => Path.Combine(Folder, spec.Name + ".innodb.txt");

    /// <summary>Writes the core unless an identical one (same generator stamp) is already there; returns its path.</summary>
    public static string Ensure(LargeCoreSpec spec, Action<string>? log = null)
    {
        Directory.CreateDirectory(Folder);
        string core = CorePath(spec), stamp = core + ".stamp";
        string expected = Stamp(spec);
        if (File.Exists(core) && File.Exists(stamp) && File.ReadAllText(stamp) == expected) return core;

        log?.Invoke($"writing {core} ({spec.BufferPoolGiB} GiB buffer pool{(spec.Dense ? ", filled" : ", sparse")})");
        var scenario = Resize(ScenarioLoader.Load(Path.Combine(RepositoryRoot(), ScenarioFile)), spec.Threads) with { HideLibthrSymbols = !spec.LibthrSymbols };
        var process = ScenarioProcess.Build(scenario);
        var baseSpec = ScenarioCore.Build(process);
        var pool = MappingSpec.Anonymous(FreeAddress(baseSpec.Mappings, spec.BufferPoolBytes), spec.BufferPoolBytes);
        var coreSpec = baseSpec with { Mappings = [.. baseSpec.Mappings, pool], SparseZeroPages = true };

        File.Delete(stamp);
        var layout = CoreWriter.WriteFile(coreSpec, core + ".tmp");
        if (spec.Dense)
        {
            var load = layout.Loads.Single(l => l.Mapping == pool);
            Fill(core + ".tmp", load.FileOffset, (long)load.Size);
        }
        File.Move(core + ".tmp", core, overwrite: true);
        File.WriteAllText(InnodbPath(spec), InnodbStatusText.Build(process), new UTF8Encoding(false));
        // The binaries at the paths the core's VMMAP names, as --sysroot (and LLDB's platform sysroot) expect them.
        string sysroot = Path.ChangeExtension(core, ".sysroot");
        if (Directory.Exists(sysroot)) Directory.Delete(sysroot, recursive: true);
        foreach (var module in process.Image.Modules)
        {
            string file = Path.Combine(sysroot, module.Path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, module.Image.FileBytes);
        }
        File.WriteAllText(stamp, expected);
        return core;
    }

    /// <summary>
    /// The scenario with <paramref name="threads"/> threads: its server threads and FIFO sessions as written, the idle and
    /// cached connections in the same proportion as written (600 : 369) filling the rest, and the FIFO sessions' LWPs after
    /// theirs, as a server's newest connections have the highest thread ids.
    /// </summary>
    public static Scenario Resize(Scenario scenario, int threads)
    {
        if (threads == LargeCoreSpec.ScenarioThreads) return scenario;
        var fixedThreads = scenario.Threads.Where(t => t.Role is not ("session-idle" or "session-cached" or "load-data")).ToList();
        var fifo = scenario.Threads.Where(t => t.Role == "load-data").ToList();
        int connections = threads - fixedThreads.Sum(Count) - fifo.Count;
        if (connections < 2)
            throw new ArgumentException($"cannot resize the scale scenario to {threads} threads (at least {LargeCoreSpec.MinThreads})");
        int idle = Math.Max(1, (int)((long)connections * 600 / 969)), cached = connections - idle;
        const int first = 100200;
        var resized = new List<ThreadModel>(fixedThreads)
        {
            new() { Lwp = Range(first, first + idle - 1), Role = "session-idle" },
            new() { Lwp = Range(first + idle, first + idle + cached - 1), Role = "session-cached" },
        };
        int next = first + connections + 32;
        resized.AddRange(fifo.Select((t, i) => t with { Lwp = JsonSerializer.SerializeToElement(next + i) }));
        // The heap holds a struct pthread, a THD-like record and (past rtld's own heap) a TLS block per thread.
        ulong scale = (ulong)Math.Max(1, (threads + LargeCoreSpec.ScenarioThreads - 1) / LargeCoreSpec.ScenarioThreads);
        var layout = scenario.Layout with { Heap = scenario.Layout.Heap * scale };
        return scenario with { Threads = resized, Layout = layout };

        static int Count(ThreadModel t) => t.Lwp.ValueKind == JsonValueKind.String && t.Lwp.GetString()!.Split('-') is [var a, var b]
            ? int.Parse(b, CultureInfo.InvariantCulture) - int.Parse(a, CultureInfo.InvariantCulture) + 1 : 1;

        static JsonElement Range(int from, int to) => JsonSerializer.SerializeToElement(from == to ? (object)from : $"{from}-{to}");
    }

    /// <summary>The lowest 1 GiB-aligned address from 64 GiB up where the pool overlaps no mapping.</summary>
    private static ulong FreeAddress(IReadOnlyList<MappingSpec> mappings, ulong size)
    {
        for (ulong at = 64UL << 30; at < 0x7f0000000000; at += 1UL << 30)
            if (mappings.All(m => m.End <= at || m.Start >= at + size)) return at;
        throw new InvalidOperationException("no room for the buffer pool");
    }

    /// <summary>Pseudo-random 8-byte words (xorshift), so that no part of the pool is a hole or compresses to nothing.</summary>
    private static void Fill(string path, long offset, long length)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0);
        fs.Position = offset;
        var block = new byte[4 << 20];
        ulong x = 0x9E3779B97F4A7C15;
        for (long done = 0; done < length; done += block.Length)
        {
            for (int i = 0; i < block.Length; i += 8)
            {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i), x);
            }
            fs.Write(block, 0, (int)Math.Min(block.Length, length - done));
        }
    }

    /// <summary>What the file was made from: regenerate when the scenario or the generator changes.</summary>
    private static string Stamp(LargeCoreSpec spec)
    {
        var scenario = File.ReadAllText(Path.Combine(RepositoryRoot(), ScenarioFile));
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(scenario)))[..16];
        return $"{spec} scenario {hash} writer {typeof(CoreWriter).Assembly.ManifestModule.ModuleVersionId}\n";
    }

    /// <summary>The folder holding CoreSleuth.sln, from the working directory or the program's.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find CoreSleuth.sln above the working directory: run from the repository");
    }
}
