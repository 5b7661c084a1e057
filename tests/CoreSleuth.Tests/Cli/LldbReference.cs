using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// The register dumps of a corpus <c>reference/*.lldb.txt</c> file (LLDB 16: <c>thread list</c>,
/// then <c>thread select N</c> + <c>register read --all</c> for each thread).
/// </summary>
internal sealed class LldbReference
{
    /// <summary>LWP → register name → value as LLDB prints it ("0x037f" or "{0x00 0x01 …}").</summary>
    public Dictionary<int, Dictionary<string, string>> Registers { get; } = [];

    public static LldbReference Load(string path)
    {
        var r = new LldbReference();
        var lwpOfThread = new Dictionary<int, int>();
        int current = 1;
        Dictionary<string, string>? block = null;
        string? previous = null;
        foreach (string line in File.ReadLines(path))
        {
            Match m;
            if ((m = Regex.Match(line, @"^[* ] thread #(\d+): tid = (\d+),")).Success)
                lwpOfThread[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            else if (previous is not null && Regex.Match(previous, @"^\(lldb\) thread select (\d+)$") is { Success: true } sel && line.StartsWith("* thread #", StringComparison.Ordinal))
                current = int.Parse(sel.Groups[1].Value, CultureInfo.InvariantCulture);
            else if (line == "(lldb) register read --all")
                r.Registers[lwpOfThread[current]] = block = [];
            else if (line.StartsWith("(lldb)", StringComparison.Ordinal))
                block = null;
            else if (block is not null && (m = Regex.Match(line, @"^\s*(\w+) = (0x[0-9a-f]+|\{[^}]*\})$")).Success)
                block[m.Groups[1].Value] = m.Groups[2].Value;
            previous = line;
        }
        return r;
    }

    public static byte[] Bytes(string braces) =>
        braces.Trim('{', '}').Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => Convert.ToByte(b[2..], 16)).ToArray();
}
