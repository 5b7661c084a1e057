using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Benchmarks;

/// <summary>
/// Few, long iterations: one operation takes from a tenth of a second to seconds, and the
/// generated cores are shared files (written once by <see cref="LargeCores.Ensure"/>).
/// </summary>
public sealed class LargeCoreConfig : ManualConfig
{
    public LargeCoreConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        AddColumn(new ThroughputColumn());
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}

/// <summary>
/// <c>coresleuth analyze CORE --innodb-status TEXT</c> as the command line runs it (open, notes,
/// modules, pthread_t, syscalls, unwinding, statement search, report, rendering), output discarded.
/// </summary>
[Config(typeof(LargeCoreConfig))]
public class AnalyzeBenchmarks
{
    [ParamsSource(nameof(Cores))]
    public string Core { get; set; } = "";

    public static IEnumerable<string> Cores => LargeCores.Standard.Where(s => !s.Dense).Select(s => s.ShortName);

    private string[] args = [];

    [GlobalSetup]
    public void Setup()
    {
        var spec = LargeCoreSpec.Parse(Core) ?? throw new ArgumentException($"unknown core {Core}");
        args = ["analyze", LargeCores.Ensure(spec), "--innodb-status", LargeCores.InnodbPath(spec)];
    }

    [Benchmark]
    public int Analyze()
    {
        int exit = Cli.Program.Run(args, TextWriter.Null, TextWriter.Null);
        return exit == 0 ? exit : throw new InvalidOperationException($"analyze exited with {exit}");
    }
}

/// <summary>
/// Strategy (c) alone (spec §9.4): the vectorised TCB self-pointer scan of all writable anonymous
/// memory and the pthread checks; and the self-pointer pass by itself, reading the file in 1 MiB
/// chunks (what the scan does) against reading through the memory map (what it did before).
/// </summary>
[Config(typeof(LargeCoreConfig))]
public class SignatureScanBenchmarks
{
    [Params("4g-nosym-dense")]
    public string Core { get; set; } = "";

    private CoreFile? core;
    private HashSet<int> lwps = [];
    private readonly byte[] buffer = new byte[1 << 20];

    [GlobalSetup]
    public void Setup()
    {
        core = CoreFile.Open(LargeCores.Ensure(LargeCoreSpec.Parse(Core) ?? throw new ArgumentException($"unknown core {Core}")));
        lwps = [.. core.Threads.Select(t => t.Lwp)];
    }

    [GlobalCleanup]
    public void Cleanup() => core?.Dispose();

    [Benchmark(Description = "SignatureScan.Run")]
    public int Scan()
    {
        var result = SignatureScan.Run(core!, lwps);
        return result.Matches.Count == lwps.Count ? result.Matches.Count
            : throw new InvalidOperationException($"the scan matched {result.Matches.Count} of {lwps.Count} threads");
    }

    [Benchmark(Description = "self-pointers, read in 1 MiB chunks")]
    public int SelfPointersRead()
    {
        var hits = new List<ulong>();
        foreach (var (start, end) in SignatureScan.Regions(core!))
            for (ulong at = start; at < end;)
            {
                int n = core!.Memory.ReadWithoutMapping(at, buffer.AsSpan(0, (int)Math.Min((ulong)buffer.Length, end - at)));
                if (n == 0) break;
                SignatureScan.FindSelfPointers(buffer.AsSpan(0, n), at, hits);
                at += (ulong)n;
            }
        return hits.Count;
    }

    [Benchmark(Baseline = true, Description = "self-pointers, through the memory map")]
    public int SelfPointersMapped()
    {
        var hits = new List<ulong>();
        foreach (var (start, end) in SignatureScan.Regions(core!))
            for (ulong at = start; at < end;)
            {
                var span = core!.Memory.GetSpan(at, (int)Math.Min(1UL << 30, end - at));
                if (span.IsEmpty) break;
                SignatureScan.FindSelfPointers(span, at, hits);
                at += (ulong)span.Length;
            }
        return hits.Count;
    }
}

/// <summary>
/// Bytes of writable anonymous memory the signature scan reads per second (GB = 10⁹ bytes), from
/// the median time of the whole operation; shown for cores without libthr symbols only, where
/// the scan runs.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Scan GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Writable anonymous bytes in the core (what the signature scan reads) divided by the median time of the whole operation, in 10⁹ bytes/s (cores without libthr symbols)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "-";
        string name = (string)benchmarkCase.Parameters["Core"];
        if (LargeCoreSpec.Parse(name) is not { LibthrSymbols: false } spec) return "-";
        using var core = CoreFile.Open(LargeCores.CorePath(spec));
        long bytes = SignatureScan.Regions(core).Sum(r => (long)(r.End - r.Start));
        return (bytes / (stats.Median / 1e9) / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
