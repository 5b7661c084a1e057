using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Writer;

/// <summary>One note as binutils readelf -W -n prints it.</summary>
internal sealed record ReadelfNote(string Owner, int DataSize, string TypeName, byte[]? Data)
{
    public byte[] Bytes => Data ?? throw new InvalidOperationException($"readelf printed no description data for {Owner} {TypeName}");
    public int I32(int off) => BinaryPrimitives.ReadInt32LittleEndian(Bytes.AsSpan(off));
    public uint U32(int off) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(off));
    public ushort U16(int off) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(off));
    public ulong U64(int off) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(off));
    public long I64(int off) => BinaryPrimitives.ReadInt64LittleEndian(Bytes.AsSpan(off));
    public string CString(int off, int max)
    {
        var span = Bytes.AsSpan(off, max);
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? span : span[..nul]);
    }
    public override string ToString() => $"{Owner} 0x{DataSize:x} {TypeName}";
}

/// <summary>One program header line of readelf -W -l.</summary>
internal sealed record ReadelfSegment(string Type, ulong Offset, ulong VirtAddr, ulong FileSize, ulong MemSize, string Flags, ulong Align);

/// <summary>One section header line of readelf -W -S.</summary>
internal sealed record ReadelfSection(int Index, string Name, string Type, ulong Address, ulong Offset, ulong Size, string Flags);

/// <summary>Parses what readelf prints; every test goes through here, never through the writer's own view of the file.</summary>
internal static partial class ReadelfOutput
{
    public static IReadOnlyList<ReadelfNote> Notes(string core)
    {
        var r = RunOk("-W", "-n", core);
        var notes = new List<ReadelfNote>();
        foreach (var line in r.StdOut.Split('\n'))
        {
            var m = NoteLine().Match(line);
            if (!m.Success) continue;
            byte[]? data = null;
            if (m.Groups["data"].Success)
                data = m.Groups["data"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(h => byte.Parse(h, NumberStyles.HexNumber)).ToArray();
            notes.Add(new ReadelfNote(m.Groups["owner"].Value, int.Parse(m.Groups["size"].Value, NumberStyles.HexNumber),
                m.Groups["type"].Value, data));
        }
        return notes;
    }

    public static (IReadOnlyDictionary<string, string> Header, IReadOnlyList<ReadelfSegment> Segments, string StdErr) HeaderAndSegments(string core)
    {
        var r = RunOk("-W", "-h", "-l", core);
        var header = new Dictionary<string, string>();
        var segments = new List<ReadelfSegment>();
        foreach (var line in r.StdOut.Split('\n'))
        {
            var s = SegmentLine().Match(line);
            if (s.Success)
            {
                segments.Add(new ReadelfSegment(s.Groups[1].Value, Hex(s.Groups[2].Value), Hex(s.Groups[3].Value),
                    Hex(s.Groups[5].Value), Hex(s.Groups[6].Value), s.Groups[7].Value.Replace(" ", ""), Hex(s.Groups[8].Value)));
                continue;
            }
            var h = HeaderLine().Match(line);
            if (h.Success) header[h.Groups[1].Value.Trim()] = h.Groups[2].Value.Trim();
        }
        return (header, segments, r.StdErr);
    }

    /// <summary>readelf -W -h only (program-header listings of huge section tables are slow: readelf maps every section to every segment).</summary>
    public static (IReadOnlyDictionary<string, string> Header, string StdErr) Header(string core)
    {
        var r = RunOk("-W", "-h", core);
        var header = new Dictionary<string, string>();
        foreach (var line in r.StdOut.Split('\n'))
        {
            var h = HeaderLine().Match(line);
            if (h.Success) header[h.Groups[1].Value.Trim()] = h.Groups[2].Value.Trim();
        }
        return (header, r.StdErr);
    }

    public static (IReadOnlyList<ReadelfSection> Sections, string StdErr) Sections(string core)
    {
        var r = RunOk("-W", "-S", core);
        var list = new List<ReadelfSection>();
        foreach (var line in r.StdOut.Split('\n'))
        {
            var m = SectionLine().Match(line);
            if (m.Success)
                list.Add(new ReadelfSection(int.Parse(m.Groups[1].Value), m.Groups[2].Value.Trim(), m.Groups[3].Value,
                    Hex(m.Groups[4].Value), Hex(m.Groups[5].Value), Hex(m.Groups[6].Value), m.Groups[7].Value.Trim()));
        }
        return (list, r.StdErr);
    }

    private static ExternalTools.Result RunOk(params string[] args)
    {
        var r = ExternalTools.Run(ExternalTools.Readelf, args);
        Assert.True(r.ExitCode == 0, $"readelf {string.Join(' ', args)} failed ({r.ExitCode}): {r.StdErr}");
        return r;
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber);

    // "  FreeBSD              0x000000e0\tNT_PRSTATUS (prstatus structure)\t   description data: 01 00 ..."
    [GeneratedRegex(@"^\s{2}(?<owner>\S+)\s+0x(?<size>[0-9a-f]{8})\t(?<type>\S+)[^\t]*(?:\t\s*description data:(?<data>[0-9a-f ]*))?\s*$")]
    private static partial Regex NoteLine();

    // "  LOAD           0x003000 0x0000000000616000 0x0000000000000000 0x001000 0x001000 RW  0x1000"
    [GeneratedRegex(@"^\s+([A-Z_]+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) ([RWE ]{3}) 0x([0-9a-f]+)\s*$")]
    private static partial Regex SegmentLine();

    [GeneratedRegex(@"^\s+([A-Za-z][^:]*):\s+(.*)$")]
    private static partial Regex HeaderLine();

    // "  [ 2] load              PROGBITS        0000000000202000 002000 001000 00  WA  0   0  1"
    [GeneratedRegex(@"^\s+\[\s*(\d+)\]\s(.{17})\s(\S+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) [0-9a-f]{2} (.{3})")]
    private static partial Regex SectionLine();
}
