using System.Buffers.Binary;

namespace CoreSleuth.Elf;

/// <summary>The 64-byte Elf64_Ehdr (spec §1.1). <see cref="ProgramHeaderCount"/> is the real count, after PN_XNUM.</summary>
public sealed record ElfHeader(
    byte Class,
    byte Data,
    byte OsAbi,
    byte AbiVersion,
    ushort Type,
    ushort Machine,
    uint Version,
    ulong Entry,
    ulong ProgramHeaderOffset,
    ulong SectionHeaderOffset,
    uint Flags,
    ushort HeaderSize,
    ushort ProgramHeaderEntrySize,
    ushort RawProgramHeaderCount,
    ushort SectionHeaderEntrySize,
    ushort RawSectionHeaderCount,
    ushort SectionNameTableIndex,
    int ProgramHeaderCount,
    bool ExtendedNumbering);

/// <summary>One Elf64_Phdr (spec §1.2).</summary>
public sealed record ProgramHeader(
    int Index,
    uint Type,
    uint Flags,
    ulong Offset,
    ulong VirtualAddress,
    ulong PhysicalAddress,
    ulong FileSize,
    ulong MemorySize,
    ulong Alignment)
{
    public bool IsLoad => Type == ElfConstants.PT_LOAD;
    public bool IsNote => Type == ElfConstants.PT_NOTE;
    public bool Readable => (Flags & ElfConstants.PF_R) != 0;
    public bool Writable => (Flags & ElfConstants.PF_W) != 0;
    public bool Executable => (Flags & ElfConstants.PF_X) != 0;
    public ulong EndAddress => VirtualAddress + MemorySize;

    /// <summary>Entry <paramref name="index"/> of a program header table: <paramref name="e"/> holds its <see cref="ElfConstants.PhdrSize"/> bytes.</summary>
    public static ProgramHeader Parse(int index, ReadOnlySpan<byte> e) => new(index,
        BinaryPrimitives.ReadUInt32LittleEndian(e), BinaryPrimitives.ReadUInt32LittleEndian(e[4..]),
        BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(e[24..]), BinaryPrimitives.ReadUInt64LittleEndian(e[32..]),
        BinaryPrimitives.ReadUInt64LittleEndian(e[40..]), BinaryPrimitives.ReadUInt64LittleEndian(e[48..]));
}

/// <summary>One Elf64_Shdr. Cores rarely have sections (gdb's do; PN_XNUM uses entry 0).</summary>
public sealed record SectionHeader(
    int Index,
    uint NameOffset,
    string Name,
    uint Type,
    ulong Flags,
    ulong Address,
    ulong Offset,
    ulong Size,
    uint Link,
    uint Info,
    ulong Alignment,
    ulong EntrySize);

/// <summary>
/// One note record (spec §2.1). The descriptor lies where the file holds it (the mapped core:
/// readable until the file is disposed). A value, made when asked for from the compact
/// <see cref="ElfNoteList"/>.
/// </summary>
public readonly record struct ElfNote(int Index, string Name, uint Type, long FileOffset, ReadOnlyMemory<byte> Descriptor)
{
    /// <summary>File offset of the descriptor's first byte.</summary>
    public long DescriptorFileOffset { get; init; }
}

/// <summary>
/// The notes of a file in file order, kept as 24 bytes each (owner name, type, where the note
/// and its descriptor are): a 10,000-thread core has 50,000 notes, and an object for each was a
/// sixth of what opening it allocated. <see cref="ElfNote"/> values are made when read.
/// </summary>
public sealed class ElfNoteList : IReadOnlyList<ElfNote>
{
    /// <summary>A PT_NOTE segment's bytes, where the file has them; <see cref="FirstNote"/> is the index of its first note.</summary>
    internal readonly record struct Segment(ReadOnlyMemory<byte> Bytes, long FileOffset, int FirstNote, bool Truncated);

    /// <summary>One note: positions are from the start of its segment.</summary>
    internal readonly record struct Entry(string Name, int Position, uint Type, int DescriptorStart, int DescriptorLength);

    /// <summary>
    /// Entries are kept in blocks of this many, filled in one walk of the notes: neither counted
    /// first (a second walk of 32 MB for 10,000 threads, each note header on its own cache line)
    /// nor copied as an array grows. A block's 48 KiB stay below the large object heap.
    /// </summary>
    internal const int BlockShift = 11;
    private const int BlockMask = (1 << BlockShift) - 1;

    private readonly Entry[][] blocks;
    private readonly Segment[] segments;

    internal ElfNoteList(Entry[][] blocks, int count, Segment[] segments) => (this.blocks, Count, this.segments) = (blocks, count, segments);

    public int Count { get; }

    private ref readonly Entry EntryAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return ref blocks[index >> BlockShift][index & BlockMask];
    }

    public ElfNote this[int index]
    {
        get
        {
            ref readonly var e = ref EntryAt(index);
            var s = segments[SegmentOf(index)];
            return new ElfNote(index, e.Name, e.Type, s.FileOffset + e.Position, s.Bytes.Slice(e.DescriptorStart, e.DescriptorLength))
            {
                DescriptorFileOffset = s.FileOffset + e.DescriptorStart,
            };
        }
    }

    /// <summary>The first note that <paramref name="match"/> accepts, or null (where LINQ's FirstOrDefault would give a note of nothing).</summary>
    public ElfNote? Find(Func<ElfNote, bool> match)
    {
        foreach (var note in this)
            if (match(note)) return note;
        return null;
    }

    /// <summary>The type of note <paramref name="index"/>, without making the note.</summary>
    public uint TypeOf(int index) => EntryAt(index).Type;

    /// <summary>The owner name of note <paramref name="index"/>, without making the note.</summary>
    public string NameOf(int index) => EntryAt(index).Name;

    /// <summary>The last segment whose first note is at or before <paramref name="index"/> (segments without notes share a first note with the next).</summary>
    private int SegmentOf(int index)
    {
        int lo = 0, hi = segments.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (segments[mid].FirstNote <= index) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    public Enumerator GetEnumerator() => new(this);
    IEnumerator<ElfNote> IEnumerable<ElfNote>.GetEnumerator() => GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(ElfNoteList list) : IEnumerator<ElfNote>
    {
        private int index = -1;
        public readonly ElfNote Current => list[index];
        readonly object System.Collections.IEnumerator.Current => Current;
        public bool MoveNext() => ++index < list.Count;
        public void Reset() => index = -1;
        public readonly void Dispose() { }
    }
}

public static class ElfConstants
{
    public const byte ELFCLASS32 = 1, ELFCLASS64 = 2;
    public const byte ELFDATA2LSB = 1;
    public const byte ELFOSABI_NONE = 0, ELFOSABI_FREEBSD = 9;
    public const ushort ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
    public const ushort EM_386 = 3, EM_X86_64 = 62, EM_AARCH64 = 183;
    public const uint PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6;
    public const uint PF_X = 1, PF_W = 2, PF_R = 4;
    public const ushort PN_XNUM = 0xFFFF;
    public const int EhdrSize = 64, PhdrSize = 56, ShdrSize = 64, NoteHeaderSize = 12;

    public static string DescribeType(ushort type) => DescribeType(type, "");

    /// <summary>"a core file (ET_CORE)", or with a qualifier "a FreeBSD core file (ET_CORE)".</summary>
    public static string DescribeType(ushort type, string qualifier)
    {
        string noun = type switch
        {
            0 => "ELF file of type ET_NONE (no file type)",
            ET_REL => "relocatable object (ET_REL)",
            ET_EXEC => "executable (ET_EXEC)",
            ET_DYN => "shared object or position-independent executable (ET_DYN)",
            ET_CORE => "core file (ET_CORE)",
            _ => $"ELF file of type {type}",
        };
        string phrase = qualifier.Length > 0 ? $"{qualifier.Trim()} {noun}" : noun;
        return ("aeiou".Contains(char.ToLowerInvariant(phrase[0])) ? "an " : "a ") + phrase;
    }

    /// <summary>"FreeBSD", "Linux"… as an adjective for <see cref="DescribeType(ushort, string)"/>; empty when EI_OSABI says nothing.</summary>
    public static string OsAbiQualifier(byte osAbi) => osAbi switch
    {
        ELFOSABI_FREEBSD => "FreeBSD",
        3 => "Linux",
        ELFOSABI_NONE => "",
        _ => $"OS/ABI {osAbi}",
    };

    public static string DescribeMachine(ushort machine) => machine switch
    {
        EM_386 => "i386 (EM_386)",
        EM_X86_64 => "x86-64 (EM_X86_64)",
        EM_AARCH64 => "arm64 (EM_AARCH64)",
        8 => "MIPS (EM_MIPS)",
        20 => "PowerPC (EM_PPC)",
        21 => "PowerPC 64 (EM_PPC64)",
        40 => "ARM (EM_ARM)",
        243 => "RISC-V (EM_RISCV)",
        _ => $"machine {machine}",
    };

    /// <summary>EI_OSABI with its number and the name the System V gABI gives it, e.g. "12 (ELFOSABI_OPENBSD)".</summary>
    public static string DescribeOsAbi(byte osAbi) => osAbi switch
    {
        ELFOSABI_NONE => "0 (ELFOSABI_NONE: UNIX System V, used by Linux, OpenBSD, QNX and others)",
        1 => "1 (ELFOSABI_HPUX)",
        2 => "2 (ELFOSABI_NETBSD)",
        3 => "3 (ELFOSABI_LINUX)",
        4 => "4 (ELFOSABI_HURD)",
        6 => "6 (ELFOSABI_SOLARIS)",
        7 => "7 (ELFOSABI_AIX)",
        8 => "8 (ELFOSABI_IRIX)",
        ELFOSABI_FREEBSD => "9 (ELFOSABI_FREEBSD)",
        10 => "10 (ELFOSABI_TRU64)",
        11 => "11 (ELFOSABI_MODESTO)",
        12 => "12 (ELFOSABI_OPENBSD)",
        13 => "13 (ELFOSABI_OPENVMS)",
        14 => "14 (ELFOSABI_NSK)",
        15 => "15 (ELFOSABI_AROS)",
        16 => "16 (ELFOSABI_FENIXOS)",
        17 => "17 (ELFOSABI_CLOUDABI)",
        18 => "18 (ELFOSABI_OPENVOS)",
        97 => "97 (ELFOSABI_ARM)",
        255 => "255 (ELFOSABI_STANDALONE)",
        _ => $"{osAbi} (unassigned)",
    };

    /// <summary>The operating system that writes notes owned by <paramref name="owner"/> in its core files, when known.</summary>
    public static string? NoteOwnerSystem(string owner) => owner switch
    {
        "CORE" or "LINUX" => "Linux",
        "OpenBSD" => "OpenBSD",
        "NetBSD-CORE" or "NetBSD" => "NetBSD",
        "QNX" => "QNX",
        "FreeBSD" => "FreeBSD",
        "SUNW Solaris" => "Solaris",
        _ => null,
    };
}
