using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>
/// <c>coresleuth files</c>: the binaries an analysis of the core uses — the executable, rtld and
/// every library the core maps — with where each one's code comes from, and one command to run
/// on the server that packs the missing ones into an archive for <c>--sysroot</c>.
/// </summary>
/// <param name="Missing">How many binaries have their code neither in the core nor in a file given.</param>
/// <param name="PackCommand">The tar command to run on the server (paths relative to /, shell-quoted); null when nothing is missing.</param>
/// <param name="Archive">The archive <see cref="PackCommand"/> makes; null when nothing is missing.</param>
/// <param name="NotPackable">Missing binaries whose recorded path cannot go into a shell command (not absolute, "..", control characters), each with why.</param>
public sealed record FilesReport(
    string Schema,
    ReportCore Core,
    ReportProcess Process,
    IReadOnlyList<BinaryFile> Files,
    int Missing,
    string? PackCommand,
    string? Archive,
    IReadOnlyList<string> NotPackable,
    IReadOnlyList<string> Warnings)
{
    public const string SourceCore = "core", SourceSysroot = "sysroot", SourceBinary = "binary", SourceExe = "exe", SourceMissing = "missing", SourceLocal = "local";

    public static FilesReport Build(CoreFile core, string corePath, AnalysisOptions options)
    {
        var sysroot = options.Sysroot is null ? null : new Sysroot(options.Sysroot) { DisplayRoot = options.SysrootName };
        using var modules = ModuleMap.Discover(core, sysroot, options.Binaries, options.Executable);
        ulong? rtldBase = core.Process.Auxv.FirstOrDefault(a => a.Type == AuxvEntry.AT_BASE)?.Value;
        var files = modules.Modules
            .Select(m => new BinaryFile(m.Path, m.IsExecutable ? "executable" : m.Start == rtldBase ? "rtld" : "library", SourceOf(m), m.File, m.BuildId))
            // The executable first, then rtld, then the libraries in address order (as the core maps them).
            .OrderBy(f => f.Role switch { "executable" => 0, "rtld" => 1, _ => 2 })
            .ToList();

        var missing = files.Where(f => f.Source == SourceMissing).ToList();
        var packable = new List<string>();
        var notPackable = new List<string>();
        foreach (var f in missing)
        {
            if (ShellPath(f.Path) is { } why) notPackable.Add($"{f.Path}: {why}; copy it by hand");
            else packable.Add(f.Path.TrimStart('/'));
        }
        string? archive = packable.Count == 0 ? null : $"{SafeName(core.Process.Command)}-binaries.tgz";
        string? pack = archive is null ? null : $"tar -czf {archive} -C / {string.Join(' ', packable.Select(ShellQuote))}";
        return new FilesReport(ReportSchemas.Files, ReportCore.Build(core, corePath), ReportProcess.Build(core), files, missing.Count, pack, archive, notPackable,
            [.. core.Warnings, .. modules.Warnings]);
    }

    private static string SourceOf(LoadedModule m) => m.FileSource switch
    {
        ModuleFileSource.Sysroot => SourceSysroot,
        ModuleFileSource.Binary => SourceBinary,
        ModuleFileSource.Executable => SourceExe,
        ModuleFileSource.Local => SourceLocal,
        _ => m.CodeInCore ? SourceCore : SourceMissing,
    };

    /// <summary>Null when <paramref name="path"/> (from the core: untrusted) can go into the tar command; else why not.</summary>
    public static string? ShellPath(string path)
    {
        if (path.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
            return "its path holds control characters";
        if (!path.StartsWith('/')) return "its path is not absolute";
        if (path.Split('/').Any(p => p == "..")) return "its path climbs with \"..\"";
        if (path.Trim('/').Length == 0) return "its path names no file";
        return null;
    }

    /// <summary>A word for a POSIX shell: as it is when no shell treats its characters specially, else single-quoted.</summary>
    public static string ShellQuote(string word) => ShellWord.Quote(word, onlyWhenNeeded: true);

    /// <summary>The archive's name from the process's command (untrusted): letters, digits, '.', '_', '-' only.</summary>
    private static string SafeName(string? command)
    {
        var name = new StringBuilder();
        foreach (char c in command ?? "")
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') name.Append(c);
        string s = name.ToString().TrimStart('.', '-');
        return s.Length == 0 ? "server" : s[..Math.Min(s.Length, 32)];
    }

    public static void WriteText(FilesReport report, TextWriter w)
    {
        string who = report.Process.Command is null ? "" : $": {TextSanitizer.Sanitize(report.Process.Command)}" + (report.Process.Pid is { } pid ? $" (pid {pid})" : "");
        w.WriteLine($"Binaries of {TextSanitizer.Sanitize(report.Core.File)}{who}");
        w.WriteLine();
        var table = new TextTable(new("ROLE"), new("CODE FROM"), new("PATH"), new("FILE USED"), new("BUILD-ID")) { Indent = "  " };
        foreach (var f in report.Files)
            table.Add(f.Role, f.Source, TextSanitizer.Sanitize(f.Path), f.File is null ? "-" : TextSanitizer.Sanitize(f.File), f.BuildId ?? "-");
        table.Write(w);
        w.WriteLine();
        if (report.Missing == 0)
        {
            w.WriteLine(report.Files.Count == 0
                ? "The core maps no file-backed image: there is nothing to copy."
                : "The code of every binary is available (in the core or in the files given): nothing to copy from the server.");
        }
        else
        {
            w.WriteLine($"{report.Missing} of {Plural.Of(report.Files.Count, "binary", "binaries")} {(report.Missing == 1 ? "is" : "are")} missing: " +
                        "the core does not hold their code (gcore leaves read-only segments out), so frames in them show as module+0x….");
            if (report.PackCommand is { } pack)
            {
                w.WriteLine("On the server, while it still has the binaries that ran (before any upgrade), run:");
                w.WriteLine();
                w.WriteLine($"  {TextSanitizer.SanitizeMessage(pack, maxLength: 1 << 16)}");
                w.WriteLine();
                w.WriteLine($"then copy {report.Archive} here and give it to any command:");
                w.WriteLine();
                w.WriteLine($"  coresleuth analyze {TextSanitizer.SanitizeMessage(ShellQuote(report.Core.File))} --sysroot {report.Archive}");
            }
            foreach (string line in report.NotPackable) w.WriteLine($"  - not in the command: {TextSanitizer.Sanitize(line)}");
        }
        if (report.Warnings.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Warnings:");
            foreach (string warning in report.Warnings) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(warning)}");
        }
    }

    public static void WriteJson(FilesReport report, TextWriter w) => JsonText.Write(report, FilesJson.Context.FilesReport, w);
}

/// <summary>One binary the analysis uses.</summary>
/// <param name="Path">Its path as the core records it.</param>
/// <param name="Role">"executable", "rtld" (ld-elf.so.1, at AT_BASE) or "library".</param>
/// <param name="Source">Where its code comes from: "core", "sysroot", "binary", "exe", or "missing".</param>
/// <param name="File">The file on disk used for it (in the sysroot, or given with --binary/--exe); null when none.</param>
/// <param name="BuildId">Its GNU build-id in hex, when the core or the file has one.</param>
public sealed record BinaryFile(string Path, string Role, string Source, string? File, string? BuildId);

internal static class FilesJson
{
    public static readonly FilesJsonContext Context = new(new JsonSerializerOptions(FilesJsonContext.Default.Options)
    {
        Encoder = TerminalSafeJsonEncoder.Instance,
    });
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FilesReport))]
internal sealed partial class FilesJsonContext : JsonSerializerContext;
