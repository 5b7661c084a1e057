using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.FreeBsd;

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

    public static IEnumerable<string> Cores => LargeCores.Standard.Where(s => !s.Dense).Select(s => s.Name);

    private string[] args = [];

    [GlobalSetup]
    public void Setup()
    {
        var spec = LargeCoreSpec.Parse(Core)!;
        args = ["analyze", LargeCores.Ensure(spec), "--innodb-status", LargeCores.InnodbPath(spec)];
    }

    [Benchmark]
    public int Analyze()
    {
        int exit = Cli.Program.Run(args, TextWriter.Null, TextWriter.Null);
        return exit == 0 ? exit : throw new InvalidOperationException($"analyze exited with {exit}");
    }
}

/// <summary>Strategy (c) alone (spec §9.4): the vectorised TCB self-pointer scan of all writable anonymous memory and the pthread checks.</summary>
[Config(typeof(LargeCoreConfig))]
public class SignatureScanBenchmarks
{
    [Params("mysqld-1000t-4g-nosym-dense")]
    public string Core { get; set; } = "";

    private FreeBsdCore? core;
    private HashSet<int> lwps = [];

    [GlobalSetup]
    public void Setup()
    {
        core = FreeBsdCore.Open(LargeCores.Ensure(LargeCoreSpec.Parse(Core)!));
        lwps = [.. core.Threads.Select(t => t.Lwp)];
    }

    [GlobalCleanup]
    public void Cleanup() => core?.Dispose();

    [Benchmark]
    public int Scan()
    {
        var result = SignatureScan.Run(core!, lwps);
        return result.Matches.Count == lwps.Count ? result.Matches.Count
            : throw new InvalidOperationException($"the scan matched {result.Matches.Count} of {lwps.Count} threads");
    }
}

/// <summary>Bytes of writable anonymous memory the signature scan reads per second (GB = 10⁹ bytes), from the median time.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Scan GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Writable anonymous bytes in the core (what the signature scan reads) divided by the median time, in 10⁹ bytes/s";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "-";
        string name = (string)benchmarkCase.Parameters["Core"];
        if (LargeCoreSpec.Parse(name) is not { } spec) return "-";
        using var core = FreeBsdCore.Open(LargeCores.CorePath(spec));
        long bytes = SignatureScan.Regions(core).Sum(r => (long)(r.End - r.Start));
        return (bytes / (stats.Median / 1e9) / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
