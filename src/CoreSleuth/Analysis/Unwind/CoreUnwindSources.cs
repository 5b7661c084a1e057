using CoreSleuth.Analysis.Modules;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.Elf;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>
/// The core's address space as unwinder memory: unavailable bytes are reported, never zeros.
/// One walk at a time, as an <see cref="Unwinder"/>: it keeps one window of the stack.
/// </summary>
public sealed class AddressSpaceStackMemory(AddressSpace memory) : IStackMemory
{
    /// <summary>Stack words, the slots CFI names, a scan's words: from a 16 KiB window, from the page of the address upwards, the way a walk goes.</summary>
    private readonly MemoryWindow window = new(memory, 16 << 10, upward: true);

    public int Read(ulong address, Span<byte> destination) => window.Read(address, destination);

    public string Explain(ulong address) => memory.Explain(address) ?? $"0x{address:x} is readable";

    /// <summary>The PT_LOAD holding the address, extended over directly adjacent PT_LOADs.</summary>
    public AddressRange? RegionOf(ulong address)
    {
        if (memory.FindSegment(address) is not { } s) return null;
        ulong start = s.Start, end = s.End;
        var all = memory.Segments;
        for (int guard = 0; guard < all.Count && memory.FindSegment(end) is { } next && next.Start == end; guard++) end = next.End;
        for (int guard = 0; guard < all.Count && start > 0 && memory.FindSegment(start - 1) is { } prev && prev.End == start; guard++) start = prev.Start;
        return new AddressRange(start, end);
    }
}

/// <summary>
/// Modules of a <see cref="ModuleMap"/> as CFI sources. An image read from core memory is
/// completed from its file on disk (--sysroot or --binary) when one was found, because real cores usually
/// lack the read-only segments that hold code and <c>.eh_frame</c> (spec §1.3).
/// </summary>
public sealed class ModuleMapCfiProvider : ICfiProvider
{
    private readonly List<CodeModule> modules = [];

    public ModuleMapCfiProvider(ModuleMap map, CoreProcess process)
    {
        foreach (var m in map.Modules)
        {
            if (m.Image is not { } image) continue;
            IImageView view = image.View;
            // The module map already opened the file from --sysroot/--binary: fill the core's gaps from it.
            if (view is CoreImageView && m.DiskImage is { } disk) view = new FallbackImageView(view, disk.View);
            // The file's .symtab bounds more functions than .dynsym (static ones, assembly stubs):
            // instruction analysis needs a function's start.
            var file = (m.DiskImage ?? image).View as FileImageView;
            modules.Add(new CodeModule(m.Path, m.LoadBias, view, image.ProgramHeaders, Symbolizer.SymbolsOf(image, m.DiskImage, m.DebugElf), file?.File.SectionHeaders));
        }
        SignalTrampoline = FindSharedPage(process);
        executable = process.Mappings.Where(e => e.CanExecute)
            .Select(e => (new AddressRange(e.Start, e.End), (string?)e.Path)).ToArray();
    }

    private readonly (AddressRange Range, string? Path)[] executable;

    public IReadOnlyList<CodeModule> Modules => modules;
    public AddressRange? SignalTrampoline { get; }

    public CodeModule? FindModule(ulong address)
    {
        foreach (var m in modules)
            if (m.IsExecutable(address)) return m;
        return null;
    }

    /// <summary>An executable mapping of the process (kinfo_vmentry, spec §6) or of a known module.</summary>
    public bool IsExecutable(ulong address)
    {
        foreach (var (r, _) in executable)
            if (r.Contains(address)) return true;
        return FindModule(address) is not null;
    }

    public string? MappedFileAt(ulong address)
    {
        foreach (var (r, path) in executable)
            if (r.Contains(address)) return string.IsNullOrEmpty(path) ? null : path;
        return null;
    }

    /// <summary>
    /// The shared page: an executable mapping with no backing file, preferably the one that
    /// holds the system's shared-page auxv entry (FreeBSD's AT_TIMEKEEP), else the highest such
    /// mapping near the top of the user address space.
    /// </summary>
    public static AddressRange? FindSharedPage(CoreProcess process)
    {
        var candidates = process.Mappings
            .Where(e => e.CanExecute && string.IsNullOrEmpty(e.Path) && e.Kind != MappingKind.File)
            .ToList();
        var timekeep = SystemConventions.For(process.Os).Auxv.SharedPageType is { } type ? process.Auxv.FirstOrDefault(a => a.Type == type) : null;
        if (timekeep is not null && candidates.FirstOrDefault(e => timekeep.Value >= e.Start && timekeep.Value < e.End) is { } withTimekeep)
            return new AddressRange(withTimekeep.Start, withTimekeep.End);
        var top = candidates.Where(e => e.Start >= 0x7fff_0000_0000UL && e.Size <= 0x10000).OrderByDescending(e => e.Start).FirstOrDefault();
        return top is null ? null : new AddressRange(top.Start, top.End);
    }
}
