using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Elf;

namespace CoreSleuth.Analysis.Symbols;

/// <summary>An address named: the module it lies in, the function symbol covering it and the offset into it.</summary>
public sealed record SymbolizedAddress(ulong Address, LoadedModule? Module, string? Symbol, string? Demangled, ulong Offset)
{
    /// <summary>The name as a backtrace shows it: demangled when it is a C++ name.</summary>
    public string? DisplayName => Demangled ?? Symbol;
}

/// <summary>
/// Address → module + symbol + offset: the nearest preceding function symbol that covers the
/// address (within its size). On-disk <c>.symtab</c> (when a sysroot file has one) beats
/// <c>.dynsym</c>; PLT entries are named <c>name@plt</c>. C++ names are demangled here.
/// </summary>
/// <remarks>Thread-safe: the threads' stacks may be named on several threads at once.</remarks>
public sealed class Symbolizer(ModuleMap modules)
{
    private const int MaxSymtabEntries = 4_000_000;
    private readonly ConcurrentDictionary<LoadedModule, Lazy<FunctionTable>> tables = new();

    public SymbolizedAddress Lookup(ulong address)
    {
        var module = modules.FindByAddress(address);
        if (module?.Image is null) return new SymbolizedAddress(address, module, null, null, 0);
        var table = tables.GetOrAdd(module, static m => new Lazy<FunctionTable>(() => FunctionTable.Build(m.Image!, m.DiskImage, m.DebugElf))).Value;
        ulong linkAddress = address - module.LoadBias;
        if (table.Find(linkAddress) is not { } f) return new SymbolizedAddress(address, module, null, null, 0);
        return new SymbolizedAddress(address, module, f.Name, Demangle(f.Name), linkAddress - f.Start);
    }

    /// <summary>Demangled names already computed: a thousand threads share a few dozen functions.</summary>
    private readonly ConcurrentDictionary<string, string?> demangled = new(StringComparer.Ordinal);

    private string? Demangle(string name)
    {
        if (!name.StartsWith("_Z", StringComparison.Ordinal)) return null;
        if (demangled.TryGetValue(name, out var known)) return known;
        string? result = ItaniumDemangler.Demangle(name);
        if (result is null && name.EndsWith("@plt", StringComparison.Ordinal))
            result = ItaniumDemangler.Demangle(name[..^4]) is { } d ? d + "@plt" : null;
        return demangled.GetOrAdd(name, result);
    }

    private readonly record struct Function(ulong Start, ulong Size, string Name);

    /// <summary>Function symbols of one image, sorted by address, for binary search.</summary>
    private sealed class FunctionTable(Function[] functions)
    {
        public static FunctionTable Build(ElfImage image, ElfImage? disk, ElfFile? debug)
        {
            var list = new List<Function>();
            foreach (var s in SymbolsOf(image, disk, debug))
                if (s.IsDefined && s.IsFunction && s.Value != 0)
                    list.Add(new Function(s.Value, s.Size, s.Name));
            list.AddRange(PltEntries(image));
            // Prefer global names over local aliases at the same address, and sized over unsized.
            var sorted = list.OrderBy(f => f.Start).ThenByDescending(f => f.Size).ToArray();
            return new FunctionTable(sorted);
        }

        public Function? Find(ulong address)
        {
            int lo = 0, hi = functions.Length - 1, best = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                if (functions[mid].Start <= address) { best = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            // Several symbols may start at or before the address; take the nearest one that covers it.
            for (int i = best; i >= 0 && i > best - 16; i--)
            {
                var f = functions[i];
                if (address < f.Start + Math.Max(f.Size, 1)) return f;
                if (f.Start < functions[best].Start) break;
            }
            return null;
        }
    }

    /// <summary>The image's full symbol table (.symtab) of its separate debug file or its file, when one has it, else its dynamic symbols.</summary>
    internal static IReadOnlyList<ElfSymbol> SymbolsOf(ElfImage image, ElfImage? disk, ElfFile? debug = null)
    {
        var symtab = debug is not null ? ReadSymtab(debug) : [];
        if (symtab.Count == 0) symtab = (disk ?? image).View is FileImageView file ? ReadSymtab(file.File) : [];
        return symtab.Count > 0 ? symtab : image.Symbols;
    }

    /// <summary>SHT_SYMTAB of an on-disk image (absent from FreeBSD's stripped base libraries).</summary>
    private static List<ElfSymbol> ReadSymtab(ElfFile file)
    {
        var list = new List<ElfSymbol>();
        var symtab = file.SectionHeaders.FirstOrDefault(s => s.Type == 2 && s.EntrySize == 24);
        if (symtab is null || symtab.Link >= file.SectionHeaders.Count) return list;
        var strtab = file.SectionHeaders[(int)symtab.Link];
        var strings = file.Source.Slice((long)strtab.Offset, (int)Math.Min(strtab.Size, 64UL << 20));
        long count = Math.Min((long)(symtab.Size / 24), MaxSymtabEntries);
        for (long i = 0; i < count; i++)
        {
            var s = file.Source.Slice((long)symtab.Offset + i * 24, 24);
            if (s.Length < 24) break;
            uint name = BinaryPrimitives.ReadUInt32LittleEndian(s);
            list.Add(new ElfSymbol(CString(strings, name), BinaryPrimitives.ReadUInt64LittleEndian(s[8..]), BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
                (byte)(s[4] & 0xF), (byte)(s[4] >> 4), BinaryPrimitives.ReadUInt16LittleEndian(s[6..]), null, false));
        }
        return list;
    }

    /// <summary>
    /// PLT stubs: each R_X86_64_JUMP_SLOT relocation names a symbol, and its GOT slot holds,
    /// before binding (in the file, or in memory while lazy binding has not run), the address of
    /// the PLT entry's second instruction, 6 bytes into the 16-byte entry.
    /// </summary>
    private static List<Function> PltEntries(ElfImage image)
    {
        var entries = new List<Function>();
        const long DT_JMPREL = 23, DT_PLTRELSZ = 2;
        const uint R_X86_64_JUMP_SLOT = 7;
        if (image.DynamicValue(DT_JMPREL) is not { } jmprel || image.DynamicValue(DT_PLTRELSZ) is not { } size) return entries;
        int count = (int)Math.Min(size / 24, 100_000);
        var relocations = new byte[count * 24];
        int got = image.View.Read(Pointer(image, jmprel), relocations) / 24;
        Span<byte> slot = stackalloc byte[8];
        for (int i = 0; i < got; i++)
        {
            var r = relocations.AsSpan(i * 24, 24);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(r), info = BinaryPrimitives.ReadUInt64LittleEndian(r[8..]);
            if ((uint)info != R_X86_64_JUMP_SLOT) continue;
            int symbol = (int)(info >> 32);
            if (symbol <= 0 || symbol >= image.Symbols.Count) continue;
            if (image.View.Read(Pointer(image, offset), slot) != 8) continue;
            ulong target = BinaryPrimitives.ReadUInt64LittleEndian(slot);
            if (target < 6) continue;
            ulong entry = target - 6 >= image.LoadBias && image.View is not FileImageView ? target - 6 - image.LoadBias : target - 6;
            entries.Add(new Function(entry, 16, image.Symbols[symbol].Name + "@plt"));
        }
        return entries;
    }

    private static ulong Pointer(ElfImage image, ulong value)
    {
        Span<byte> probe = stackalloc byte[1];
        return image.View.Read(value, probe) == 1 || image.LoadBias == 0 || value < image.LoadBias ? value : value - image.LoadBias;
    }

    private static string CString(ReadOnlySpan<byte> table, uint offset)
    {
        if (offset >= table.Length) return "";
        var rest = table[(int)offset..];
        int nul = rest.IndexOf((byte)0);
        // Latin-1 keeps one byte one character, as the demangler counts lengths (Itanium names are ASCII).
        return Encoding.Latin1.GetString(nul < 0 ? rest : rest[..nul]);
    }
}
