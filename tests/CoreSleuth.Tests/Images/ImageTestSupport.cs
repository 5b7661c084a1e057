using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Images;

/// <summary>A fact that is skipped, with the reason, when an external tool is not installed.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !Tools.Has(t)).ToList();
        if (missing.Count > 0)
        {
            Skip = $"needs {string.Join(", ", missing)} on PATH";
        }
    }

    /// <summary>Also skipped, with the reason, when the spec's syscall table (../shared/spec) is not beside the repository.</summary>
    public bool NeedsSyscallTable
    {
        get => SyscallTable.Available;
        set { if (value && !SyscallTable.Available) Skip ??= SyscallTable.SkipReason; }
    }
}

/// <summary>A theory that needs the spec's syscall table (../shared/spec/syscalls-freebsd-amd64.csv); skipped with the reason when it is absent.</summary>
public sealed class SyscallTableTheoryAttribute : TheoryAttribute
{
    public SyscallTableTheoryAttribute()
    {
        if (!SyscallTable.Available) Skip = SyscallTable.SkipReason;
    }
}

/// <summary>A theory skipped when a tool is missing.</summary>
public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !Tools.Has(t)).ToList();
        if (missing.Count > 0)
        {
            Skip = $"needs {string.Join(", ", missing)} on PATH";
        }
    }
}

/// <summary>A fact that needs a file of the shared corpus (../shared/corpus next to the repository).</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute(string corpusPath, params string[] tools)
    {
        if (Corpus.Find(corpusPath) is null)
        {
            Skip = $"corpus file {corpusPath} not found (expected under ../shared/corpus beside the repository)";
        }
        else if (tools.FirstOrDefault(t => !Tools.Has(t)) is { } missing)
        {
            Skip = $"needs {missing} on PATH";
        }
    }
}

public static class Tools
{
    private static readonly Dictionary<string, bool> Known = [];

    public static bool Has(string tool)
    {
        lock (Known)
        {
            if (!Known.TryGetValue(tool, out var found))
            {
                var path = Environment.GetEnvironmentVariable("PATH") ?? "";
                found = path.Split(':').Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));
                Known[tool] = found;
            }

            return found;
        }
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool that must succeed without printing anything on stderr (warnings included).</summary>
    public static string RunClean(string tool, params string[] arguments)
    {
        var r = Run(tool, arguments);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited with {r.ExitCode}: {r.Stderr}");
        Assert.True(r.Stderr.Length == 0, $"{tool} {string.Join(' ', arguments)} wrote to stderr: {r.Stderr}");
        return r.Stdout;
    }
}

public static class Corpus
{
    /// <summary>Walks up from the test assembly to the folder holding CoreSleuth.sln, then ../shared/corpus/<paramref name="relative"/>.</summary>
    public static string? Find(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln")))
        {
            dir = dir.Parent;
        }

        if (dir?.Parent is null)
        {
            return null;
        }

        var path = Path.Combine(dir.Parent.FullName, "shared", "corpus", relative);
        return File.Exists(path) ? path : null;
    }

    public static string Spec(string name)
    {
        var path = Find(Path.Combine("..", "spec", name));
        return path ?? throw new FileNotFoundException($"spec file {name}");
    }
}

/// <summary>ELF files written to a private temporary folder, removed on dispose.</summary>
public sealed class TempFiles : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("coresleuth-images-").FullName;

    public string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(ElfImage image) => Write(image.FileName, image.FileBytes);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One line of <c>readelf -W --dyn-syms</c>.</summary>
public sealed record ReadElfSymbol(int Index, ulong Value, ulong Size, string Type, string Bind, string Section, string Name, string? Version, bool DefaultVersion);

public static partial class ReadElf
{
    [GeneratedRegex(@"^\s*(\d+):\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s*(.*)$")]
    private static partial Regex SymbolLine();

    public static List<ReadElfSymbol> DynamicSymbols(string file)
    {
        var list = new List<ReadElfSymbol>();
        foreach (var line in Tools.RunClean("readelf", "-W", "--dyn-syms", file).Split('\n'))
        {
            var m = SymbolLine().Match(line);
            if (!m.Success)
            {
                continue;
            }

            var full = m.Groups[7].Value.Trim();
            string name = full;
            string? version = null;
            var isDefault = false;
            var at = full.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                name = full[..at];
                isDefault = full[at..].StartsWith("@@", StringComparison.Ordinal);
                version = full[(at + (isDefault ? 2 : 1))..];
                var space = version.IndexOf(' ', StringComparison.Ordinal);
                if (space >= 0)
                {
                    version = version[..space];
                }
            }

            list.Add(new ReadElfSymbol(
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                m.Groups[4].Value,
                m.Groups[5].Value,
                m.Groups[6].Value,
                name,
                version,
                isDefault));
        }

        return list;
    }

    public sealed record Segment(string Type, ulong Offset, ulong VirtualAddress, ulong FileSize, ulong MemorySize, string Flags, ulong Align);

    [GeneratedRegex(@"^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([RWE ]+?)\s+0x([0-9a-f]+)\s*$")]
    private static partial Regex SegmentLine();

    public static List<Segment> Segments(string file)
    {
        var list = new List<Segment>();
        foreach (var line in Tools.RunClean("readelf", "-W", "-l", file).Split('\n'))
        {
            var m = SegmentLine().Match(line);
            if (m.Success)
            {
                ulong Hex(int g) => ulong.Parse(m.Groups[g].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                list.Add(new Segment(m.Groups[1].Value, Hex(2), Hex(3), Hex(4), Hex(5), m.Groups[6].Value.Replace(" ", "", StringComparison.Ordinal), Hex(7)));
            }
        }

        return list;
    }

    public sealed record Section(int Index, string Name, string Type, ulong Address, ulong Offset, ulong Size);

    [GeneratedRegex(@"^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)")]
    private static partial Regex SectionLine();

    public static List<Section> Sections(string file)
    {
        var list = new List<Section>();
        foreach (var line in Tools.RunClean("readelf", "-W", "-S", file).Split('\n'))
        {
            var m = SectionLine().Match(line);
            if (m.Success)
            {
                ulong Hex(int g) => ulong.Parse(m.Groups[g].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                list.Add(new Section(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value, Hex(4), Hex(5), Hex(6)));
            }
        }

        return list;
    }

    /// <summary>The bytes at a link-time address, through the PT_LOAD that maps it (null when in .bss).</summary>
    public static byte[]? ReadAt(string file, IReadOnlyList<Segment> segments, ulong address, int count)
    {
        var load = segments.FirstOrDefault(s => s.Type == "LOAD" && address >= s.VirtualAddress && address + (ulong)count <= s.VirtualAddress + s.MemorySize)
            ?? throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is in no PT_LOAD of {file}");
        if (address + (ulong)count > load.VirtualAddress + load.FileSize)
        {
            return null;
        }

        var bytes = File.ReadAllBytes(file);
        return bytes.AsSpan((int)(load.Offset + (address - load.VirtualAddress)), count).ToArray();
    }
}

/// <summary>An FDE and its CFI rows as printed by <c>llvm-dwarfdump --eh-frame</c>.</summary>
public sealed record DwarfFde(ulong Offset, ulong PcBegin, ulong PcEnd, IReadOnlyList<DwarfRow> Rows);

/// <summary>One row: CFA = <see cref="CfaRegister"/> + <see cref="CfaOffset"/>; registers saved at CFA+offset.</summary>
public sealed record DwarfRow(ulong Address, string CfaRegister, long CfaOffset, IReadOnlyDictionary<string, long> Saved, bool ReturnAddressUndefined);

public static partial class DwarfDump
{
    [GeneratedRegex(@"^([0-9a-f]{8}) [0-9a-f]{8} [0-9a-f]{8} FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.\.([0-9a-f]+)")]
    private static partial Regex FdeLine();

    [GeneratedRegex(@"^\s+0x([0-9a-f]+): CFA=([A-Z0-9]+)([+-]\d+)(.*)$")]
    private static partial Regex RowLine();

    [GeneratedRegex(@"([A-Z0-9]+)=\[CFA([+-]\d+)\]")]
    private static partial Regex SavedRule();

    public static List<DwarfFde> EhFrame(string file)
    {
        var output = Tools.RunClean("llvm-dwarfdump", "--eh-frame", file);
        var fdes = new List<DwarfFde>();
        DwarfFde? current = null;
        List<DwarfRow>? rows = null;
        foreach (var line in output.Split('\n'))
        {
            var f = FdeLine().Match(line);
            if (f.Success)
            {
                if (current is not null)
                {
                    fdes.Add(current with { Rows = rows! });
                }

                rows = [];
                current = new DwarfFde(Hex(f.Groups[1].Value), Hex(f.Groups[2].Value), Hex(f.Groups[3].Value), rows);
                continue;
            }

            if (line.Contains(" CIE", StringComparison.Ordinal) && current is not null)
            {
                fdes.Add(current with { Rows = rows! });
                current = null;
                continue;
            }

            var r = RowLine().Match(line);
            if (r.Success && current is not null)
            {
                var saved = SavedRule().Matches(r.Groups[4].Value).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                rows!.Add(new DwarfRow(Hex(r.Groups[1].Value), r.Groups[2].Value, long.Parse(r.Groups[3].Value, CultureInfo.InvariantCulture), saved, r.Groups[4].Value.Contains("RIP=undefined", StringComparison.Ordinal)));
            }
        }

        if (current is not null)
        {
            fdes.Add(current with { Rows = rows! });
        }

        return fdes;
    }

    /// <summary>The row in effect at <paramref name="pc"/>.</summary>
    public static DwarfRow RowAt(IReadOnlyList<DwarfFde> fdes, ulong pc)
    {
        var fde = fdes.FirstOrDefault(f => pc >= f.PcBegin && pc < f.PcEnd) ?? throw new InvalidOperationException($"no FDE covers 0x{pc:x}");
        return fde.Rows.Last(r => r.Address <= pc);
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

/// <summary>The amd64 syscall table of the spec (number,name,nargs,status,notes).</summary>
public static class SyscallTable
{
    public static IReadOnlyDictionary<string, int> NumbersByName()
    {
        var result = new Dictionary<string, int>();
        foreach (var line in File.ReadLines(Corpus.Spec("syscalls-freebsd-amd64.csv")).Skip(1))
        {
            var parts = line.Split(',');
            if (parts.Length >= 4 && int.TryParse(parts[0], out var number) && parts[3] is "STD" or "NOSTD")
            {
                result.TryAdd(parts[1], number);
            }
        }

        return result;
    }

    public static bool Available => Corpus.Find(Path.Combine("..", "spec", "syscalls-freebsd-amd64.csv")) is not null;

    public const string SkipReason = "the spec's syscall table ../shared/spec/syscalls-freebsd-amd64.csv is not beside the repository";
}

/// <summary>Images and processes shared by the tests (building is deterministic, so sharing is safe).</summary>
public static class Samples
{
    private static readonly Dictionary<string, object> Cache = [];

    private static T Get<T>(string key, Func<T> create)
        where T : class
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(key, out var value))
            {
                value = create();
                Cache[key] = value;
            }

            return (T)value;
        }
    }

    public static FreeBsdVersion Version(string name) => name switch
    {
        "10.4" => FreeBsdVersion.V10_4,
        "11.4" => FreeBsdVersion.V11_4,
        "12.4" => FreeBsdVersion.V12_4,
        "13.5" => FreeBsdVersion.V13_5,
        "14.2" => FreeBsdVersion.V14_2,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static MysqldProcessTemplate.BuiltImages Images(string version, bool omitFramePointers = false, bool hideLibthrSymbols = false) =>
        Get($"images:{version}:{omitFramePointers}:{hideLibthrSymbols}", () => MysqldProcessTemplate.BuildImages(new MysqldScenarioOptions
        {
            Version = Version(version),
            OmitFramePointers = omitFramePointers,
            HideLibthrSymbols = hideLibthrSymbols,
        }));

    public static ProcessImage Mysqld(string version, bool omitFramePointers = false, bool hideLibthrSymbols = false) =>
        Get($"process:{version}:{omitFramePointers}:{hideLibthrSymbols}", () => MysqldProcessTemplate.Build(new MysqldScenarioOptions
        {
            Version = Version(version),
            OmitFramePointers = omitFramePointers,
            HideLibthrSymbols = hideLibthrSymbols,
        }));

    public static IEnumerable<ElfImage> AllImages(MysqldProcessTemplate.BuiltImages images) =>
        [images.Mysqld, images.Rtld, images.Libthr, images.Libc, .. images.Fillers];
}
