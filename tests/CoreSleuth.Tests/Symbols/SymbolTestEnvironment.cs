using System.Diagnostics;
using System.Text;

namespace CoreSleuth.Tests.Symbols;

/// <summary>
/// Locates the external references the demangler is checked against: GNU c++filt and
/// readelf on PATH, this machine's libstdc++, and the FreeBSD libraries of the shared corpus
/// (found next to the repository, never copied into it).
/// </summary>
internal static class SymbolTestEnvironment
{
    public static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
                return candidate;
        }

        return null;
    }

    /// <summary>The directory holding CoreSleuth.sln, found by walking up from the test assembly.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln")))
                return dir.FullName;
        }

        return null;
    }

    /// <summary>A file of the shared corpus (<c>../shared/corpus/...</c> relative to the repository), or null when absent.</summary>
    public static string? CorpusFile(string relativePath)
    {
        var root = RepositoryRoot();
        if (root is null)
            return null;
        var file = Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus", relativePath));
        return File.Exists(file) ? file : null;
    }

    /// <summary>This machine's x86-64 libstdc++.so.6, from <c>ldconfig -p</c> or the Debian multiarch path.</summary>
    public static string? SystemLibStdCxx()
    {
        var ldconfig = FindOnPath("ldconfig") ?? (File.Exists("/sbin/ldconfig") ? "/sbin/ldconfig" : null);
        if (ldconfig is not null)
        {
            try
            {
                var (exit, stdout, _) = Run(ldconfig, ["-p"], stdin: null);
                if (exit == 0)
                {
                    foreach (var line in stdout.Split('\n'))
                    {
                        // "	libstdc++.so.6 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libstdc++.so.6"
                        var trimmed = line.Trim();
                        if (!trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) || !trimmed.Contains("x86-64"))
                            continue;
                        int arrow = trimmed.IndexOf("=>", StringComparison.Ordinal);
                        if (arrow >= 0 && File.Exists(trimmed[(arrow + 2)..].Trim()))
                            return trimmed[(arrow + 2)..].Trim();
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // fall through to the well-known path
            }
        }

        const string multiarch = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        return File.Exists(multiarch) ? multiarch : null;
    }

    /// <summary>
    /// The C++ symbols (names starting with <c>_Z</c>) of an ELF file's dynamic and regular
    /// symbol tables, parsed from <c>readelf -W --dyn-syms --syms</c>, without version suffixes,
    /// sorted and distinct.
    /// </summary>
    public static IReadOnlyList<string> CxxSymbols(string readelf, string elfFile)
    {
        var (exit, stdout, stderr) = Run(readelf, ["-W", "--dyn-syms", "--syms", elfFile], stdin: null);
        if (exit != 0)
            throw new InvalidOperationException($"readelf failed on {elfFile}: {stderr}");

        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n'))
        {
            // "   184: 00000000000ee280    12 FUNC    WEAK   DEFAULT   13 _ZNKSbIw...8capacityEv@@GLIBCXX_3.4"
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || !fields[0].EndsWith(':'))
                continue;
            var name = fields[7];
            int at = name.IndexOf('@');
            if (at >= 0)
                name = name[..at];
            if (name.StartsWith("_Z", StringComparison.Ordinal))
                names.Add(name);
        }

        return [.. names];
    }

    /// <summary>Demangles all names with ONE c++filt process (one name per line on stdin).</summary>
    public static IReadOnlyList<string> CxxFilt(string cxxfilt, IReadOnlyList<string> names)
    {
        var input = new StringBuilder();
        foreach (var name in names)
            input.Append(name).Append('\n');
        var (exit, stdout, stderr) = Run(cxxfilt, [], input.ToString());
        if (exit != 0)
            throw new InvalidOperationException($"c++filt failed: {stderr}");
        var lines = stdout.Split('\n');
        // A trailing newline leaves one empty element.
        return lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            // Write while the output is being drained, so neither pipe can fill up and block.
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        process.WaitForExit();
        return (process.ExitCode, stdoutTask.GetAwaiter().GetResult(), stderrTask.GetAwaiter().GetResult());
    }
}
