using System.Globalization;
using CoreSleuth.Tests.Hostile;

namespace CoreSleuth.Fuzz;

/// <summary>
/// Fuzzing entry points for the whole analyze pipeline (see README.md beside this file):
/// <list type="bullet">
/// <item><c>afl</c>: the AFL++ target (SharpFuzz); an input that breaks an invariant of
/// <see cref="PipelineCheck"/> throws, which AFL++ records as a crash;</item>
/// <item><c>mutate</c>: the managed structure-aware mutation run, for a duration or a count;</item>
/// <item><c>seeds DIR</c>: writes the seed cores for AFL++ (each at most 1 MiB, AFL++'s limit);</item>
/// <item><c>repro FILE…</c>: runs files through the checks and says what each did.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0) return Usage();
        try
        {
            return args[0] switch
            {
                "afl" => Afl(),
                "mutate" => Mutate(args[1..]),
                "seeds" when args.Length == 2 => Seeds(args[1]),
                "repro" when args.Length >= 2 => Repro(args[1..]),
                _ => Usage(),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"coresleuth-fuzz: {e.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: CoreSleuth.Fuzz afl                      AFL++ target (stdin / shared memory), run under afl-fuzz
                   CoreSleuth.Fuzz mutate [--duration 30m | --iterations N] [--seed N] [--workers N] [--crashes DIR]
                   CoreSleuth.Fuzz seeds DIR                write the seed cores (≤ 1 MiB each)
                   CoreSleuth.Fuzz repro FILE...            run files through the invariant checks
            """);
        return 2;
    }

    /// <summary>
    /// AFL++ persistent loop, with a sysroot of traps (symbolic link loop, links out, a file where
    /// a folder is expected) so that damaged mapping paths are resolved too; the checks' own 2 s
    /// bound is the timeout that counts. Nothing of the instrumented CoreSleuth assembly may run
    /// before <see cref="SharpFuzz.Fuzzer.Run(Action{Stream})"/>: it writes to AFL++'s shared memory.
    /// </summary>
    private static int Afl()
    {
        var buffer = new MemoryStream();
        string sysroot = SeedCores.HostileSysroot(null);
        CoreSleuth.Analysis.AnalysisOptions? options = null;
        SharpFuzz.Fuzzer.Run(stream =>
        {
            options ??= new CoreSleuth.Analysis.AnalysisOptions { Sysroot = sysroot };
            buffer.SetLength(0);
            stream.CopyTo(buffer);
            PipelineCheck.Run(buffer.GetBuffer(), (int)buffer.Length, "afl.core", options);
        });
        return 0;
    }

    private static int Mutate(string[] args)
    {
        var options = new CampaignOptions { CrashDirectory = "fuzz-crashes" };
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--duration" => options with { Duration = ParseDuration(Value()) },
                "--iterations" => options with { Iterations = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--workers" => options with { Workers = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--crashes" => options with { CrashDirectory = Value() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        var seeds = SeedCores.All();
        Console.WriteLine($"seeds: {string.Join(", ", seeds)}");
        Console.WriteLine($"seed {options.Seed}, {options.Workers} workers, {(options.Duration is { } d ? $"for {d}" : $"{options.Iterations} inputs")}, crashes to {Path.GetFullPath(options.CrashDirectory!)}");
        var result = MutationCampaign.Run(seeds, options, Console.WriteLine);
        Console.WriteLine(result.Summary());
        return result.Findings.Count == 0 ? 0 : 1;
    }

    /// <summary>"90s", "30m", "2h" or a number of seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        char unit = text[^1];
        double n = double.Parse(char.IsDigit(unit) ? text : text[..^1], CultureInfo.InvariantCulture);
        return unit switch
        {
            's' or (>= '0' and <= '9') => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => throw new ArgumentException($"bad duration {text}: use 90s, 30m or 2h"),
        };
    }

    /// <summary>AFL++ takes seeds of at most 1 MiB: larger cores are cut there (their headers and notes come first).</summary>
    private static int Seeds(string directory)
    {
        const int AflMaxFile = 1 << 20;
        Directory.CreateDirectory(directory);
        int n = 0;
        foreach (var seed in SeedCores.All().Where(s => s.Options.Sysroot is null))
        {
            var bytes = seed.Bytes.Length > AflMaxFile ? seed.Bytes[..AflMaxFile] : seed.Bytes;
            File.WriteAllBytes(Path.Combine(directory, Path.GetFileNameWithoutExtension(seed.Name) + ".core"), bytes);
            n++;
        }
        Console.WriteLine($"{n} seeds in {directory}");
        return 0;
    }

    private static int Repro(string[] files)
    {
        int failed = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            try
            {
                var outcome = PipelineCheck.Run(bytes, bytes.Length, Path.GetFileName(file));
                Console.WriteLine($"{file}: {outcome.Result} in {outcome.Elapsed.TotalMilliseconds:F1} ms, {outcome.AllocatedBytes >> 10} KiB allocated{(outcome.Refusal is null ? "" : $": {outcome.Refusal}")}");
            }
            catch (InvariantViolation v)
            {
                failed++;
                Console.WriteLine($"{file}: VIOLATION {v.Message}\n{v.InnerException}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
