using System.Buffers.Binary;
using System.Text;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Elf;

/// <summary>
/// An ELF64 little-endian file parsed down to its header, program headers, section headers
/// (when present, never required) and notes. Damage past the ELF header becomes a warning
/// and the parts still readable are kept; only an unusable ELF header is an error.
/// </summary>
public sealed partial class ElfFile
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
        Header = ReadHeader(source, Warn);
        ProgramHeaders = ReadProgramHeaders();
        SectionHeaders = ReadSectionHeaders();
        Notes = ReadNotes();
    }

    public ByteSource Source { get; }
    public ElfHeader Header { get; }
    public IReadOnlyList<ProgramHeader> ProgramHeaders { get; }
    public IReadOnlyList<SectionHeader> SectionHeaders { get; }
    /// <summary>The notes of every PT_NOTE segment, in file order.</summary>
    public ElfNoteList Notes { get; }

    /// <summary>True when a PT_NOTE segment is cut short by the end of the file, so notes may be missing.</summary>
    public bool NotesTruncated { get; private set; }

    /// <summary>What was damaged or odd, each naming the file offset.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>The notes walked on another core as they were read in, and kept (tests tell the path taken by it).</summary>
    internal int NotesWalkedAhead { get; private set; }

    /// <summary>Parses <paramref name="source"/>; throws <see cref="CoreFormatException"/> or <see cref="UnsupportedCoreException"/>.</summary>
    public static ElfFile Parse(ByteSource source) => new(source);

    private void Warn(long offset, string message) => warnings.Add($"at file offset 0x{offset:x}: {message}");

    /// <summary>"the file ends at 0x…": every truncation warning names where the bytes stop.</summary>
    private string EndOfFile => $"the file ends at offset 0x{Source.Length:x}";

    private static ElfHeader ReadHeader(ByteSource source, Action<long, string> warn)
    {
        const string reads = "CoreSleuth reads FreeBSD amd64 (x86-64) ELF core files";
        var ident = source.Slice(0, 16);
        if (source.Length == 0)
            throw new CoreFormatException(0, $"the file has no bytes to read (empty, or not a regular file: a FIFO, socket or device); {reads}");
        if (!IsElfMagicPrefix(source.Slice(0, 4)))
            throw new UnsupportedCoreException($"{source.Name} is not an ELF file ({DescribeContent(source)}); {reads}.");
        if (ident.Length < 16)
            throw new CoreFormatException(0, $"the file ends at offset 0x{source.Length:x}, inside the 16-byte ELF identification; {reads}");

        byte elfClass = ident[4], data = ident[5], osAbi = ident[7];
        if (elfClass == ELFCLASS32)
        {
            // Elf32_Ehdr has e_type and e_machine at the same offsets as Elf64_Ehdr (16 and 18).
            var tm = source.Slice(16, 4);
            string what = tm.Length == 4
                ? $"{DescribeType(U16(tm, 0), OsAbiQualifier(osAbi))} for {DescribeMachine(U16(tm, 2))}"
                : "an ELF file";
            throw new UnsupportedCoreException(
                $"{source.Name} is {what}, a 32-bit (ELFCLASS32) ELF file; CoreSleuth reads only 64-bit FreeBSD amd64 (x86-64) core files.");
        }
        if (elfClass != ELFCLASS64)
            throw new CoreFormatException(4, $"EI_CLASS is {elfClass}, neither 1 (32-bit) nor 2 (64-bit), so this is no usable ELF file; {reads}");
        if (data != ELFDATA2LSB)
        {
            if (data == 2)
                throw new UnsupportedCoreException($"{source.Name} is a big-endian (ELFDATA2MSB) 64-bit ELF file; {reads}, which are little-endian.");
            throw new CoreFormatException(5, $"EI_DATA is {data}, neither 1 (little-endian) nor 2 (big-endian); {reads}");
        }

        var h = source.Slice(0, EhdrSize);
        if (h.Length < EhdrSize)
            throw new CoreFormatException(0, $"the file ends at offset 0x{source.Length:x}, inside the 64-byte ELF64 header; {reads}");
        ushort phnum = U16(h, 56);
        var header = new ElfHeader(
            Class: elfClass, Data: data, OsAbi: osAbi, AbiVersion: h[8],
            Type: U16(h, 16), Machine: U16(h, 18), Version: U32(h, 20), Entry: U64(h, 24),
            ProgramHeaderOffset: U64(h, 32), SectionHeaderOffset: U64(h, 40), Flags: U32(h, 48),
            HeaderSize: U16(h, 52), ProgramHeaderEntrySize: U16(h, 54), RawProgramHeaderCount: phnum,
            SectionHeaderEntrySize: U16(h, 58), RawSectionHeaderCount: U16(h, 60), SectionNameTableIndex: U16(h, 62),
            ProgramHeaderCount: phnum, ExtendedNumbering: phnum == PN_XNUM);

        if (header.ExtendedNumbering)
            header = header with { ProgramHeaderCount = ExtendedProgramHeaderCount(source, header, warn) };
        return header;
    }

    /// <summary>
    /// Spec §1.1: with PN_XNUM the real count is sh_info of section header 0, which gcore and
    /// the kernel write right after the program headers. When that header is missing (a core
    /// cut short inside its header tables), its position still tells the count.
    /// </summary>
    private static int ExtendedProgramHeaderCount(ByteSource source, ElfHeader header, Action<long, string> warn)
    {
        ulong shoff = header.SectionHeaderOffset, phoff = header.ProgramHeaderOffset;
        if (shoff == 0)
            throw new CoreFormatException(56, "e_phnum is PN_XNUM (0xffff) but e_shoff is 0, so the real program-header count is missing");
        var sh0 = shoff < (ulong)source.Length ? source.Slice((long)shoff, ShdrSize) : [];
        if (sh0.Length == ShdrSize)
        {
            uint count = U32(sh0, 44);
            if (count <= MaxProgramHeaders) return (int)count;
            warn((long)shoff + 44, $"sh_info of section header 0 claims {count} program headers (PN_XNUM); only the first {MaxProgramHeaders} are read");
            return MaxProgramHeaders;
        }
        if (shoff > phoff && (shoff - phoff) % PhdrSize == 0 && (shoff - phoff) / PhdrSize <= MaxProgramHeaders)
        {
            int inferred = (int)((shoff - phoff) / PhdrSize);
            warn((long)Math.Min(shoff, long.MaxValue),
                $"section header 0, which holds the PN_XNUM program-header count, lies past the end of the file (the file ends at offset 0x{source.Length:x}); the count is taken as {inferred}, the room between e_phoff and e_shoff (sys/sys/elf_common.h: PN_XNUM)");
            return inferred;
        }
        throw new CoreFormatException((long)Math.Min(shoff, long.MaxValue),
            $"e_phnum is PN_XNUM (0xffff) but section header 0 at 0x{shoff:x}, which holds the real program-header count, lies past the end of the file (the file ends at offset 0x{source.Length:x})");
    }

    private static bool IsElfMagicPrefix(ReadOnlySpan<byte> first)
    {
        ReadOnlySpan<byte> magic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
        return first.Length > 0 && magic.StartsWith(first);
    }

    /// <summary>What a non-ELF file looks like, for the refusal sentence.</summary>
    private static string DescribeContent(ByteSource source)
    {
        var b = source.Slice(0, 8);
        string hex = string.Join(' ', b.ToArray().Select(x => x.ToString("x2")));
        if (b.Length >= 2 && b[0] == 0x1F && b[1] == 0x8B)
            return $"it is gzip-compressed, starting with {hex}; a compressed core must be decompressed first";
        if (b.Length >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD)
            return $"it is zstd-compressed, starting with {hex}; a compressed core must be decompressed first";
        return $"it starts with the bytes {hex}, not the ELF magic 7f 45 4c 46";
    }

    private List<ProgramHeader> ReadProgramHeaders()
    {
        var list = new List<ProgramHeader>();
        int count = Header.ProgramHeaderCount;
        if (count == 0) return list;
        if (Header.ProgramHeaderEntrySize != PhdrSize)
            throw new CoreFormatException(54, $"e_phentsize is {Header.ProgramHeaderEntrySize}; ELF64 program headers are {PhdrSize} bytes");
        ulong phoff = Header.ProgramHeaderOffset;
        if (phoff >= (ulong)Source.Length)
        {
            Warn(32, $"the program header table at 0x{phoff:x} lies past the end of the file ({EndOfFile}): no segments, notes or memory");
            return list;
        }

        long start = (long)phoff;
        int limit = count;
        // No producer lets the program header table run into the section header table (which
        // follows it directly with PN_XNUM, spec §1.1): a count that says so is wrong.
        ulong shoff = Header.SectionHeaderOffset;
        if (shoff > phoff && (shoff - phoff) / PhdrSize < (ulong)count)
        {
            limit = (int)((shoff - phoff) / PhdrSize);
            Warn(56, $"the program header count {count} would run into the section header table at 0x{shoff:x}; only the first {limit} are read");
        }
        // Sized for the headers the file can hold: a core has a PT_LOAD for every thread's stack.
        list.Capacity = (int)Math.Min(limit, (Source.Length - start) / PhdrSize + 1);
        for (int i = 0; i < limit; i++)
        {
            long offset = start + (long)i * PhdrSize;
            var p = Source.Slice(offset, PhdrSize);
            if (p.Length < PhdrSize)
            {
                Warn(offset, $"{EndOfFile}, inside the program header table: {i} of {count} program headers are readable");
                break;
            }
            var ph = ProgramHeader.Parse(i, p);
            list.Add(ph);

            // A producer never lets segment data overlap the header table; when the count says it
            // does, the count is wrong and the "headers" past that point are segment bytes.
            if (ph.FileSize > 0 && ph.Offset > phoff && (ph.Offset - phoff) / PhdrSize < (ulong)limit)
            {
                int fits = (int)Math.Max((ph.Offset - phoff) / PhdrSize, (ulong)i + 1);
                if (fits < limit)
                {
                    Warn(56, $"e_phnum claims {count} program headers, but segment {i} starts at 0x{ph.Offset:x}, inside that table; only the first {fits} are read");
                    limit = fits;
                }
            }
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
                Warn(at, $"{EndOfFile}, inside the section header table: {i} of {count} section headers are readable");
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

    private ElfNoteList ReadNotes()
    {
        var segments = new List<ElfNoteList.Segment>();
        var entries = new NoteEntries();
        var names = new List<string>();
        long budget = MaxNoteBytes;
        foreach (var ph in ProgramHeaders)
        {
            if (!ph.IsNote || ph.FileSize == 0) continue;
            long phdrAt = (long)Math.Min(Header.ProgramHeaderOffset, long.MaxValue / 2) + (long)ph.Index * PhdrSize;
            if (ph.FileSize > (ulong)budget)
            {
                Warn(phdrAt, $"PT_NOTE segment {ph.Index} claims {ph.FileSize} bytes; notes beyond {MaxNoteBytes >> 20} MiB in total are not read");
                continue;
            }
            if (ph.Offset >= (ulong)Source.Length)
            {
                NotesTruncated = true;
                Warn((long)Math.Min(ph.Offset, long.MaxValue),
                    $"PT_NOTE segment {ph.Index} ({ph.FileSize} bytes at 0x{ph.Offset:x}) lies past the end of the file ({EndOfFile}): no threads or process notes");
                continue;
            }
            long start = (long)ph.Offset;
            var walk = new NoteSegmentWalk(this, entries, names);
            Source.WillRead(start, (long)ph.FileSize, walk);
            var bytes = Source.Memory(start, (int)ph.FileSize);
            budget -= bytes.Length;
            NotesTruncated |= bytes.Length < (int)ph.FileSize;
            if (bytes.Length < (int)ph.FileSize)
                Warn(start + bytes.Length,
                    $"{EndOfFile}, inside PT_NOTE segment {ph.Index}: {bytes.Length} of its {ph.FileSize} note bytes are present (the core is truncated)");
            var segment = new ElfNoteList.Segment(bytes, start, walk.FirstNote, bytes.Length < (int)ph.FileSize);
            segments.Add(segment);
            walk.Finish(segment);
        }
        return new ElfNoteList(entries.Blocks, entries.Count, [.. segments]);
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
