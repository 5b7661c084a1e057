using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Elf;
using CoreSleuth.Memory;

namespace CoreSleuth.Analysis.Modules;

/// <summary>
/// A loaded ELF image (executable or shared library): program headers, dynamic section and
/// dynamic symbols, read through an <see cref="IImageView"/>. Everything is bounded: a
/// damaged or hostile image yields fewer symbols and warnings, never an exception.
/// </summary>
public sealed class ElfImage
{
    public const int MaxSymbols = 1_000_000;
    private const int MaxDynamicEntries = 4096, MaxStringTable = 64 << 20, MaxVersions = 4096;

    // Dynamic tags (ELF gABI and GNU extensions).
    public const long DT_NULL = 0, DT_NEEDED = 1, DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6, DT_STRSZ = 10, DT_SYMENT = 11, DT_SONAME = 14,
        DT_GNU_HASH = 0x6ffffef5, DT_VERSYM = 0x6ffffff0, DT_VERDEF = 0x6ffffffc, DT_VERDEFNUM = 0x6ffffffd;

    private readonly List<string> warnings = [];
    private Dictionary<string, ElfSymbol>? nameIndex;

    private ElfImage(IImageView view, ushort type, IReadOnlyList<ProgramHeader> programHeaders, ulong bias)
    {
        View = view;
        Type = type;
        ProgramHeaders = programHeaders;
        LoadBias = bias;
        var dynamic = programHeaders.FirstOrDefault(p => p.Type == ElfConstants.PT_DYNAMIC);
        Dynamic = dynamic is null ? [] : ReadDynamic(dynamic.VirtualAddress, dynamic.MemorySize);
        Symbols = ReadDynamicSymbols();
        SoName = DynamicString(DT_SONAME);
        Needed = Dynamic.Where(d => d.Tag == DT_NEEDED).Select(d => ReadString(DynamicValue(DT_STRTAB) ?? 0, d.Value)).OfType<string>().ToList();
    }

    public IImageView View { get; }
    public ushort Type { get; }
    public IReadOnlyList<ProgramHeader> ProgramHeaders { get; }

    /// <summary>Process address minus link-time address (0 for ET_EXEC).</summary>
    public ulong LoadBias { get; }

    public IReadOnlyList<(long Tag, ulong Value)> Dynamic { get; }
    public IReadOnlyList<ElfSymbol> Symbols { get; }
    public string? SoName { get; }
    public IReadOnlyList<string> Needed { get; }
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Reads an image whose ELF header is at process address <paramref name="start"/> in the core.</summary>
    public static ElfImage? FromCoreMemory(AddressSpace memory, ulong start, out string? problem)
    {
        Span<byte> eh = stackalloc byte[ElfConstants.EhdrSize];
        if (!memory.TryRead(start, eh)) { problem = $"the ELF header is not in the core ({memory.Explain(start) ?? "short read"})"; return null; }
        // Not "\x7fELF"u8: C#'s \x takes up to four hex digits, so that literal is U+07FE "LF".
        if (!eh[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F']) || eh[4] != ElfConstants.ELFCLASS64 || eh[5] != ElfConstants.ELFDATA2LSB)
        {
            problem = $"no ELF64 little-endian header at 0x{start:x}";
            return null;
        }
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(eh[16..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(eh[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(eh[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(eh[56..]);
        if (phentsize != ElfConstants.PhdrSize || phnum == 0 || phnum > 512 || phoff > 1 << 20)
        {
            problem = $"implausible program header table (phoff 0x{phoff:x}, {phnum} entries of {phentsize} bytes)";
            return null;
        }
        var raw = new byte[phnum * ElfConstants.PhdrSize];
        if (!memory.TryRead(start + phoff, raw)) { problem = $"the program headers at 0x{start + phoff:x} are not in the core"; return null; }
        var phdrs = new List<ProgramHeader>(phnum);
        for (int i = 0; i < phnum; i++)
        {
            var p = raw.AsSpan(i * ElfConstants.PhdrSize);
            phdrs.Add(ProgramHeader.Parse(i, p));
        }
        var firstLoad = phdrs.Where(p => p.IsLoad).OrderBy(p => p.VirtualAddress).FirstOrDefault();
        if (firstLoad is null) { problem = "the image has no PT_LOAD"; return null; }
        ulong bias = start - (firstLoad.VirtualAddress & ~0xFFFUL);
        problem = null;
        return new ElfImage(new CoreImageView(memory, bias), type, phdrs, bias);
    }

    /// <summary>Reads an image from its file on disk, to be placed at <paramref name="bias"/>.</summary>
    public static ElfImage FromFile(ElfFile file, ulong bias) =>
        new(new FileImageView(file), file.Header.Type, file.ProgramHeaders, bias);

    /// <summary>The link-time address of the lowest PT_LOAD, page-aligned: what maps to the mapping at file offset 0.</summary>
    public static ulong FirstLoadAddress(IEnumerable<ProgramHeader> phdrs) =>
        (phdrs.Where(p => p.IsLoad).Select(p => p.VirtualAddress).DefaultIfEmpty(0UL).Min()) & ~0xFFFUL;

    /// <summary>The defined symbol named <paramref name="name"/> (any version; the default version preferred).</summary>
    public ElfSymbol? FindSymbol(string name)
    {
        nameIndex ??= BuildNameIndex();
        return nameIndex.GetValueOrDefault(name);
    }

    private Dictionary<string, ElfSymbol> BuildNameIndex()
    {
        var index = new Dictionary<string, ElfSymbol>(StringComparer.Ordinal);
        foreach (var s in Symbols)
            if (s.IsDefined && (!index.TryGetValue(s.Name, out var old) || (old.VersionHidden && !s.VersionHidden)))
                index[s.Name] = s;
        return index;
    }

    public ulong? DynamicValue(long tag) => Dynamic.FirstOrDefault(d => d.Tag == tag) is { Tag: var t, Value: var v } && t == tag ? v : null;

    private string? DynamicString(long tag) =>
        DynamicValue(tag) is { } off && DynamicValue(DT_STRTAB) is { } strtab ? ReadString(strtab, off) : null;

    private List<(long, ulong)> ReadDynamic(ulong address, ulong size)
    {
        var list = new List<(long, ulong)>();
        int count = (int)Math.Min(size / 16, MaxDynamicEntries);
        var buffer = new byte[count * 16];
        int got = View.Read(address, buffer) / 16;
        if (got < count && got == 0) warnings.Add($"the dynamic section at 0x{address:x} is not readable from {View.Origin}");
        for (int i = 0; i < got; i++)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(i * 16));
            if (tag == DT_NULL) break;
            list.Add((tag, BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i * 16 + 8))));
        }
        return list;
    }

    /// <summary>
    /// In memory, d_ptr entries hold link-time addresses for unrelocated images but process
    /// addresses once rtld relocated them (FreeBSD rtld does not rewrite them; glibc does).
    /// Accept both: prefer the link-time reading, fall back to subtracting the bias.
    /// </summary>
    private ulong Pointer(ulong value)
    {
        Span<byte> probe = stackalloc byte[1];
        if (View.Read(value, probe) == 1) return value;
        if (LoadBias != 0 && value >= LoadBias && View.Read(value - LoadBias, probe) == 1) return value - LoadBias;
        return value;
    }

    private IReadOnlyList<ElfSymbol> ReadDynamicSymbols()
    {
        if (DynamicValue(DT_SYMTAB) is not { } symtabRaw || DynamicValue(DT_STRTAB) is not { } strtabRaw) return [];
        ulong symtab = Pointer(symtabRaw), strtab = Pointer(strtabRaw);
        ulong syment = DynamicValue(DT_SYMENT) ?? 24;
        if (syment != 24) { warnings.Add($"DT_SYMENT is {syment}, not 24: dynamic symbols ignored"); return []; }
        int strsz = (int)Math.Min(DynamicValue(DT_STRSZ) ?? 0, MaxStringTable);
        int count = SymbolCount();
        if (count <= 0) return [];

        var strings = View.ReadAvailable(strtab, strsz);
        strsz = strings.Length;
        var raw = View.ReadAvailable(symtab, count * 24);
        int symbols = raw.Length / 24;
        if (symbols < count) warnings.Add($"only {symbols} of {count} dynamic symbols are readable from {View.Origin}");
        var versions = ReadVersions(count);

        var list = new List<ElfSymbol>(symbols);
        for (int i = 0; i < symbols; i++)
        {
            var s = raw.AsSpan(i * 24, 24);
            uint name = U32(s, 0);
            string text = name < strsz ? CString(strings.AsSpan(0, strsz), name) : "";
            string? version = null;
            bool hidden = false;
            if (versions is { } v && i < v.Index.Length)
            {
                ushort vi = v.Index[i];
                hidden = (vi & 0x8000) != 0;
                v.Names.TryGetValue(vi & 0x7FFF, out version);
            }
            list.Add(new ElfSymbol(text, U64(s, 8), U64(s, 16), (byte)(s[4] & 0xF), (byte)(s[4] >> 4), U16(s, 6), version, hidden));
        }
        return list;
    }

    /// <summary>Number of dynamic symbols: nchain of DT_HASH, else the highest index reachable through DT_GNU_HASH.</summary>
    private int SymbolCount()
    {
        Span<byte> b = stackalloc byte[16];
        if (DynamicValue(DT_HASH) is { } hash && View.Read(Pointer(hash), b[..8]) == 8)
            return (int)Math.Min(U32(b, 4), MaxSymbols);
        if (DynamicValue(DT_GNU_HASH) is not { } gnu) return 0;
        ulong at = Pointer(gnu);
        if (View.Read(at, b) != 16) return 0;
        uint nbuckets = U32(b, 0), symoffset = U32(b, 4), bloomSize = U32(b, 8);
        if (nbuckets == 0 || nbuckets > MaxSymbols || bloomSize > MaxSymbols) return 0;
        ulong buckets = at + 16 + 8UL * bloomSize, chains = buckets + 4UL * nbuckets;
        var bucketBytes = new byte[nbuckets * 4];
        if (View.Read(buckets, bucketBytes) != bucketBytes.Length) return 0;
        uint max = 0;
        for (int i = 0; i < nbuckets; i++) max = Math.Max(max, U32(bucketBytes, i * 4));
        if (max < symoffset) return (int)symoffset;
        // Walk the last chain to its end (low bit set marks the chain's last symbol).
        for (uint index = max; index < MaxSymbols; index++)
        {
            if (View.Read(chains + 4UL * (index - symoffset), b[..4]) != 4) return (int)index;
            if ((U32(b, 0) & 1) != 0) return (int)index + 1;
        }
        return MaxSymbols;
    }

    private (ushort[] Index, Dictionary<int, string> Names)? ReadVersions(int count)
    {
        if (DynamicValue(DT_VERSYM) is not { } versym) return null;
        var raw = View.ReadAvailable(Pointer(versym), count * 2);
        int got = raw.Length / 2;
        var index = new ushort[got];
        for (int i = 0; i < got; i++) index[i] = U16(raw, i * 2);

        var names = new Dictionary<int, string>();
        if (DynamicValue(DT_VERDEF) is { } verdef && DynamicValue(DT_STRTAB) is { } strtab)
        {
            // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32;
            // Elf64_Verdaux: vda_name u32, vda_next u32.
            ulong at = Pointer(verdef);
            Span<byte> vd = stackalloc byte[20];
            Span<byte> aux = stackalloc byte[8];
            for (int n = 0; n < MaxVersions && View.Read(at, vd) == 20; n++)
            {
                ushort ndx = U16(vd, 4);
                uint auxOff = U32(vd, 12), next = U32(vd, 16);
                if (View.Read(at + auxOff, aux) == 8 && ReadString(strtab, U32(aux, 0)) is { } name) names[ndx] = name;
                if (next == 0) break;
                at += next;
            }
        }
        return (index, names);
    }

    private string? ReadString(ulong strtab, ulong offset)
    {
        var buffer = new byte[256];
        int got = View.Read(Pointer(strtab) + offset, buffer);
        int nul = buffer.AsSpan(0, got).IndexOf((byte)0);
        return nul < 0 ? null : Encoding.UTF8.GetString(buffer, 0, nul);
    }

    private static string CString(ReadOnlySpan<byte> table, uint offset)
    {
        var rest = table[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? rest : rest[..nul]);
    }

    private static ushort U16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
    private static uint U32(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt32LittleEndian(s[o..]);
    private static ulong U64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);
}
