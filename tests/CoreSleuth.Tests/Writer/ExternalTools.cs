using System.Diagnostics;

namespace CoreSleuth.Tests.Writer;

/// <summary>Runs the independent tools the writer is checked against (binutils readelf, LLDB 16).</summary>
internal static class ExternalTools
{
    public const string Readelf = "readelf";
    public const string Lldb = "lldb-16";

    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static Result Run(string tool, IEnumerable<string> arguments, int timeoutSeconds = 120)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {tool}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within {timeoutSeconds} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Splits the standard output of <c>lldb -b -o CMD…</c> at its "(lldb) CMD" echo lines: each
    /// command's output keyed by the command, and by "CMD#n" for its n-th run.
    /// </summary>
    public static Dictionary<string, string> LldbOutputsByCommand(string stdout)
    {
        var outputs = new Dictionary<string, string>();
        var seen = new Dictionary<string, int>();
        string? current = null;
        var text = new System.Text.StringBuilder();
        void Flush()
        {
            if (current is null) return;
            int n = seen.GetValueOrDefault(current);
            seen[current] = n + 1;
            outputs[current + "#" + n] = text.ToString();
            outputs.TryAdd(current, text.ToString());
            text.Clear();
        }
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("(lldb) ", StringComparison.Ordinal))
            {
                Flush();
                current = line["(lldb) ".Length..].Trim();
                continue;
            }
            text.AppendLine(line);
        }
        Flush();
        return outputs;
    }
}

/// <summary>A fact that needs binutils readelf; skipped with the reason when it is not installed.</summary>
public sealed class ReadelfFactAttribute : FactAttribute
{
    public ReadelfFactAttribute()
    {
        if (!ExternalTools.IsOnPath(ExternalTools.Readelf)) Skip = "binutils readelf is not on PATH";
    }
}

/// <summary>A theory that needs binutils readelf.</summary>
public sealed class ReadelfTheoryAttribute : TheoryAttribute
{
    public ReadelfTheoryAttribute()
    {
        if (!ExternalTools.IsOnPath(ExternalTools.Readelf)) Skip = "binutils readelf is not on PATH";
    }
}

/// <summary>A fact that needs LLDB 16 as the independent reader; skipped with the reason when it is absent.</summary>
public sealed class LldbFactAttribute : FactAttribute
{
    public LldbFactAttribute()
    {
        if (!ExternalTools.IsOnPath(ExternalTools.Lldb)) Skip = "lldb-16 is not on PATH (install it to cross-check written cores with LLDB)";
    }
}

/// <summary>A theory over the real corpus cores; skipped when the corpus or readelf is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (CorpusFiles.CoresDirectory is null) Skip = "the shared corpus (../shared/corpus next to the repository) is not present";
        else if (!ExternalTools.IsOnPath(ExternalTools.Readelf)) Skip = "binutils readelf is not on PATH";
    }
}

/// <summary>Locates ../shared/corpus relative to the folder holding CoreSleuth.sln.</summary>
internal static class CorpusFiles
{
    public static string? CoresDirectory { get; } = Find();

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) continue;
            var cores = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus", "cores"));
            return Directory.Exists(cores) ? cores : null;
        }
        return null;
    }

    public static string Core(string name) =>
        Path.Combine(CoresDirectory ?? throw new InvalidOperationException("corpus not present"), name + ".core");
}

/// <summary>A temporary file removed on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"coresleuth-writer-{Guid.NewGuid():N}.core");

    public void Dispose()
    {
        try { File.Delete(Path); } catch (IOException) { }
    }
}
