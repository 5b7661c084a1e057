using System.Diagnostics;
using System.Security.Cryptography;

namespace CoreSleuth.Tests.Hostile;

public sealed record CampaignOptions
{
    /// <summary>Fixes every choice: the same seed gives the same inputs.</summary>
    public int Seed { get; init; } = 20_251_129;

    /// <summary>Inputs to run (split across workers); ignored when <see cref="Duration"/> is set.</summary>
    public int Iterations { get; init; } = 10_000;

    /// <summary>Run until this much time has passed instead of a fixed count.</summary>
    public TimeSpan? Duration { get; init; }

    public int Workers { get; init; } = Math.Max(1, Math.Min(2, Environment.ProcessorCount));

    /// <summary>Where inputs that break an invariant are written (with a .txt saying what happened); null = nowhere.</summary>
    public string? CrashDirectory { get; init; }

    public PipelineLimits Limits { get; init; } = PipelineLimits.Default;

    /// <summary>An input still running after this long is taken to loop forever: it is saved and the run ends.</summary>
    public TimeSpan Watchdog { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop after this many distinct violations.</summary>
    public int MaxFindings { get; init; } = 25;
}

/// <summary>An input that broke an invariant.</summary>
public sealed record CampaignFinding(string Seed, string Invariant, string Message, string Mutations, string? SavedAs, string Signature);

public sealed class CampaignResult
{
    public long Executions { get; set; }
    public long Analysed { get; set; }
    public long Refused { get; set; }
    public TimeSpan Elapsed { get; set; }
    public List<CampaignFinding> Findings { get; } = [];
    public double MaxMilliseconds { get; set; }
    public string? SlowestInput { get; set; }
    public double P50Milliseconds { get; set; }
    public double P99Milliseconds { get; set; }
    public long MaxAllocatedBytes { get; set; }
    public string? HungryInput { get; set; }
    public Dictionary<string, long> PerSeed { get; } = [];

    public double ExecutionsPerSecond => Executions / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public string Summary() => FormattableString.Invariant(
        $"{Executions} inputs ({Analysed} analysed, {Refused} refused) in {Elapsed.TotalSeconds:F1} s = {ExecutionsPerSecond:F0}/s; per input p50 {P50Milliseconds:F1} ms, p99 {P99Milliseconds:F1} ms, max {MaxMilliseconds:F0} ms ({SlowestInput}); max allocated {MaxAllocatedBytes / 1048576.0:F1} MiB ({HungryInput}); {Findings.Count} violations; per seed: {string.Join(", ", PerSeed.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"))}");
}

/// <summary>
/// The structure-aware mutation run: worker threads each take private copies of the seeds, damage
/// one at a time in place with <see cref="CoreMutator"/>, check it with <see cref="PipelineCheck"/>
/// and undo the damage. Deterministic per worker for a given <see cref="CampaignOptions.Seed"/>
/// and iteration count. A watchdog saves an input that runs past <see cref="CampaignOptions.Watchdog"/>.
/// </summary>
public static class MutationCampaign
{
    private sealed class Worker
    {
        public long StartedTicks;       // Stopwatch ticks when the current input began; 0 = idle
        public SeedCore? Current;
        public int CurrentLength;
        public string CurrentMutations = "";
        public readonly List<double> Milliseconds = [];
        public long Executions, Analysed, Refused, MaxAllocated;
        public double MaxMs;
        public string? Slowest, Hungry;
        public readonly Dictionary<string, long> PerSeed = [];
        public bool Done;
    }

    public static CampaignResult Run(IReadOnlyList<SeedCore> seeds, CampaignOptions options, Action<string>? log = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seeds", nameof(seeds));
        if (options.CrashDirectory is { } dir) Directory.CreateDirectory(dir);
        foreach (var s in seeds) _ = s.Map; // map once, before the clock starts
        var result = new CampaignResult();
        var findings = new Dictionary<string, CampaignFinding>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Workers).Select(_ => new Worker()).ToArray();
        var stop = new CancellationTokenSource();

        void Report(Worker w, SeedCore seed, int length, string mutations, InvariantViolation v)
        {
            string signature = Signature(v);
            lock (findings)
            {
                if (findings.ContainsKey(signature) || findings.Count >= options.MaxFindings) return;
                string? saved = Save(options.CrashDirectory, seed, length, mutations, v);
                var finding = new CampaignFinding(seed.Name, v.Invariant, v.Message, mutations, saved, signature);
                findings[signature] = finding;
                log?.Invoke($"VIOLATION [{v.Invariant}] on {seed.Name}: {v.Message}\n  mutations: {mutations}\n  saved: {saved}");
                if (findings.Count >= options.MaxFindings) stop.Cancel();
            }
        }

        var threads = workers.Select((w, index) => new Thread(() =>
        {
            var own = seeds.Select(s => s.Clone()).ToList();
            var random = new Random(unchecked(options.Seed * 7919 + index));
            int totalWeight = own.Sum(s => s.Weight);
            // Each seed once as it is: warms the JIT and checks the unmutated seeds (no time bound).
            foreach (var s in own)
                try { PipelineCheck.Run(s.Bytes, s.Bytes.Length, s.Name, s.Options, options.Limits with { PerInput = TimeSpan.FromMinutes(1) }); }
                catch (InvariantViolation v) { Report(w, s, s.Bytes.Length, "(none: the seed itself)", v); }
            for (long i = index; !stop.IsCancellationRequested; i += options.Workers)
            {
                if (options.Duration is { } d ? clock.Elapsed >= d : i >= options.Iterations) break;
                var seed = Pick(own, random, totalWeight);
                var mutator = new CoreMutator(seed.Bytes, seed.Map, random);
                int length = mutator.Mutate();
                w.Current = seed;
                w.CurrentLength = length;
                w.CurrentMutations = mutator.Describe();
                Volatile.Write(ref w.StartedTicks, Stopwatch.GetTimestamp());
                try
                {
                    var outcome = PipelineCheck.Run(seed.Bytes, length, seed.Name, seed.Options, options.Limits);
                    if (outcome.Result == PipelineResult.Analysed) w.Analysed++; else w.Refused++;
                    double ms = outcome.Elapsed.TotalMilliseconds;
                    w.Milliseconds.Add(ms);
                    if (ms > w.MaxMs) { w.MaxMs = ms; w.Slowest = $"{seed.Name}: {w.CurrentMutations}"; }
                    if (outcome.AllocatedBytes > w.MaxAllocated) { w.MaxAllocated = outcome.AllocatedBytes; w.Hungry = $"{seed.Name}: {w.CurrentMutations}"; }
                }
                catch (InvariantViolation v) { Report(w, seed, length, w.CurrentMutations, v); }
                finally
                {
                    Volatile.Write(ref w.StartedTicks, 0);
                    mutator.Undo();
                }
                w.Executions++;
                w.PerSeed[seed.Name] = w.PerSeed.GetValueOrDefault(seed.Name) + 1;
            }
            w.Done = true;
        }) { IsBackground = true, Name = $"mutation worker {index}" }).ToList();
        threads.ForEach(t => t.Start());

        // Watchdog: a worker stuck on one input is following a cycle forever (or nearly).
        while (!workers.All(w => w.Done))
        {
            Thread.Sleep(100);
            foreach (var w in workers)
            {
                long started = Volatile.Read(ref w.StartedTicks);
                if (started == 0 || Stopwatch.GetElapsedTime(started) < options.Watchdog || w.Current is not { } seed) continue;
                var v = new InvariantViolation("hang", $"still running after {options.Watchdog.TotalSeconds:F0} s");
                Report(w, seed, w.CurrentLength, w.CurrentMutations, v);
                stop.Cancel();
                w.Done = true; // abandoned: a background thread does not keep the process alive
            }
        }
        clock.Stop();

        result.Elapsed = clock.Elapsed;
        foreach (var w in workers)
        {
            result.Executions += w.Executions;
            result.Analysed += w.Analysed;
            result.Refused += w.Refused;
            if (w.MaxMs > result.MaxMilliseconds) { result.MaxMilliseconds = w.MaxMs; result.SlowestInput = w.Slowest; }
            if (w.MaxAllocated > result.MaxAllocatedBytes) { result.MaxAllocatedBytes = w.MaxAllocated; result.HungryInput = w.Hungry; }
            foreach (var (k, n) in w.PerSeed) result.PerSeed[k] = result.PerSeed.GetValueOrDefault(k) + n;
        }
        var all = workers.SelectMany(w => w.Milliseconds).Order().ToList();
        if (all.Count > 0)
        {
            result.P50Milliseconds = all[all.Count / 2];
            result.P99Milliseconds = all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))];
        }
        result.Findings.AddRange(findings.Values);
        return result;
    }

    private static SeedCore Pick(List<SeedCore> seeds, Random random, int totalWeight)
    {
        int r = random.Next(totalWeight);
        foreach (var s in seeds)
        {
            if (r < s.Weight) return s;
            r -= s.Weight;
        }
        return seeds[^1];
    }

    /// <summary>Same invariant, same exception type thrown from the same place: the same bug.</summary>
    private static string Signature(InvariantViolation v)
    {
        var inner = v.InnerException;
        string where = inner?.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("CoreSleuth.", StringComparison.Ordinal) && !l.Contains("Hostile", StringComparison.Ordinal))?.Trim() ?? "";
        return $"{v.Invariant}|{inner?.GetType().Name}|{where}";
    }

    private static string? Save(string? directory, SeedCore seed, int length, string mutations, InvariantViolation v)
    {
        if (directory is null) return null;
        var bytes = seed.Bytes.AsSpan(0, length).ToArray();
        string hash = Convert.ToHexString(SHA256.HashData(bytes))[..12].ToLowerInvariant();
        string slug = new string(v.Invariant.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
        string path = Path.Combine(directory, $"{slug}-{seed.Name}-{hash}.core");
        File.WriteAllBytes(path, bytes);
        File.WriteAllText(Path.ChangeExtension(path, ".txt"), $"seed: {seed.Name}\ninvariant: {v.Invariant}\nmessage: {v.Message}\nmutations: {mutations}\n\n{v.InnerException}\n");
        return path;
    }
}
