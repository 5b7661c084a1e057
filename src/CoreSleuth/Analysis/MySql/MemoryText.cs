using System.Text;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Analysis.MySql;

/// <summary>A printable string found in the process's memory around an occurrence of a needle.</summary>
public sealed record MemoryTextHit(ulong Address, ulong StringStart, string Text, bool Truncated);

/// <summary>
/// Searches the writable memory of the core for a byte string (e.g. a FIFO path) and returns the
/// printable text around each occurrence — typically the statement (<c>LOAD DATA INFILE '…'</c>)
/// that mentions it. Reads through the memory map without copying whole segments.
/// </summary>
public static class MemoryText
{
    public const int MaxContext = 1024;

    public static IReadOnlyList<MemoryTextHit> Find(FreeBsdCore core, string needle, int maxHits = 16)
    {
        var hits = new List<MemoryTextHit>();
        var pattern = Encoding.UTF8.GetBytes(needle);
        if (pattern.Length == 0) return hits;
        var seen = new HashSet<ulong>();
        foreach (var (start, end) in SignatureScan.Regions(core))
        {
            for (ulong at = start; at < end && hits.Count < maxHits;)
            {
                var span = core.Memory.GetSpan(at, (int)Math.Min(1UL << 30, end - at));
                if (span.IsEmpty)
                {
                    var next = core.Memory.Segments.FirstOrDefault(s => s.Start > at && s.Start < end);
                    if (next is null) break;
                    at = next.Start;
                    continue;
                }
                int offset = 0;
                while (hits.Count < maxHits)
                {
                    int i = span[offset..].IndexOf(pattern);
                    if (i < 0) break;
                    ulong hit = at + (ulong)(offset + i);
                    var text = Surrounding(core, hit, pattern.Length);
                    if (seen.Add(text.StringStart)) hits.Add(text);
                    offset += i + pattern.Length;
                }
                // Overlap chunk boundaries by the needle length so no occurrence is split.
                ulong advance = (ulong)Math.Max(1, span.Length - (span.Length == 1 << 30 ? pattern.Length : 0));
                at += advance;
            }
        }
        return hits;
    }

    /// <summary>The run of printable characters (and tabs/newlines) around the hit, at most <see cref="MaxContext"/> bytes each way.</summary>
    private static MemoryTextHit Surrounding(FreeBsdCore core, ulong hit, int length)
    {
        ulong from = hit >= MaxContext ? hit - MaxContext : 0;
        var before = new byte[(int)(hit - from)];
        int got = core.Memory.Read(from, before);
        if (got < before.Length) { before = before[..0]; from = hit; }
        int startIndex = before.Length;
        while (startIndex > 0 && Printable(before[startIndex - 1])) startIndex--;

        var after = new byte[length + MaxContext];
        int n = core.Memory.Read(hit, after);
        int endIndex = length;
        while (endIndex < n && Printable(after[endIndex])) endIndex++;
        bool truncated = startIndex == 0 && before.Length == MaxContext || endIndex == after.Length;

        var bytes = before[startIndex..].Concat(after[..endIndex]).ToArray();
        return new MemoryTextHit(hit, from + (ulong)startIndex, Encoding.UTF8.GetString(bytes), truncated);
    }

    private static bool Printable(byte b) => b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\n' or >= 0x80;
}
