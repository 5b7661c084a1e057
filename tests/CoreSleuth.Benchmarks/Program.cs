using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/CoreSleuth.Benchmarks -- COMMAND</c>:
/// <list type="bullet">
/// <item><c>generate [NAME…]</c> writes the production-scale cores (default: all of <see cref="LargeCores.Standard"/>);</item>
/// <item><c>scan [NAME|CORE] [--runs N]</c> times the signature scan alone and prints GB/s (median of N runs);</item>
/// <item><c>warm [NAME] [--runs N]</c> runs <c>analyze --timings</c> N + 1 times in one process and prints each stage's median over the last N (JIT done);</item>
/// <item>anything else goes to BenchmarkDotNet, e.g. <c>--filter '*'</c> or <c>--filter '*SignatureScan*'</c>.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return args switch
            {
                ["generate", .. var names] => Generate(names),
                ["scan", .. var rest] => Scan(rest),
                ["warm", .. var rest] => Warm(rest),
                _ => RunBenchmarkDotNet(args),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"benchmarks: {e.Message}");
            return 2;
        }
    }

    private static int RunBenchmarkDotNet(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int Generate(string[] names)
    {
        var specs = names.Length == 0 ? LargeCores.Standard : names.Select(ParseName).ToList();
        foreach (var spec in specs)
        {
            string path = LargeCores.Ensure(spec, Console.WriteLine);
            Console.WriteLine($"{path}  {new FileInfo(path).Length / (double)(1L << 30):0.00} GiB");
        }
        return 0;
    }

    /// <summary>The scan on its own, N times after a warm-up that brings the file into the page cache.</summary>
    private static int Scan(string[] args)
    {
        string target = Positional(args) ?? "4g-nosym-dense";
        int runs = Runs(args, 7);
        string path = File.Exists(target) ? target : LargeCores.Ensure(ParseName(target), Console.WriteLine);

        using var core = CoreFile.Open(path);
        HashSet<int> lwps = [.. core.Threads.Select(t => t.Lwp)];
        var times = new List<double>();
        SignatureScan.Result? last = null;
        for (int i = 0; i <= runs; i++)
        {
            var sw = Stopwatch.StartNew();
            last = SignatureScan.Run(core, lwps);
            sw.Stop();
            if (i > 0) times.Add(sw.Elapsed.TotalSeconds); // run 0 is the warm-up
        }
        times.Sort();
        double median = times[times.Count / 2];
        double gb = last!.BytesScanned / 1e9;
        Console.WriteLine($"{Path.GetFileName(path)}: {last.Summary}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"signature scan of {gb:0.00} GB: median {median * 1000:0} ms of {runs} runs (min {times[0] * 1000:0}, max {times[^1] * 1000:0}) = {gb / median:0.00} GB/s; peak RSS {PeakRss()}"));
        return last.Matches.Count == lwps.Count ? 0 : 1;
    }

    /// <summary><c>analyze --timings</c> N times in one process; the median of each stage over the runs after the first (JIT done).</summary>
    private static int Warm(string[] args)
    {
        string name = Positional(args) ?? "mysqld-1000t-4g";
        int runs = Runs(args, 9);
        var spec = ParseName(name);
        string[] command = ["analyze", LargeCores.Ensure(spec, Console.WriteLine), "--innodb-status", LargeCores.InnodbPath(spec), "--timings"];
        var stages = new Dictionary<string, List<double>>();
        var order = new List<string>();
        for (int i = 0; i <= runs; i++)
        {
            var stderr = new StringWriter();
            Cli.Program.Run(command, TextWriter.Null, stderr);
            if (i == 0) continue;
            foreach (var line in stderr.ToString().Split('\n'))
            {
                // "  unwind                   104.1 ms  (1000 times)"
                int ms = line.IndexOf(" ms", StringComparison.Ordinal);
                if (!line.StartsWith("  ", StringComparison.Ordinal) || ms < 0 || line.Length < 22) continue;
                string stage = line[2..22].TrimEnd();
                if (!double.TryParse(line[22..ms], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) continue;
                if (!stages.TryGetValue(stage, out var list)) { stages[stage] = list = []; order.Add(stage); }
                list.Add(value);
            }
        }
        Console.WriteLine($"{Path.GetFileName(command[1])}: median of {runs} in-process runs after a first one (JIT warm)");
        foreach (var stage in order.Where(s => s != "command so far"))
        {
            var v = stages[stage].Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {stage,-20} {v[v.Count / 2],9:0.0} ms   (min {v[0]:0.0}, max {v[^1]:0.0})"));
        }
        return 0;
    }

    /// <summary>The first argument that is neither an option nor the value of --runs.</summary>
    private static string? Positional(string[] args) =>
        args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] != "--runs")).FirstOrDefault();

    private static int Runs(string[] args, int otherwise)
    {
        int at = Array.IndexOf(args, "--runs");
        if (at < 0) return otherwise;
        return at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new ArgumentException("--runs needs a positive number");
    }

    private static LargeCoreSpec ParseName(string name) =>
        LargeCoreSpec.Parse(name) ?? throw new ArgumentException($"unknown core '{name}': expected a name like {LargeCores.Standard[0].Name}, mysqld-1000t-4g-nosym-dense or mysqld-10000t-4g (THREADSt: {LargeCoreSpec.MinThreads} to {LargeCoreSpec.MaxThreads})");

    /// <summary>VmHWM of /proc/self/status (peak resident set, file-backed pages of the memory map included).</summary>
    private static string PeakRss() =>
        File.Exists("/proc/self/status") && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
            ? line["VmHWM:".Length..].Trim() : "unknown";
}
