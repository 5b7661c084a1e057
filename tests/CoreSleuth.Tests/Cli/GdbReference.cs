using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// The facts in a corpus <c>reference/*.gdb.txt</c> file: the output of a FreeBSD-capable gdb 13.1
/// for <c>info threads</c>, <c>thread apply all info registers</c>, <c>info proc all</c> and <c>info auxv</c>.
/// </summary>
internal sealed partial class GdbReference
{
    public sealed record Register(string Name, string Value, string Natural);
    public sealed record OpenFile(string Fd, string Type, string Offset, string Flags, string Name);
    public sealed record Mapping(ulong Start, ulong End, ulong Size, ulong Offset, string Flags, string File);
    public sealed record Auxv(long Type, string Name, string Description, string Value);

    /// <summary>"info threads": LWP → frame-0 pc, in gdb's thread-number order.</summary>
    public List<(int Id, int Lwp, ulong Pc)> Threads { get; } = [];
    public Dictionary<int, List<Register>> Registers { get; } = [];
    public int? ProcessId { get; private set; }
    public string? CommandLine { get; private set; }
    public string? Cwd { get; private set; }
    public string? Exe { get; private set; }
    public string? Signal { get; private set; }
    public List<OpenFile> OpenFiles { get; } = [];
    public List<Mapping> Mappings { get; } = [];
    public List<Auxv> AuxvEntries { get; } = [];

    public static GdbReference Load(string path)
    {
        var g = new GdbReference();
        int? lwp = null;
        string section = "";
        foreach (string line in File.ReadLines(path))
        {
            Match m;
            if ((m = ThreadLine().Match(line)).Success)
                g.Threads.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), Hex(m.Groups[3].Value)));
            else if ((m = ThreadHeader().Match(line)).Success)
            {
                lwp = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                section = "";
            }
            else if (lwp is { } l && section == "" && (m = RegisterLine().Match(line)).Success)
            {
                if (!g.Registers.TryGetValue(l, out var list)) g.Registers[l] = list = [];
                list.Add(new Register(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value.TrimEnd()));
            }
            else if ((m = Regex.Match(line, @"^Program terminated with signal (\w+), (.+)\.$")).Success)
                g.Signal = $"{m.Groups[1].Value}, {m.Groups[2].Value}";
            else if ((m = Regex.Match(line, @"^process (\d+)$")).Success)
            {
                g.ProcessId = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                lwp = null;
            }
            else if ((m = Regex.Match(line, @"^cmdline = '(.*)'$")).Success) g.CommandLine = m.Groups[1].Value;
            else if ((m = Regex.Match(line, @"^cwd = '(.*)'$")).Success) g.Cwd = m.Groups[1].Value;
            else if ((m = Regex.Match(line, @"^exe = '(.*)'$")).Success) g.Exe = m.Groups[1].Value;
            else if (line == "Open files:") section = "files";
            else if (line == "Mapped address spaces:") section = "maps";
            else if (line.StartsWith("Name: ", StringComparison.Ordinal)) section = "auxv"; // the status block precedes info auxv
            else if ((m = Regex.Match(line, @"^Process ID: (\d+)$")).Success) // from kinfo_proc; "process N" is pr_pid, absent when 0
                g.ProcessId = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            else if (section == "files" && (m = Regex.Match(line, @"^\s+(\S+)\s+(\S+)\s+(\S+)\s+([-rwxasfndl]{9})\s(.*)$")).Success && m.Groups[1].Value != "FD")
                g.OpenFiles.Add(new OpenFile(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value, m.Groups[5].Value));
            else if (section == "maps" && (m = Regex.Match(line, @"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S{3} \S{4}) ?(.*)$")).Success)
                g.Mappings.Add(new Mapping(Hex(m.Groups[1].Value), Hex(m.Groups[2].Value), Hex(m.Groups[3].Value), Hex(m.Groups[4].Value), m.Groups[5].Value, m.Groups[6].Value));
            else if (section == "auxv" && (m = Regex.Match(line, @"^(\d+)\s+(AT_\w+)\s+(.+?)\s{2,}(\S.*)$")).Success)
                g.AuxvEntries.Add(new Auxv(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value));
        }
        return g;
    }

    public static ulong Hex(string s) => ulong.Parse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[* ] (\d+)\s+LWP (\d+)\s+(0x[0-9a-f]+) in ")]
    private static partial Regex ThreadLine();

    [GeneratedRegex(@"^Thread \d+ \(LWP (\d+)\):$")]
    private static partial Regex ThreadHeader();

    [GeneratedRegex(@"^([a-z][a-z0-9_]*)\s+(0x[0-9a-f]+|<unavailable>)\s*(.*)$")]
    private static partial Regex RegisterLine();
}
