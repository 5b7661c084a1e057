namespace CoreSleuth.Tests.Syscalls;

/// <summary>
/// Paths to the reference material beside the repository (<c>../shared</c>): the spec and
/// the corpus of real FreeBSD files. Tests that need them are skipped when they are absent.
/// </summary>
internal static class SharedFiles
{
    public static string? RepoRoot { get; } = FindRepoRoot();

    public static string? SharedDir => RepoRoot is null ? null : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string SyscallCsv => Shared("spec/syscalls-freebsd-amd64.csv");

    public static string SpecMarkdown => Shared("spec/freebsd-amd64-core.md");

    public static string Shared(string relative) =>
        SharedDir is null ? relative : Path.Combine(SharedDir, relative);

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) return dir.FullName;
        return null;
    }

    public static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, when a file under ../shared is missing.</summary>
public sealed class SharedFileFactAttribute : FactAttribute
{
    public SharedFileFactAttribute(params string[] relativePaths)
    {
        foreach (var relative in relativePaths)
        {
            if (!File.Exists(SharedFiles.Shared(relative)))
            {
                Skip = $"../shared/{relative} is not beside the repository";
                return;
            }
        }
    }
}

/// <summary>A fact that needs python3 and the spec CSV (to re-run tools/gen-syscalls.py).</summary>
public sealed class GeneratorFactAttribute : FactAttribute
{
    public GeneratorFactAttribute()
    {
        if (SharedFiles.RepoRoot is null) Skip = "repository root (CoreSleuth.sln) not found";
        else if (!File.Exists(SharedFiles.SyscallCsv)) Skip = "../shared/spec/syscalls-freebsd-amd64.csv is not beside the repository";
        else if (SharedFiles.FindOnPath("python3") is null) Skip = "python3 is not on PATH";
    }
}
