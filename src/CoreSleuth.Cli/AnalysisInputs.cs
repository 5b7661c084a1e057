using System.CommandLine;
using CoreSleuth.Analysis;
using CoreSleuth.Input;

namespace CoreSleuth.Cli;

/// <summary>
/// The options that feed an analysis besides the core: handles, the DBA's SHOW ENGINE INNODB
/// STATUS and SHOW FULL PROCESSLIST text, and a sysroot with the binaries.
/// </summary>
internal sealed class AnalysisInputs : IDisposable
{
    private const long MaxInputBytes = 64L << 20;

    private Option<string[]>? handles;
    private Option<string?>? innodb, processlist, wchan;
    private Option<string?> sysroot = null!, executable = null!;
    private Option<string[]> binaries = null!;

    /// <summary>The --sysroot archive, unpacked for this run; deleted by <see cref="Dispose"/>.</summary>
    private SysrootArchive? unpacked;

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
        inputs.wchan = new Option<string?>("--wchan")
        {
            Description = "Linux: the threads' wait channels from the live host, as 'grep -H . /proc/PID/task/*/wchan' prints them; shown as each thread's wait, and wait_for_partner makes a blocked FIFO open certain.",
            HelpName = "FILE",
        };
        command.Add(inputs.innodb);
        command.Add(inputs.processlist);
        command.Add(inputs.wchan);
        inputs.AddBinaryOptions(command);
        return inputs;
    }

    /// <summary>Only --sysroot, --binary and --exe: the options that say where the process's binaries are.</summary>
    public static AnalysisInputs BinariesOnly(Command command)
    {
        var inputs = new AnalysisInputs();
        inputs.AddBinaryOptions(command);
        return inputs;
    }

    private void AddBinaryOptions(Command command)
    {
        sysroot = new Option<string?>("--sysroot")
        {
            Description = "The process's binaries at their paths (like gdb's sysroot), for code and symbols the core lacks: a folder, " +
                          "or a tar archive (.tar, .tgz, .tar.zst, .tar.xz) such as the one 'coresleuth files' says how to make.",
            HelpName = "DIR|ARCHIVE",
        };
        binaries = new Option<string[]>("--binary")
        {
            Description = "An ELF file (under any name) to use for the mapped image it is, told by build-id or load layout, e.g. the mysqld that ran. Repeatable.",
            HelpName = "PATH",
        };
        executable = new Option<string?>("--exe") { Description = "The executable that ran, under any name (as gdb EXE CORE takes it).", HelpName = "PATH" };
        command.Add(sysroot);
        command.Add(binaries);
        command.Add(executable);
    }

    /// <summary>The files the options name (each with its option), for a check that no output overwrites one.</summary>
    public IEnumerable<(string Option, string Path)> Files(ParseResult r)
    {
        if (innodb is not null && r.GetValue(innodb) is { } i) yield return ("--innodb-status", i);
        if (processlist is not null && r.GetValue(processlist) is { } p) yield return ("--processlist", p);
        if (wchan is not null && r.GetValue(wchan) is { } w) yield return ("--wchan", w);
        foreach (string b in r.GetValue(binaries) ?? []) yield return ("--binary", b);
        if (r.GetValue(executable) is { } e) yield return ("--exe", e);
        if (r.GetValue(sysroot) is { } s && File.Exists(s)) yield return ("--sysroot", s);
    }

    /// <summary>The --sysroot folder, or null.</summary>
    public string? Folder(ParseResult r) => r.GetValue(sysroot) is { } s && Directory.Exists(s) ? s : null;

    /// <summary>The analysis options, or null with <paramref name="error"/> when an input file is unusable.</summary>
    public AnalysisOptions? Read(ParseResult r, out string? error)
    {
        error = null;
        string? innodbText = null, processlistText = null;
        string? innodbPath = innodb is null ? null : r.GetValue(innodb), processlistPath = processlist is null ? null : r.GetValue(processlist);
        if (innodbPath is not null && !TryReadText(innodbPath, "--innodb-status", out innodbText, out error)) return null;
        if (processlistPath is not null && !TryReadText(processlistPath, "--processlist", out processlistText, out error)) return null;
        string? wchanText = null, wchanPath = wchan is null ? null : r.GetValue(wchan);
        if (wchanPath is not null && !TryReadText(wchanPath, "--wchan", out wchanText, out error)) return null;
        string[] files = r.GetValue(binaries) ?? [];
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
        {
            error = $"--binary {missing}: no such file";
            return null;
        }
        string? exe = r.GetValue(executable);
        if (exe is not null && !File.Exists(exe))
        {
            error = $"--exe {exe}: no such file";
            return null;
        }
        string? root = r.GetValue(sysroot), shownAs = null;
        if (root is not null && !Directory.Exists(root))
        {
            if (!File.Exists(root))
            {
                error = $"--sysroot {root}: no such folder or archive";
                return null;
            }
            try
            {
                if (!SysrootArchive.IsArchive(root))
                {
                    error = $"--sysroot {root}: neither a folder nor a tar archive (.tar, .tgz, .tar.zst, .tar.xz)";
                    return null;
                }
                unpacked ??= SysrootArchive.Unpack(root);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"--sysroot {root}: {(ex is UnauthorizedAccessException ? "permission denied" : ex.Message)}";
                return null;
            }
            (shownAs, root) = (root, unpacked.Folder);
        }
        var values = handles is null ? [] : (r.GetValue(handles) ?? []).Select(h => Program.TryParseAddress(h, out ulong v) ? v : 0).ToList();
        return new AnalysisOptions
        {
            Handles = values, InnodbStatus = innodbText, Processlist = processlistText, Sysroot = root, SysrootName = shownAs, Binaries = files, Executable = exe,
            InnodbStatusName = innodbPath ?? "", ProcesslistName = processlistPath ?? "",
            WaitChannels = wchanText is null ? null : CoreSleuth.Analysis.Diagnosis.WaitChannels.Parse(wchanText), WaitChannelsName = wchanPath ?? "",
        };
    }

    public void Dispose()
    {
        unpacked?.Dispose();
        unpacked = null;
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
