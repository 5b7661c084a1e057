using System.Buffers.Binary;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// Says where two cores first differ, in terms a person can act on: the note (index, type,
/// owner, thread), the offset inside its descriptor (and inside the record for the multi-record
/// notes), and both byte values — or the ELF header, program header or PT_LOAD segment.
/// </summary>
public static class CoreDiff
{
    /// <summary>Null when the note segments are identical, else the first difference.</summary>
    public static string? NoteSegments(byte[] original, byte[] written)
    {
        if (original.AsSpan().SequenceEqual(written)) return null;
        var a = RawCore.SplitNotes(original);
        var b = RawCore.SplitNotes(written);
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var x = a[i];
            var y = b[i];
            if (x.Name != y.Name || x.Type != y.Type)
                return $"note {i}: the original has {Label(x)}, the writer wrote {Label(y)}{Context(a, i)}";
            int k = FirstDifference(x.Descriptor, y.Descriptor);
            if (k < 0) continue;
            string where = $"note {i} {Label(x)}{Context(a, i)}";
            if (k >= Math.Min(x.Descriptor.Length, y.Descriptor.Length))
                return $"{where}: the descriptor is {x.Descriptor.Length} bytes in the original, {y.Descriptor.Length} written (the first {k} agree)";
            return $"{where}: first difference at descriptor offset {k} (0x{k:x}){Within(x, k)}: original 0x{x.Descriptor[k]:x2}, written 0x{y.Descriptor[k]:x2}";
        }
        if (a.Count != b.Count)
        {
            var extra = a.Count > b.Count ? a[b.Count] : b[a.Count];
            return $"the original has {a.Count} notes, the writer wrote {b.Count}; the first unmatched is {Label(extra)}{Context(a.Count > b.Count ? a : b, extra.Index)}";
        }
        int s = FirstDifference(original, written);
        return s >= Math.Min(original.Length, written.Length)
            ? $"the note segment is {original.Length} bytes in the original, {written.Length} written"
            : $"the notes agree but the segments differ at offset 0x{s:x} (padding between notes): original 0x{original[s]:x2}, written 0x{written[s]:x2}";
    }

    /// <summary>Null when the files are identical, else the first difference and the part of the file it lies in.</summary>
    public static string? Files(byte[] original, byte[] written)
    {
        if (original.AsSpan().SequenceEqual(written)) return null;
        var raw = new RawCore(original);
        var note = raw.NoteHeader;
        int k = FirstDifference(original, written);
        if (k >= note.Offset && k < note.Offset + note.FileSize && written.Length >= note.Offset + note.FileSize)
            return "in the PT_NOTE segment: " + NoteSegments(raw.NoteSegment, written.AsSpan((int)note.Offset, (int)note.FileSize).ToArray());
        if (k >= Math.Min(original.Length, written.Length))
            return $"the file is {original.Length} bytes in the original, {written.Length} written (the first {k} agree)";
        string region = k < 64 ? $"ELF header offset {k}"
            : raw.Segments.FirstOrDefault(s => k >= s.Offset && k < s.Offset + s.FileSize && s.Type == 1) is { } load
                ? $"PT_LOAD #{load.Index} (vaddr 0x{load.VirtualAddress:x}) at +0x{k - load.Offset:x}"
            : k < 64 + 56L * raw.Segments.Count ? $"program header #{(k - 64) / 56} offset {(k - 64) % 56}"
            : "outside every segment (section headers or padding)";
        return $"first difference at file offset 0x{k:x}, {region}: original 0x{original[k]:x2}, written 0x{written[k]:x2}";
    }

    private static int FirstDifference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        int k = x.CommonPrefixLength(y);
        return k == x.Length && k == y.Length ? -1 : k;
    }

    private static string Label(RawNote n) => $"{NoteType.Name(n.Type)} (owner \"{n.Name}\", {n.Descriptor.Length} bytes)";

    /// <summary>For per-thread notes, the LWP of the NT_PRSTATUS they follow (spec §2.3 grouping rule).</summary>
    private static string Context(IReadOnlyList<RawNote> notes, int index)
    {
        if (notes[index].Type != NoteType.PrStatus && !NoteType.IsPerThread(notes[index].Type)) return "";
        for (int i = index; i >= 0; i--)
            if (notes[i].Type == NoteType.PrStatus && notes[i].Descriptor.Length >= 44)
                return $" of thread LWP {BinaryPrimitives.ReadInt32LittleEndian(notes[i].Descriptor.AsSpan(40))}";
        return "";
    }

    /// <summary>Which record of a multi-record note the offset falls in (spec §2.2: 4-byte prefix, then records).</summary>
    private static string Within(RawNote n, int k)
    {
        var d = n.Descriptor;
        if (k < 4 && n.Type is >= NoteType.ProcStatProc and <= NoteType.PtLwpInfo) return " (the structsize prefix)";
        switch (n.Type)
        {
            case NoteType.ProcStatProc:
                return $" = kinfo_proc record {(k - 4) / KinfoProc.Size}, offset {(k - 4) % KinfoProc.Size} (spec §4)";
            case NoteType.ProcStatFiles or NoteType.ProcStatVmMap:
                int p = 4, r = 0;
                while (p + 4 <= d.Length)
                {
                    int size = BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(p));
                    if (size <= 0) break;
                    if (k < p + size)
                        return $" = {(n.Type == NoteType.ProcStatFiles ? "kinfo_file" : "kinfo_vmentry")} record {r}, offset {k - p} (spec §{(n.Type == NoteType.ProcStatFiles ? 5 : 6)})";
                    p += size;
                    r++;
                }
                return " (after the last record: note padding)";
            case NoteType.PtLwpInfo:
                return $" = ptrace_lwpinfo offset {k - 4} (spec §3.6)";
            case NoteType.PrStatus when k >= 48:
                return $" = struct reg offset {k - 48} (spec §3.2)";
            default:
                return "";
        }
    }
}
