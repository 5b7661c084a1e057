using System.CommandLine;
using CoreSleuth.Analysis;

namespace CoreSleuth.Cli;

/// <summary>
/// The options that feed an analysis besides the core: handles, the DBA's SHOW ENGINE INNODB
/// STATUS and SHOW FULL PROCESSLIST text, and a sysroot with the binaries.
/// </summary>
internal sealed class AnalysisInputs
{
    private const long MaxInputBytes = 64L << 20;

    private Option<string[]>? handles;
    private Option<string?> innodb = null!, processlist = null!, sysroot = null!;
    private Option<string[]> binaries = null!;

    public static AnalysisInputs AddTo(Command command, bool handles)
    {
        var inputs = new AnalysisInputs();
        if (handles)
        {
            inputs.handles = new Option<string[]>("--handle")
            {
                Description = "A MySQL 'OS thread handle' (pthread_t) to resolve: hex 0x... or decimal. Repeatable.",
                HelpName = "H",
                AllowMultipleArgumentsPerToken = false,
            };
            inputs.handles.Validators.Add(v =>
            {
                foreach (var t in v.Tokens)
                    if (!Program.TryParseAddress(t.Value, out _))
                        v.AddError($"invalid handle '{t.Value}': expected hex with 0x (0x829e76000) or decimal (34405901312)");
            });
            command.Add(inputs.handles);
        }
        inputs.innodb = new Option<string?>("--innodb-status") { Description = "SHOW ENGINE INNODB STATUS output (raw, \\G, table or mysql -e/-B/-N batch form): its 'MySQL thread id N, OS thread handle H' lines are resolved and joined to threads.", HelpName = "FILE" };
        inputs.processlist = new Option<string?>("--processlist") { Description = "SHOW FULL PROCESSLIST output (table, \\G or mysql -e/-B/-N batch form): command, time, state and statement per MySQL thread id.", HelpName = "FILE" };
        inputs.sysroot = new Option<string?>("--sysroot") { Description = "A folder holding the process's binaries at their paths (like gdb's sysroot), for code and symbols the core lacks.", HelpName = "DIR" };
        command.Add(inputs.innodb);
        command.Add(inputs.processlist);
        inputs.binaries = new Option<string[]>("--binary") { Description = "An ELF file to use for the mapped module of the same file name (e.g. the mysqld that ran). Repeatable.", HelpName = "PATH" };
        command.Add(inputs.sysroot);
        command.Add(inputs.binaries);
        return inputs;
    }

    /// <summary>The files the options name (each with its option), for a check that no output overwrites one.</summary>
    public IEnumerable<(string Option, string Path)> Files(ParseResult r)
    {
        if (r.GetValue(innodb) is { } i) yield return ("--innodb-status", i);
        if (r.GetValue(processlist) is { } p) yield return ("--processlist", p);
        foreach (string b in r.GetValue(binaries) ?? []) yield return ("--binary", b);
    }

    /// <summary>The --sysroot folder, or null.</summary>
    public string? Folder(ParseResult r) => r.GetValue(sysroot);

    /// <summary>The analysis options, or null with <paramref name="error"/> when an input file is unusable.</summary>
    public AnalysisOptions? Read(ParseResult r, out string? error)
    {
        error = null;
        string? innodbText = null, processlistText = null;
        string? innodbPath = r.GetValue(innodb), processlistPath = r.GetValue(processlist);
        if (innodbPath is not null && !TryReadText(innodbPath, "--innodb-status", out innodbText, out error)) return null;
        if (processlistPath is not null && !TryReadText(processlistPath, "--processlist", out processlistText, out error)) return null;
        string? root = r.GetValue(sysroot);
        if (root is not null && !Directory.Exists(root))
        {
            error = $"--sysroot {root}: no such directory";
            return null;
        }
        string[] files = r.GetValue(binaries) ?? [];
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
        {
            error = $"--binary {missing}: no such file";
            return null;
        }
        var values = handles is null ? [] : (r.GetValue(handles) ?? []).Select(h => Program.TryParseAddress(h, out ulong v) ? v : 0).ToList();
        return new AnalysisOptions
        {
            Handles = values, InnodbStatus = innodbText, Processlist = processlistText, Sysroot = root, Binaries = files,
            InnodbStatusName = innodbPath ?? "", ProcesslistName = processlistPath ?? "",
        };
    }

    private static bool TryReadText(string path, string option, out string? text, out string? error)
    {
        text = null;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) { error = $"{option} {path}: no such file"; return false; }
            if (info.Length > MaxInputBytes) { error = $"{option} {path}: larger than {MaxInputBytes >> 20} MiB"; return false; }
            text = File.ReadAllText(path);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{option} {path}: {(ex is UnauthorizedAccessException ? "permission denied" : ex.Message)}";
            return false;
        }
    }
}
