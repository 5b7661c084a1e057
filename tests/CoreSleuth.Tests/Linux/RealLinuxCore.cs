using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// The real gcore of a hung MariaDB that tests/linux/make-mariadb-core.sh makes, with the facts it
/// read from /proc and gdb's view of the same core: $CORESLEUTH_LINUX_CORE_DIR (.ci/run makes it
/// there), else made once by the script into a temporary folder, deleted when the test run ends
/// (about 1.3 GB; on Linux only; its exit code 77, "cannot install the packages", skips the tests
/// with its reason).
/// </summary>
public static partial class RealLinuxCore
{
    public const string CoreName = "mariadbd.core";

    private static readonly Lazy<(string? Dir, string? Missing)> found = new(Find);

    public static string? Dir => found.Value.Dir;
    public static string? MissingReason => found.Value.Missing;

    public static string File(string name) => Path.Combine(Dir ?? throw new InvalidOperationException(MissingReason), name);

    /// <summary>mariadbd.facts: key=value lines the script wrote from /proc and the server.</summary>
    public static IReadOnlyDictionary<string, string> Facts => facts.Value;
    private static readonly Lazy<IReadOnlyDictionary<string, string>> facts = new(() =>
        System.IO.File.ReadAllLines(File("mariadbd.facts")).Where(l => l.Contains('='))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]));

    public static int Int(string key) => int.Parse(Facts[key], CultureInfo.InvariantCulture);

    private static (string?, string?) Find()
    {
        if (Environment.GetEnvironmentVariable("CORESLEUTH_LINUX_CORE_DIR") is { Length: > 0 } given)
            return Has(given) ? (given, null) : (null, $"CORESLEUTH_LINUX_CORE_DIR={given} holds no {CoreName} and mariadbd.facts");
        if (!OperatingSystem.IsLinux()) return (null, "the real Linux core is made on Linux only (tests/linux/make-mariadb-core.sh)");
        string? root = AppContext.BaseDirectory;
        while (root is not null && !System.IO.File.Exists(Path.Combine(root, "CoreSleuth.sln"))) root = Path.GetDirectoryName(root);
        string? script = root is null ? null : Path.Combine(root, "tests", "linux", "make-mariadb-core.sh");
        if (script is null || !System.IO.File.Exists(script)) return (null, "tests/linux/make-mariadb-core.sh not found");
        // The test host may be ended before its exit handler has deleted all of an earlier run's folder: gone now.
        foreach (string stale in Directory.EnumerateDirectories(Path.GetTempPath(), "coresleuth-linux-core-*"))
            if (int.TryParse(Path.GetFileName(stale)["coresleuth-linux-core-".Length..], CultureInfo.InvariantCulture, out int pid) && !Directory.Exists($"/proc/{pid}"))
                try { Directory.Delete(stale, recursive: true); } catch (IOException) { }
        string dir = Path.Combine(Path.GetTempPath(), $"coresleuth-linux-core-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        var start = new ProcessStartInfo("bash", [script, dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string why = stderr.Result.Trim().Split('\n').LastOrDefault() ?? "";
        if (process.ExitCode == 77) return (null, $"make-mariadb-core.sh skipped: {why}");
        if (process.ExitCode != 0 || !Has(dir)) return (null, $"make-mariadb-core.sh failed with exit code {process.ExitCode}: {why}");
        return (dir, null);
    }

    private static bool Has(string dir) => System.IO.File.Exists(Path.Combine(dir, CoreName)) && System.IO.File.Exists(Path.Combine(dir, "mariadbd.facts"));

    /// <summary>One frame of gdb's <c>thread apply all bt</c>: its pc when gdb printed one, and the function ("??" when gdb has none).</summary>
    public sealed record GdbFrame(int Number, ulong? Pc, string Function);

    /// <summary>gdb's <c>thread apply all bt</c> output by LWP.</summary>
    public static IReadOnlyDictionary<int, List<GdbFrame>> GdbBacktraces(string text)
    {
        var threads = new Dictionary<int, List<GdbFrame>>();
        List<GdbFrame>? current = null;
        foreach (string line in text.Split('\n'))
        {
            if (ThreadLine().Match(line) is { Success: true } t)
            {
                current = [];
                threads[int.Parse(t.Groups["lwp"].Value, CultureInfo.InvariantCulture)] = current;
                continue;
            }
            if (current is null || FrameLine().Match(line) is not { Success: true } f) continue;
            ulong? pc = f.Groups["pc"].Success ? ulong.Parse(f.Groups["pc"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : null;
            current.Add(new GdbFrame(int.Parse(f.Groups["n"].Value, CultureInfo.InvariantCulture), pc, FunctionName(f.Groups["rest"].Value)));
        }
        return threads;
    }

    /// <summary>"mysql_load(THD*, …) ()" → "mysql_load(THD*, …)"; "start_thread (arg=…) at …" → "start_thread".</summary>
    private static string FunctionName(string rest)
    {
        rest = rest.Trim();
        // gdb ends the name with " (" and its arguments; a C++ name's own parameter list has no space before "(".
        int args = rest.IndexOf(" (", StringComparison.Ordinal);
        return args < 0 ? rest : rest[..args];
    }

    [GeneratedRegex(@"^Thread [0-9]+ \(.*\(LWP (?<lwp>[0-9]+)\)\)")]
    private static partial Regex ThreadLine();

    [GeneratedRegex(@"^#(?<n>[0-9]+)\s+(?:0x(?<pc>[0-9a-f]+) in )?(?<rest>.*)$")]
    private static partial Regex FrameLine();
}
