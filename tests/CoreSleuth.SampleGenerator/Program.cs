using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.SampleGenerator;

/// <summary>
/// <c>dotnet run --project tests/CoreSleuth.SampleGenerator -- [--check] (--all | SCENARIO.json…)</c>:
/// writes each scenario's files (NAME.core, NAME.innodb.txt, NAME.processlist.txt, sysroot-NAME/…) into the samples
/// folder above its scenarios/ folder, or with --check compares them with what is there and
/// exits 1 when any differs or is missing.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool check = args.Contains("--check");
        bool all = args.Contains("--all");
        var unknown = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a is not "--check" and not "--all").ToList();
        var scenarios = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (unknown.Count > 0 || (all == (scenarios.Count > 0)))
        {
            Console.Error.WriteLine("usage: CoreSleuth.SampleGenerator [--check] (--all | samples/scenarios/NAME.json ...)");
            if (unknown.Count > 0) Console.Error.WriteLine($"unknown option {unknown[0]}");
            return 2;
        }

        if (all)
        {
            var samples = FindSamplesFolder();
            if (samples is null)
            {
                Console.Error.WriteLine("cannot find samples/scenarios: run from the repository or below it");
                return 2;
            }
            scenarios = [.. SampleBuild.ScenarioFiles(samples)];
        }

        int differing = 0;
        foreach (var scenario in scenarios)
        {
            string samplesFolder = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(scenario))!)!;
            SampleBuild build;
            try
            {
                build = SampleBuild.FromFile(scenario);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException or KeyNotFoundException)
            {
                Console.Error.WriteLine($"{scenario}: {e.Message}");
                return 1;
            }

            foreach (var file in build.Files)
            {
                string path = Path.Combine(samplesFolder, file.RelativePath);
                if (check)
                {
                    if (!File.Exists(path))
                    {
                        Console.WriteLine($"missing  {file.RelativePath}");
                        differing++;
                    }
                    else if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(file.Bytes))
                    {
                        Console.WriteLine($"differs  {file.RelativePath}");
                        differing++;
                    }
                    else
                    {
                        Console.WriteLine($"ok       {file.RelativePath}");
                    }
                }
                else
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, file.Bytes);
                    Console.WriteLine($"wrote    {file.RelativePath} ({file.Bytes.Length} bytes)");
                }
            }
        }
        return differing == 0 ? 0 : 1;
    }

    /// <summary>samples/ beside CoreSleuth.sln, from the current directory upwards.</summary>
    private static string? FindSamplesFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln")))
            {
                var samples = Path.Combine(dir.FullName, "samples");
                return Directory.Exists(Path.Combine(samples, "scenarios")) ? samples : null;
            }
        }
        return null;
    }
}
