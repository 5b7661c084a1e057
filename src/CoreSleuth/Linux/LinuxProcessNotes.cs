using System.Text;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.Linux;

/// <summary>
/// NT_PRPSINFO of an x86-64 Linux core: <c>struct elf_prpsinfo</c> (include/linux/elfcore.h),
/// 136 bytes:
/// <code>
///  0 pr_state char, 1 pr_sname char, 2 pr_zomb char, 3 pr_nice char (4 bytes of padding)
///  8 pr_flag unsigned long
/// 16 pr_uid, 20 pr_gid  __kernel_uid_t/__kernel_gid_t, unsigned int on x86-64
/// 24 pr_pid, 28 pr_ppid, 32 pr_pgrp, 36 pr_sid
/// 40 pr_fname[16], 56 pr_psargs[ELF_PRARGSZ = 80]
/// </code>
/// fs/binfmt_elf.c fill_psinfo replaces every NUL of the argument area with a space, the
/// last one included, so a kernel core's <see cref="Arguments"/> is the command line cut at
/// 80 bytes with a trailing space ("cat f "); <see cref="CommandLine"/> drops it. Both
/// strings are raw bytes from the core decoded as UTF-8: sanitize before display.
/// </summary>
public sealed record LinuxPrPsInfo(
    byte State, char StateLetter, bool Zombie, sbyte Nice, ulong Flags, uint Uid, uint Gid,
    int Pid, int ParentPid, int ProcessGroup, int Session, string FileName, string Arguments)
{
    public const int Size = 136;

    /// <summary>pr_psargs without the trailing spaces the kernel leaves for the final NUL.</summary>
    public string CommandLine => Arguments.TrimEnd(' ');

    public static LinuxPrPsInfo Parse(ReadOnlySpan<byte> d, long descriptorFileOffset = 0)
    {
        NoteBounds.Require(d, Size, "NT_PRPSINFO", "an x86-64 struct elf_prpsinfo", descriptorFileOffset);
        return new(d[0], (char)d[1], d[2] != 0, unchecked((sbyte)d[3]), U64(d, 8), U32(d, 16), U32(d, 20),
            I32(d, 24), I32(d, 28), I32(d, 32), I32(d, 36), Text(d, 40, 16), Text(d, 56, 80));
    }
}

/// <summary>One file-backed mapping of NT_FILE; <see cref="FileOffset"/> is in bytes (file_ofs × page size).</summary>
public sealed record LinuxMappedFile(ulong Start, ulong End, ulong FileOffset, string Path)
{
    public ulong Size => End - Start;
}

/// <summary>
/// NT_FILE (fs/binfmt_elf.c fill_files_note), all fields unsigned long on x86-64:
/// <code>
/// long count, long page_size,
/// count × { long start, long end, long file_ofs (in pages) },
/// then count file names, each NUL-terminated: "FILE1" NUL "FILE2" NUL …
/// </code>
/// The kernel writes PAGE_SIZE (4096) and offsets in pages; gdb's gcore writes a page size
/// of 1 and offsets in bytes (gdb/linux-tdep.c), which the same arithmetic reads correctly.
/// Paths are raw bytes from the core decoded as UTF-8: sanitize before display. A deleted
/// file's path ends with " (deleted)", as d_path writes it.
/// </summary>
public sealed record LinuxFileNote(ulong PageSize, IReadOnlyList<LinuxMappedFile> Files)
{
    private const int HeaderSize = 16, EntrySize = 24;

    /// <summary>
    /// Parses the descriptor. The count is checked against the descriptor's length before any
    /// allocation (every entry needs 24 bytes plus at least one byte of name), so a hostile
    /// count cannot drive allocation; unterminated names, a page size that is not a power of
    /// two, an end below its start and an offset that overflows are errors naming the entry.
    /// </summary>
    public static LinuxFileNote Parse(ReadOnlySpan<byte> d, long descriptorFileOffset = 0)
    {
        NoteBounds.Require(d, HeaderSize, "NT_FILE", "its count and page size", descriptorFileOffset);
        ulong count = U64(d, 0), pageSize = U64(d, 8);
        ulong room = (ulong)(d.Length - HeaderSize) / (EntrySize + 1);
        if (count > room)
            throw new CoreFormatException(descriptorFileOffset,
                $"NT_FILE claims {count} mapped files, but its {d.Length}-byte descriptor has room for at most {room} (24 bytes and a NUL-terminated name each)");
        if (pageSize == 0 || (pageSize & (pageSize - 1)) != 0)
            throw new CoreFormatException(descriptorFileOffset + 8, $"NT_FILE page size is {pageSize}, not a power of two");

        int n = (int)count;
        var files = new LinuxMappedFile[n];
        int name = HeaderSize + n * EntrySize;
        for (int i = 0; i < n; i++)
        {
            int e = HeaderSize + i * EntrySize;
            ulong start = U64(d, e), end = U64(d, e + 8), pages = U64(d, e + 16);
            if (end < start)
                throw new CoreFormatException(descriptorFileOffset + e, $"NT_FILE entry {i} ends at 0x{end:x}, before its start 0x{start:x}");
            if (pages > ulong.MaxValue / pageSize)
                throw new CoreFormatException(descriptorFileOffset + e + 16, $"NT_FILE entry {i} file offset of {pages} pages of {pageSize} bytes overflows 64 bits");
            int nul = d[name..].IndexOf((byte)0);
            if (nul < 0)
                throw new CoreFormatException(descriptorFileOffset + name,
                    $"NT_FILE name {i} of {n} has no terminating NUL before the end of the descriptor");
            files[i] = new LinuxMappedFile(start, end, pages * pageSize, Encoding.UTF8.GetString(d.Slice(name, nul)));
            name += nul + 1;
        }
        return new LinuxFileNote(pageSize, files);
    }
}

/// <summary>One auxiliary vector entry of NT_AUXV: <c>Elf64_auxv_t</c> { a_type, a_un.a_val }.</summary>
public sealed record LinuxAuxvEntry(ulong Type, ulong Value)
{
    public const ulong AT_NULL = 0, AT_PHDR = 3, AT_PAGESZ = 6, AT_BASE = 7, AT_ENTRY = 9, AT_PLATFORM = 15,
        AT_HWCAP = 16, AT_BASE_PLATFORM = 24, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33;

    private AuxvType Described => LinuxAuxvCatalogue.Instance.Describe(unchecked((long)Type));

    public string Name => Described.Name;
    public string Description => Described.Description;

    /// <summary>True when the value points at a NUL-terminated string in the process (gdb prints it).</summary>
    public bool IsStringPointer => Type is AT_PLATFORM or AT_BASE_PLATFORM or AT_EXECFN;

    /// <summary>
    /// Parses NT_AUXV: the raw saved_auxv words, pairs of 8-byte type and value, through the
    /// AT_NULL pair (fs/binfmt_elf.c fill_auxv_note). Unlike FreeBSD's NT_PROCSTAT_AUXV there
    /// is no leading structure size, so FreeBSD's parser does not apply. Entries after AT_NULL
    /// are not read; a length that is not a whole number of pairs is an error.
    /// </summary>
    public static IReadOnlyList<LinuxAuxvEntry> ParseVector(ReadOnlySpan<byte> d, long descriptorFileOffset = 0)
    {
        if (d.Length % 16 != 0)
            throw new CoreFormatException(descriptorFileOffset,
                $"the NT_AUXV descriptor is {d.Length} bytes, not a whole number of 16-byte (type, value) pairs");
        var list = new List<LinuxAuxvEntry>(d.Length / 16);
        for (int o = 0; o < d.Length; o += 16)
        {
            var e = new LinuxAuxvEntry(U64(d, o), U64(d, o + 8));
            list.Add(e);
            if (e.Type == AT_NULL) break;
        }
        return list;
    }
}

/// <summary>
/// Linux's AT_* types (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h), with
/// the descriptions gdb prints. Values show in hex but for counts, ids and sizes, and AT_PLATFORM
/// with its string, as CoreSleuth has shown them since it first read Linux cores (gdb also
/// follows AT_EXECFN and AT_BASE_PLATFORM to their strings and shows AT_SECURE in decimal).
/// </summary>
public sealed class LinuxAuxvCatalogue : IAuxvCatalogue
{
    public static LinuxAuxvCatalogue Instance { get; } = new();

    private LinuxAuxvCatalogue() { }

    /// <summary>None: Linux's signal trampoline is the C library's (__restore_rt), not in a page the kernel maps.</summary>
    public long? SharedPageType => null;

    public AuxvType Describe(long type) => Types.TryGetValue(type, out var t) ? t : new AuxvType($"AT_{unchecked((ulong)type)}", "unknown auxiliary vector entry", AuxvValueFormat.Hex);

    private const AuxvValueFormat Hex = AuxvValueFormat.Hex, Dec = AuxvValueFormat.Decimal, Str = AuxvValueFormat.String;

    private static readonly Dictionary<long, AuxvType> Types = new()
    {
        [0] = new("AT_NULL", "End of vector", Hex), [1] = new("AT_IGNORE", "Entry should be ignored", Hex),
        [2] = new("AT_EXECFD", "File descriptor of program", Dec), [3] = new("AT_PHDR", "Program headers for program", Hex),
        [4] = new("AT_PHENT", "Size of program header entry", Dec), [5] = new("AT_PHNUM", "Number of program headers", Dec),
        [6] = new("AT_PAGESZ", "System page size", Dec), [7] = new("AT_BASE", "Base address of interpreter", Hex), [8] = new("AT_FLAGS", "Flags", Hex),
        [9] = new("AT_ENTRY", "Entry point of program", Hex), [10] = new("AT_NOTELF", "Program is not ELF", Dec),
        [11] = new("AT_UID", "Real user ID", Dec), [12] = new("AT_EUID", "Effective user ID", Dec), [13] = new("AT_GID", "Real group ID", Dec),
        [14] = new("AT_EGID", "Effective group ID", Dec), [15] = new("AT_PLATFORM", "String identifying platform", Str),
        [16] = new("AT_HWCAP", "Machine-dependent CPU capability hints", Hex), [17] = new("AT_CLKTCK", "Frequency of times()", Dec),
        [23] = new("AT_SECURE", "Boolean, was exec setuid-like?", Hex), [24] = new("AT_BASE_PLATFORM", "String identifying base platform", Hex),
        [25] = new("AT_RANDOM", "Address of 16 random bytes", Hex), [26] = new("AT_HWCAP2", "Extension of AT_HWCAP", Hex),
        [27] = new("AT_RSEQ_FEATURE_SIZE", "rseq supported feature size", Hex), [28] = new("AT_RSEQ_ALIGN", "rseq allocation alignment", Dec),
        [29] = new("AT_HWCAP3", "Extension of AT_HWCAP", Hex), [30] = new("AT_HWCAP4", "Extension of AT_HWCAP", Hex),
        [31] = new("AT_EXECFN", "File name of executable", Hex), [32] = new("AT_SYSINFO", "Special system info/entry points", Hex),
        [33] = new("AT_SYSINFO_EHDR", "System-supplied DSO's ELF header", Hex),
        [51] = new("AT_MINSIGSTKSZ", "Minimum stack size for signal delivery", Hex),
    };
}
