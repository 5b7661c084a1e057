using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Reader;

internal static class Hex
{
    public static ulong Parse(string text) =>
        ulong.Parse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>"{0x01 0x02 …}" as LLDB prints vector registers.</summary>
    public static byte[] ParseVector(string text) =>
        text.Trim('{', '}', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => (byte)Parse(b)).ToArray();

    /// <summary>"01 00 e0 …" as readelf prints note descriptors.</summary>
    public static byte[] ParseBytes(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>
/// What gdb 13.1 printed for a core (reference/*.gdb.txt): <c>info threads</c>, <c>thread apply
/// all info registers</c>, <c>info proc all</c>, <c>info auxv</c>.
/// </summary>
internal sealed partial class GdbReference
{
    public List<int> Lwps { get; } = [];
    public string? GeneratedBy { get; private set; }
    public string? SignalName { get; private set; }
    public Dictionary<int, Dictionary<string, ulong>> RegistersByLwp { get; } = [];
    public Dictionary<string, string> ProcessLines { get; } = [];
    public string? Cmdline { get; private set; }
    public string? Cwd { get; private set; }
    public string? Exe { get; private set; }
    public List<GdbFile> Files { get; } = [];
    public List<GdbMapping> Mappings { get; } = [];
    public List<GdbAuxv> Auxv { get; } = [];

    public sealed record GdbFile(string Fd, string Type, string Offset, string Flags, string Name);
    public sealed record GdbMapping(ulong Start, ulong End, ulong Size, ulong Offset, string Protection, string Flags, string File);
    public sealed record GdbAuxv(long Type, string Name, ulong Value, string? Text);

    public static GdbReference Load(string path)
    {
        var r = new GdbReference();
        var lines = File.ReadAllLines(path);
        Dictionary<string, ulong>? registers = null;
        string section = "";
        foreach (var raw in lines)
        {
            string line = raw.TrimEnd();
            Match m;
            if ((m = NewLwp().Match(line)).Success) { r.Lwps.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)); continue; }
            if ((m = GeneratedByLine().Match(line)).Success) { r.GeneratedBy = m.Groups[1].Value; continue; }
            if ((m = SignalLine().Match(line)).Success) { r.SignalName = m.Groups[1].Value; continue; }
            if ((m = ThreadHeader().Match(line)).Success)
            {
                int lwp = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                // The second "Thread N (LWP M):" block of a thread is its backtrace: keep the registers.
                if (!r.RegistersByLwp.ContainsKey(lwp)) r.RegistersByLwp[lwp] = registers = [];
                else registers = null;
                continue;
            }
            if (registers is not null)
            {
                if ((m = RegisterLine().Match(line)).Success) { registers[m.Groups[1].Value] = Hex.Parse(m.Groups[2].Value); continue; }
                if (line.Contains("<unavailable>", StringComparison.Ordinal)) continue;
                registers = null;
            }
            if ((m = QuotedValue().Match(line)).Success)
            {
                string value = m.Groups[2].Value;
                switch (m.Groups[1].Value) { case "cmdline": r.Cmdline = value; break; case "cwd": r.Cwd = value; break; case "exe": r.Exe = value; break; }
                continue;
            }
            if (line == "Open files:") { section = "files"; continue; }
            if (line == "Mapped address spaces:") { section = "maps"; continue; }
            if (section == "files")
            {
                var cols = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (cols.Length == 0 || cols[0] == "FD") continue;
                if (cols.Length >= 4 && cols[3].Length == 9)
                {
                    r.Files.Add(new GdbFile(cols[0], cols[1], cols[2], cols[3], cols.Length == 5 ? cols[4] : ""));
                    continue;
                }
                section = "";
            }
            if (section == "maps")
            {
                if ((m = MappingLine().Match(line)).Success)
                {
                    r.Mappings.Add(new GdbMapping(Hex.Parse(m.Groups[1].Value), Hex.Parse(m.Groups[2].Value), Hex.Parse(m.Groups[3].Value),
                        Hex.Parse(m.Groups[4].Value), m.Groups[5].Value, m.Groups[6].Value, m.Groups[7].Value.Trim()));
                    continue;
                }
                if (line.TrimStart().StartsWith("Start Addr", StringComparison.Ordinal) || line.Length == 0) continue;
                section = "";
            }
            if ((m = AuxvLine().Match(line)).Success)
            {
                string v = m.Groups[4].Value;
                ulong value = v.StartsWith("0x", StringComparison.Ordinal) ? Hex.Parse(v) : unchecked((ulong)long.Parse(v, CultureInfo.InvariantCulture));
                r.Auxv.Add(new GdbAuxv(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, value,
                    m.Groups[5].Success ? m.Groups[5].Value : null));
                continue;
            }
            if ((m = ProcessField().Match(line)).Success && !r.ProcessLines.ContainsKey(m.Groups[1].Value))
                r.ProcessLines[m.Groups[1].Value] = m.Groups[2].Value.Trim();
        }
        return r;
    }

    [GeneratedRegex(@"^\[New LWP (\d+)\]$")] private static partial Regex NewLwp();
    [GeneratedRegex(@"^Core was generated by `(.*)'\.$")] private static partial Regex GeneratedByLine();
    [GeneratedRegex(@"^Program terminated with signal (SIG\w+)")] private static partial Regex SignalLine();
    [GeneratedRegex(@"^Thread \d+ \(LWP (\d+)\):$")] private static partial Regex ThreadHeader();
    [GeneratedRegex(@"^(\w+)\s+(0x[0-9a-f]+)\s+\S")] private static partial Regex RegisterLine();
    [GeneratedRegex(@"^(cmdline|cwd|exe) = '(.*)'$")] private static partial Regex QuotedValue();
    [GeneratedRegex(@"^\s*(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([r-][w-][x-])\s+([C-][N-][S-][UD-])\s?(.*)$")] private static partial Regex MappingLine();
    [GeneratedRegex(@"^(\d+)\s+(AT_\w+)\s+(.+?)\s+(0x[0-9a-f]+|-?\d+)(?:\s+""(.*)""|\s+<error.*>)?$")] private static partial Regex AuxvLine();
    [GeneratedRegex(@"^([A-Za-z'][A-Za-z' ,()]+?):\s+(.*)$")] private static partial Regex ProcessField();
}

/// <summary>What LLDB 16 printed for a core: <c>thread list</c> and <c>register read --all</c> per selected thread.</summary>
internal sealed partial class LldbReference
{
    public List<LldbThread> Threads { get; } = [];
    public int? ProcessId { get; private set; }

    /// <summary>Registers by 1-based thread index, values as printed ("0x…" or "{0x.. …}").</summary>
    public Dictionary<int, Dictionary<string, string>> Registers { get; } = [];

    public sealed record LldbThread(int Index, long Tid, ulong Pc, string? Name, string StopReason);

    public static LldbReference Parse(IEnumerable<string> lines)
    {
        var r = new LldbReference();
        int? selected = null;
        bool reading = false;
        Dictionary<string, string>? target = null;
        var invalid = new HashSet<int>();
        foreach (var raw in lines)
        {
            string line = raw.TrimEnd();
            Match m;
            if (line.StartsWith("(lldb) ", StringComparison.Ordinal))
            {
                reading = false;
                string command = line[7..].Trim();
                if ((m = SelectCommand().Match(command)).Success)
                {
                    selected = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                }
                else if (command == "register read --all" && selected is { } s && !r.Registers.ContainsKey(s))
                {
                    r.Registers[s] = target = [];
                    reading = true;
                }
                continue;
            }
            if ((m = ThreadListLine().Match(line)).Success && !r.Threads.Any(t => t.Index == int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                r.Threads.Add(new LldbThread(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                    Hex.Parse(m.Groups[3].Value), m.Groups[4].Success ? m.Groups[4].Value : null, m.Groups[5].Value));
                continue;
            }
            if ((m = ProcessLine().Match(line)).Success) { r.ProcessId ??= int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture); continue; }
            if ((m = InvalidThread().Match(line)).Success) { invalid.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)); continue; }
            if (reading && target is not null && (m = RegisterLine().Match(line)).Success)
                target[m.Groups[1].Value] = m.Groups[2].Value;
        }
        // LLDB writes the refusal to stderr and the echoed commands to stdout. Folded into one
        // pipe they can arrive out of order, so a refused index's "register read" (which prints
        // the previously selected thread again) is dropped wherever its error line landed.
        foreach (int index in invalid) r.Registers.Remove(index);
        return r;
    }

    [GeneratedRegex(@"^thread select (\d+)$")] private static partial Regex SelectCommand();
    [GeneratedRegex(@"^[* ] thread #(\d+): tid = (\d+), (0x[0-9a-f]+),(?: name = '([^']*)',)? stop reason = (.*)$")] private static partial Regex ThreadListLine();
    [GeneratedRegex(@"^Process (\d+) stopped$")] private static partial Regex ProcessLine();
    [GeneratedRegex(@"^error: invalid thread #(\d+)\.$")] private static partial Regex InvalidThread();
    [GeneratedRegex(@"^\s+(\w+) = (0x[0-9a-f]+|\{[0-9a-fx ]+\})$")] private static partial Regex RegisterLine();
}

/// <summary><c>readelf -W -h -l -n</c> of a core (reference/*.readelf-notes.txt), binutils 2.40.</summary>
internal sealed partial class ReadelfReference
{
    public List<(long Offset, long Length)> NoteSegments { get; } = [];
    public List<ReadelfNote> Notes { get; } = [];
    public List<ReadelfSegment> Segments { get; } = [];
    public Dictionary<string, string> Header { get; } = [];

    public sealed record ReadelfNote(string Owner, int Size, string TypeName, byte[] Descriptor);
    public sealed record ReadelfSegment(string Type, ulong Offset, ulong VirtualAddress, ulong PhysicalAddress, ulong FileSize, ulong MemorySize, string Flags, ulong Alignment);

    public static ReadelfReference Load(string path)
    {
        var r = new ReadelfReference();
        bool inHeader = false;
        foreach (var raw in File.ReadAllLines(path))
        {
            string line = raw.TrimEnd();
            Match m;
            if (line == "ELF Header:") { inHeader = true; continue; }
            if (inHeader)
            {
                if ((m = HeaderLine().Match(line)).Success) { r.Header[m.Groups[1].Value.Trim()] = m.Groups[2].Value.Trim(); continue; }
                inHeader = false;
            }
            if ((m = SegmentLine().Match(line)).Success)
            {
                r.Segments.Add(new ReadelfSegment(m.Groups[1].Value, Hex.Parse(m.Groups[2].Value), Hex.Parse(m.Groups[3].Value), Hex.Parse(m.Groups[4].Value),
                    Hex.Parse(m.Groups[5].Value), Hex.Parse(m.Groups[6].Value), m.Groups[7].Value.Trim(), Hex.Parse(m.Groups[8].Value)));
                continue;
            }
            if ((m = NotesAt().Match(line)).Success) { r.NoteSegments.Add(((long)Hex.Parse(m.Groups[1].Value), (long)Hex.Parse(m.Groups[2].Value))); continue; }
            if ((m = NoteLine().Match(line)).Success)
            {
                var bytes = m.Groups[4].Success ? Hex.ParseBytes(m.Groups[4].Value) : [];
                r.Notes.Add(new ReadelfNote(m.Groups[1].Value, (int)Hex.Parse(m.Groups[2].Value), m.Groups[3].Value, bytes));
            }
        }
        return r;
    }

    [GeneratedRegex(@"^  ([A-Za-z/ ]+[A-Za-z)]):\s+(.*)$")] private static partial Regex HeaderLine();
    [GeneratedRegex(@"^  (LOAD|NOTE|\w+)\s+(0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) ([RWE ]{3}) (0x[0-9a-f]+)$")] private static partial Regex SegmentLine();
    [GeneratedRegex(@"^Displaying notes found at file offset (0x[0-9a-f]+) with length (0x[0-9a-f]+):$")] private static partial Regex NotesAt();
    [GeneratedRegex(@"^  (\S+)\s+(0x[0-9a-f]+)\t(NT_\w+|[^\t(]+?)(?: \([^)]*\))?(?:\t\s+description data: ([0-9a-f ]+))?\s*$")] private static partial Regex NoteLine();
}
