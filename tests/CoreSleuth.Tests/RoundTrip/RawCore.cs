using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>One program header as stored (spec §1.2).</summary>
public sealed record RawSegment(int Index, uint Type, uint Flags, long Offset, ulong VirtualAddress, long FileSize);

/// <summary>One note record as stored (spec §2.1), with where its header starts in the note segment.</summary>
public sealed record RawNote(int Index, string Name, uint Type, int SegmentOffset, int DescriptorOffset, byte[] Descriptor);

/// <summary>
/// A core file's bytes split by a few lines of ELF arithmetic written here — not by the reader
/// under test — so the original PT_NOTE segment and PT_LOAD contents are exactly what is on disk.
/// </summary>
public sealed class RawCore
{
    private const uint PtLoad = 1, PtNote = 4;

    public RawCore(byte[] bytes)
    {
        Bytes = bytes;
        // Elf64_Ehdr (spec §1.1): e_phoff at 32, e_shoff at 40, e_phnum at 56; PN_XNUM moves the count to sh_info of section 0.
        long phoff = (long)U64(32);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(56));
        if (phnum == 0xFFFF) phnum = (int)U32((int)U64(40) + 44);
        var segments = new List<RawSegment>(phnum);
        for (int i = 0; i < phnum; i++)
        {
            int p = (int)(phoff + 56L * i);
            segments.Add(new RawSegment(i, U32(p), U32(p + 4), (long)U64(p + 8), U64(p + 16), (long)U64(p + 32)));
        }
        Segments = segments;
    }

    public static RawCore Load(string path) => new(File.ReadAllBytes(path));

    public byte[] Bytes { get; }
    public IReadOnlyList<RawSegment> Segments { get; }

    public RawSegment NoteHeader => Segments.Single(s => s.Type == PtNote);

    /// <summary>The PT_NOTE segment's bytes, as far as the file holds them.</summary>
    public byte[] NoteSegment
    {
        get
        {
            var n = NoteHeader;
            return Bytes.AsSpan((int)n.Offset, (int)Math.Min(n.FileSize, Bytes.Length - n.Offset)).ToArray();
        }
    }

    public IEnumerable<RawSegment> Loads => Segments.Where(s => s.Type == PtLoad);

    /// <summary>True when every PT_LOAD's bytes lie inside the file (the LLDB corpus cores were cut after the notes).</summary>
    public bool HasMemory => Loads.All(s => s.Offset + s.FileSize <= Bytes.Length);

    /// <summary>Splits a note segment: 12-byte header, name padded to 4, descriptor padded to 4 (spec §2.1).</summary>
    public static IReadOnlyList<RawNote> SplitNotes(ReadOnlySpan<byte> segment)
    {
        var notes = new List<RawNote>();
        int p = 0;
        while (segment.Length - p >= 12)
        {
            int namesz = (int)BinaryPrimitives.ReadUInt32LittleEndian(segment[p..]);
            int descsz = (int)BinaryPrimitives.ReadUInt32LittleEndian(segment[(p + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(segment[(p + 8)..]);
            int desc = p + 12 + Align4(namesz);
            if (namesz < 0 || descsz < 0 || desc > segment.Length || descsz > segment.Length - desc) break;
            var name = segment.Slice(p + 12, namesz);
            int nul = name.IndexOf((byte)0);
            notes.Add(new RawNote(notes.Count, Encoding.ASCII.GetString(nul < 0 ? name : name[..nul]), type, p, desc, segment.Slice(desc, descsz).ToArray()));
            p = desc + Align4(descsz);
        }
        return notes;
    }

    private static int Align4(int n) => (n + 3) & ~3;
    private uint U32(int o) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(o));
    private ulong U64(int o) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(o));
}
