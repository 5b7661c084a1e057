using System.Buffers.Binary;
using System.Text;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Elf;

/// <summary>
/// An ELF64 little-endian file parsed down to its header, program headers, section headers
/// (when present, never required) and notes. Damage past the ELF header becomes a warning
/// and the parts still readable are kept; only an unusable ELF header is an error.
/// </summary>
public sealed class ElfFile
{
    /// <summary>Upper bound on program headers, so a hostile count cannot drive allocation.</summary>
    public const int MaxProgramHeaders = 2_000_000;

    /// <summary>Upper bound on the bytes of all note segments together (a 20,000-thread core needs ~60 MB).</summary>
    public const long MaxNoteBytes = 64L << 20;

    private const int MaxSectionHeaders = 65_536;

    private readonly List<string> warnings = [];

    private ElfFile(ByteSource source)
    {
        Source = source;
        Header = ReadHeader(source);
        ProgramHeaders = ReadProgramHeaders();
        SectionHeaders = ReadSectionHeaders();
        Notes = ReadNotes();
    }

    public ByteSource Source { get; }
    public ElfHeader Header { get; }
    public IReadOnlyList<ProgramHeader> ProgramHeaders { get; }
    public IReadOnlyList<SectionHeader> SectionHeaders { get; }
    public IReadOnlyList<ElfNote> Notes { get; }

    /// <summary>What was damaged or odd, each naming the file offset.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Parses <paramref name="source"/>; throws <see cref="CoreFormatException"/> or <see cref="UnsupportedCoreException"/>.</summary>
    public static ElfFile Parse(ByteSource source) => new(source);

    private void Warn(long offset, string message) => warnings.Add($"at file offset 0x{offset:x}: {message}");

    private static ElfHeader ReadHeader(ByteSource source)
    {
        var ident = source.Slice(0, 16);
        if (ident.Length < 4 || ident[0] != 0x7F || ident[1] != (byte)'E' || ident[2] != (byte)'L' || ident[3] != (byte)'F')
        {
            if (source.Length == 0)
                throw new CoreFormatException(0, "the file is empty; expected an ELF core (magic 7f 45 4c 46)");
            throw new CoreFormatException(0,
                $"not an ELF file: the first bytes are {Convert.ToHexString(source.Slice(0, 4)).ToLowerInvariant()}, expected 7f454c46 (\"\\x7fELF\")");
        }
        if (ident.Length < 16)
            throw new CoreFormatException(0, $"the ELF identification needs 16 bytes but the file has {source.Length}");

        byte elfClass = ident[4], data = ident[5], osAbi = ident[7];
        if (elfClass == ELFCLASS32)
        {
            var m = source.Slice(18, 2);
            string machine = m.Length == 2 ? DescribeMachine(BinaryPrimitives.ReadUInt16LittleEndian(m)) : "unknown machine";
            throw new UnsupportedCoreException(
                $"{source.Name} is a 32-bit ELF file (ELFCLASS32, {machine}, OS/ABI {DescribeOsAbi(osAbi)}); CoreSleuth reads only 64-bit FreeBSD amd64 (x86-64) core files.");
        }
        if (elfClass != ELFCLASS64)
            throw new CoreFormatException(4, $"EI_CLASS is {elfClass}; expected 2 (ELFCLASS64)");
        if (data != ELFDATA2LSB)
            throw new CoreFormatException(5, $"EI_DATA is {data}; expected 1 (little-endian); CoreSleuth reads only FreeBSD amd64 cores");

        var h = source.Require(0, EhdrSize, "the ELF64 header");
        ushort phnum = U16(h, 56);
        var header = new ElfHeader(
            Class: elfClass, Data: data, OsAbi: osAbi, AbiVersion: h[8],
            Type: U16(h, 16), Machine: U16(h, 18), Version: U32(h, 20), Entry: U64(h, 24),
            ProgramHeaderOffset: U64(h, 32), SectionHeaderOffset: U64(h, 40), Flags: U32(h, 48),
            HeaderSize: U16(h, 52), ProgramHeaderEntrySize: U16(h, 54), RawProgramHeaderCount: phnum,
            SectionHeaderEntrySize: U16(h, 58), RawSectionHeaderCount: U16(h, 60), SectionNameTableIndex: U16(h, 62),
            ProgramHeaderCount: phnum, ExtendedNumbering: phnum == PN_XNUM);

        if (header.ExtendedNumbering)
        {
            // Spec §1.1: with PN_XNUM the real count is sh_info of section header 0.
            long shoff = checked((long)Math.Min(header.SectionHeaderOffset, long.MaxValue));
            if (header.SectionHeaderOffset == 0)
                throw new CoreFormatException(56, "e_phnum is PN_XNUM (0xffff) but e_shoff is 0, so the real program-header count is missing");
            var sh0 = source.Require(shoff, ShdrSize, "section header 0 (it holds the PN_XNUM program-header count)");
            uint count = U32(sh0, 44);
            if (count > MaxProgramHeaders)
                throw new CoreFormatException(shoff + 44, $"sh_info claims {count} program headers; more than {MaxProgramHeaders} is not a plausible core");
            header = header with { ProgramHeaderCount = (int)count };
        }
        return header;
    }

    private List<ProgramHeader> ReadProgramHeaders()
    {
        var list = new List<ProgramHeader>();
        int count = Header.ProgramHeaderCount;
        if (count == 0) return list;
        if (Header.ProgramHeaderEntrySize != PhdrSize)
            throw new CoreFormatException(54, $"e_phentsize is {Header.ProgramHeaderEntrySize}; ELF64 program headers are {PhdrSize} bytes");
        if (Header.ProgramHeaderOffset >= (ulong)Source.Length)
        {
            Warn(32, $"the program header table at 0x{Header.ProgramHeaderOffset:x} lies beyond the end of the file ({Source.Length} bytes): no segments");
            return list;
        }

        long offset = (long)Header.ProgramHeaderOffset;
        for (int i = 0; i < count; i++, offset += PhdrSize)
        {
            var p = Source.Slice(offset, PhdrSize);
            if (p.Length < PhdrSize)
            {
                Warn(offset, $"the file ends inside the program header table: {i} of {count} program headers are readable");
                break;
            }
            list.Add(new ProgramHeader(i, U32(p, 0), U32(p, 4), U64(p, 8), U64(p, 16), U64(p, 24), U64(p, 32), U64(p, 40), U64(p, 48)));
        }
        return list;
    }

    private List<SectionHeader> ReadSectionHeaders()
    {
        var list = new List<SectionHeader>();
        if (Header.SectionHeaderOffset == 0) return list;
        long shoff = (long)Math.Min(Header.SectionHeaderOffset, long.MaxValue);
        int count = Header.RawSectionHeaderCount;
        if (count == 0 && Header.SectionHeaderOffset != 0)
        {
            // ELF: e_shnum 0 with e_shoff set means the count is sh_size of section 0.
            var sh0 = Source.Slice(shoff, ShdrSize);
            if (sh0.Length == ShdrSize) count = (int)Math.Min(U64(sh0, 32), MaxSectionHeaders + 1UL);
        }
        if (count == 0) return list;
        if (Header.SectionHeaderEntrySize != ShdrSize)
        {
            Warn(58, $"e_shentsize is {Header.SectionHeaderEntrySize}, not {ShdrSize}: section headers ignored");
            return list;
        }
        if (count > MaxSectionHeaders)
        {
            Warn(60, $"{count} section headers is implausible: section headers ignored");
            return list;
        }

        var raw = new List<(int Index, uint Name, uint Type, ulong Flags, ulong Addr, ulong Off, ulong Size, uint Link, uint Info, ulong Align, ulong EntSize)>();
        for (int i = 0; i < count; i++)
        {
            long at = shoff + (long)i * ShdrSize;
            var s = Source.Slice(at, ShdrSize);
            if (s.Length < ShdrSize)
            {
                Warn(at, $"the file ends inside the section header table: {i} of {count} section headers are readable");
                break;
            }
            raw.Add((i, U32(s, 0), U32(s, 4), U64(s, 8), U64(s, 16), U64(s, 24), U64(s, 32), U32(s, 40), U32(s, 44), U64(s, 48), U64(s, 56)));
        }

        int strIndex = Header.SectionNameTableIndex == 0xFFFF && raw.Count > 0 ? (int)raw[0].Link : Header.SectionNameTableIndex;
        var strtab = strIndex > 0 && strIndex < raw.Count
            ? Source.Slice((long)Math.Min(raw[strIndex].Off, long.MaxValue), (int)Math.Min(raw[strIndex].Size, 1UL << 20))
            : [];
        foreach (var r in raw)
            list.Add(new SectionHeader(r.Index, r.Name, CString(strtab, r.Name), r.Type, r.Flags, r.Addr, r.Off, r.Size, r.Link, r.Info, r.Align, r.EntSize));
        return list;
    }

    private List<ElfNote> ReadNotes()
    {
        var notes = new List<ElfNote>();
        long budget = MaxNoteBytes;
        foreach (var ph in ProgramHeaders)
        {
            if (!ph.IsNote || ph.FileSize == 0) continue;
            if (ph.FileSize > (ulong)budget)
            {
                Warn((long)Header.ProgramHeaderOffset + (long)ph.Index * PhdrSize, $"PT_NOTE segment {ph.Index} claims {ph.FileSize} bytes; notes beyond {MaxNoteBytes >> 20} MiB in total are not read");
                continue;
            }
            long start = (long)Math.Min(ph.Offset, long.MaxValue);
            var bytes = Source.Slice(start, (int)ph.FileSize).ToArray();
            budget -= bytes.Length;
            if (bytes.Length < (int)ph.FileSize)
                Warn(start + bytes.Length,
                    $"the file ends inside PT_NOTE segment {ph.Index}: {bytes.Length} of {ph.FileSize} note bytes are present (the core is truncated)");
            ParseNoteSegment(bytes, start, notes);
        }
        return notes;
    }

    /// <summary>Walks one note segment (spec §2.1): 12-byte header, name and descriptor each padded to 4.</summary>
    private void ParseNoteSegment(byte[] segment, long fileOffset, List<ElfNote> notes)
    {
        int pos = 0;
        while (pos < segment.Length)
        {
            long at = fileOffset + pos;
            if (segment.Length - pos < NoteHeaderSize)
            {
                if (segment.AsSpan(pos).IndexOfAnyExcept((byte)0) >= 0)
                    Warn(at, $"{segment.Length - pos} bytes at the end of the note segment are too short for a note header");
                return;
            }
            var span = segment.AsSpan(pos);
            uint namesz = U32(span, 0), descsz = U32(span, 4), type = U32(span, 8);
            long nameStart = pos + NoteHeaderSize;
            long descStart = nameStart + Align4(namesz);
            long next = descStart + Align4(descsz);
            if (descStart + descsz > segment.Length || nameStart + namesz > segment.Length)
            {
                Warn(at, $"note {notes.Count} (type {type}) claims a {namesz}-byte name and a {descsz}-byte descriptor, past the end of the note segment; later notes are lost");
                return;
            }
            string name = Encoding.ASCII.GetString(segment, (int)nameStart, (int)namesz).TrimEnd('\0');
            var desc = new ReadOnlyMemory<byte>(segment, (int)descStart, (int)descsz);
            notes.Add(new ElfNote(notes.Count, name, type, at, desc) { DescriptorFileOffset = fileOffset + descStart });
            pos = (int)Math.Min(next, segment.Length);
        }
    }

    private static long Align4(uint value) => ((long)value + 3) & ~3L;

    internal static string CString(ReadOnlySpan<byte> table, uint offset)
    {
        if (offset >= table.Length) return "";
        var rest = table[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(nul < 0 ? rest : rest[..nul]);
    }

    private static ushort U16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
    private static uint U32(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt32LittleEndian(s[o..]);
    private static ulong U64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);
}
