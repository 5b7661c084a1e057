using System.Diagnostics;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.Unwind;
using CoreSleuth.Elf;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// The shared corpus of real FreeBSD binaries (../shared/corpus next to the folder holding
/// CoreSleuth.sln) and the external tools the tests compare against.
/// </summary>
internal static class UnwindCorpus
{
    public static readonly string? Root = FindRoot();

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) continue;
            string corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus"));
            return Directory.Exists(Path.Combine(corpus, "binaries")) ? corpus : null;
        }
        return null;
    }

    public static string Binary(string relative) => Path.Combine(Root!, "binaries", relative);

    public static bool HasTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, name)));

    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} exited with {p.ExitCode}: {stderr.Result}");
        return output;
    }

    /// <summary>A corpus ELF file opened for the duration of a test.</summary>
    public sealed class OpenedElf : IDisposable
    {
        public OpenedElf(string relative)
        {
            Path = Binary(relative);
            Source = ByteSource.OpenFile(Path);
            Elf = ElfFile.Parse(Source);
            View = new FileImageView(Elf);
        }

        public string Path { get; }
        public ByteSource Source { get; }
        public ElfFile Elf { get; }
        public FileImageView View { get; }

        public EhFrame OpenCfi()
        {
            var eh = EhFrame.Open(View, Elf.ProgramHeaders, out string? problem);
            Assert.True(eh is not null, problem);
            return eh!;
        }

        public void Dispose() => Source.Dispose();
    }
}

/// <summary>A fact that is skipped with a reason when the corpus is absent.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute(params string[] tools)
    {
        if (UnwindCorpus.Root is null) Skip = "the shared corpus (../shared/corpus beside the repository) is absent";
        else if (tools.FirstOrDefault(t => !UnwindCorpus.HasTool(t)) is { } missing) Skip = $"{missing} is not installed";
    }
}

/// <summary>A theory that is skipped with a reason when the corpus (or a tool) is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute(params string[] tools)
    {
        if (UnwindCorpus.Root is null) Skip = "the shared corpus (../shared/corpus beside the repository) is absent";
        else if (tools.FirstOrDefault(t => !UnwindCorpus.HasTool(t)) is { } missing) Skip = $"{missing} is not installed";
    }
}

/// <summary>A fact that needs only external tools (no corpus); skipped with a reason when one is missing.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        if (tools.FirstOrDefault(t => !UnwindCorpus.HasTool(t)) is { } missing) Skip = $"{missing} is not installed";
    }
}
