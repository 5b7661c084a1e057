using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

/// <summary>The shared test corpus (../shared/corpus next to the repository), or null when absent.</summary>
internal static class Corpus
{
    public static string? Root { get; } = Find();

    public const string SkipReason = "the test corpus ../shared/corpus (real FreeBSD cores and gdb output) is not next to this repository";

    public static string Core(string name) => Path.Combine(Root!, "cores", name);

    public static string Reference(string name) => Path.Combine(Root!, "reference", name);

    public static string ReadMe => Path.Combine(Root!, "README.md");

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) continue;
            string corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus"));
            return Directory.Exists(Path.Combine(corpus, "cores")) ? corpus : null;
        }
        return null;
    }
}

/// <summary>A fact that needs the corpus; skipped with a clear reason when it is absent.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (Corpus.Root is null) Skip = Corpus.SkipReason;
    }
}

/// <summary>A theory that needs the corpus; skipped with a clear reason when it is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (Corpus.Root is null) Skip = Corpus.SkipReason;
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the <c>coresleuth</c> command in-process with captured output.</summary>
internal static class Coresleuth
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Program.Run(args, stdout, stderr);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }
}
