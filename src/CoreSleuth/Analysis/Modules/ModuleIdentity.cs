using System.Buffers.Binary;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Modules;

/// <summary>What the core says about one mapped image: its file-backed mappings, and whether it is the executable.</summary>
public sealed record ModuleSpan(string Path, ulong Start, ulong End, IReadOnlyList<Mapping> Mappings, bool IsExecutable)
{
    public string FileName => System.IO.Path.GetFileName(Path);
}

/// <summary>Whether a file on disk is the image the core mapped: <see cref="Same"/>, and how that was told or why not.</summary>
public sealed record IdentityVerdict(bool Same, string How)
{
    /// <summary>Told by a build-id or by the ELF and program headers the core holds, not by the load layout alone.</summary>
    public bool Strong { get; init; }
}

/// <summary>
/// Tells whether an ELF file is the image a core mapped, without trusting its name (gdb and lldb
/// take the executable under any name too): by the GNU build-id note when both sides have one;
/// else by the ELF type and program headers when the core holds the image's first page (kernel
/// and gdb cores); else by how its PT_LOAD segments fit the core's mappings of that image (every
/// mapping at the file offset the segment puts there, every file-backed segment mapped up to its
/// last page), and for the executable by the entry point and program header address in the
/// auxiliary vector. gcore leaves read-only segments out of the core, so the layout is usually
/// all there is: it tells different builds apart, but two tiny libraries of the same shape alike.
/// </summary>
public static class ModuleIdentity
{
    private const uint NT_GNU_BUILD_ID = 3;
    private const ulong Page = 0x1000;

    /// <summary>The file's GNU build-id as lowercase hex, or null.</summary>
    public static string? BuildId(ElfFile file) =>
        file.Notes.FirstOrDefault(n => n.Name == "GNU" && n.Type == NT_GNU_BUILD_ID) is { Descriptor.Length: > 0 and <= 64 } note
            ? Convert.ToHexStringLower(note.Descriptor.Span) : null;

    /// <summary>The build-id of an image whose headers are in the core, read through its PT_NOTE segments; null when absent or unreadable.</summary>
    public static string? BuildId(ElfImage inCore)
    {
        foreach (var note in inCore.ProgramHeaders.Where(p => p.IsNote && p.FileSize is > 0 and <= 4096))
        {
            var bytes = inCore.View.ReadAvailable(note.VirtualAddress, (int)note.FileSize);
            for (int at = 0; at + 12 <= bytes.Length;)
            {
                uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)), descSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
                long name = at + 12, desc = name + Align4(nameSize), next = desc + Align4(descSize);
                if (nameSize > 256 || descSize > 256 || next > bytes.Length) break;
                if (type == NT_GNU_BUILD_ID && nameSize == 4 && bytes.AsSpan((int)name, 4).SequenceEqual("GNU\0"u8) && descSize > 0)
                    return Convert.ToHexStringLower(bytes.AsSpan((int)desc, (int)descSize));
                at = (int)next;
            }
        }
        return null;
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;

    /// <summary>Whether <paramref name="file"/> is the image of <paramref name="module"/>.</summary>
    /// <param name="inCore">The image read from the core's memory, when its first page was dumped.</param>
    public static IdentityVerdict Check(ModuleSpan module, ElfFile file, ElfImage? inCore, CoreFile core)
    {
        if (BuildId(file) is { } fileId && inCore is not null && BuildId(inCore) is { } coreId)
            return fileId == coreId
                ? new IdentityVerdict(true, $"build-id {fileId}") { Strong = true }
                : new IdentityVerdict(false, $"its build-id is {fileId}, the core's {coreId}") { Strong = true };

        if (inCore is not null)
        {
            if (inCore.Type != file.Header.Type)
                return new IdentityVerdict(false, $"it is of ELF type {file.Header.Type}, the core's image of type {inCore.Type}") { Strong = true };
            var a = inCore.ProgramHeaders.Select(Shape).ToList();
            var b = file.ProgramHeaders.Select(Shape).ToList();
            if (!a.SequenceEqual(b))
                return new IdentityVerdict(false, "its program headers differ from those the core holds") { Strong = true };
        }

        if (Layout(module, file, core) is { } why) return new IdentityVerdict(false, why);
        bool? dynamic = SameDynamic(module, file, core, out string? differs);
        if (dynamic == false) return new IdentityVerdict(false, differs!);
        if (inCore is not null) return new IdentityVerdict(true, "ELF and program headers as in the core") { Strong = true };
        string layout = module.IsExecutable ? "load segments, entry point and program headers as mapped" : "load segments as mapped";
        return dynamic == true
            ? new IdentityVerdict(true, layout + ", dynamic section as in the core") { Strong = true }
            : new IdentityVerdict(true, layout);
    }

    private const long DT_NULL = 0, DT_DEBUG = 21;

    /// <summary>
    /// Compares the file's dynamic section with the core's copy: it lies in the writable data
    /// segment, which gcore dumps, and holds the addresses and sizes of the symbol and string tables
    /// and the offsets of the needed libraries' names — a fingerprint of the build. rtld writes only
    /// DT_DEBUG (FreeBSD leaves d_ptr values unrelocated; a relocated value, plus the bias, is accepted too).
    /// Null when the core does not hold it.
    /// </summary>
    private static bool? SameDynamic(ModuleSpan module, ElfFile file, CoreFile core, out string? differs)
    {
        differs = null;
        if (file.ProgramHeaders.FirstOrDefault(p => p.Type == ElfConstants.PT_DYNAMIC) is not { FileSize: > 0 and <= 64 * 1024 } dyn) return null;
        var fromFile = file.Source.Slice((long)dyn.Offset, (int)dyn.FileSize);
        if (fromFile.Length != (int)dyn.FileSize) return null;
        ulong bias = module.Start - ElfImage.FirstLoadAddress(file.ProgramHeaders);
        var fromCore = new byte[fromFile.Length];
        if (!core.Memory.TryRead(dyn.VirtualAddress + bias, fromCore)) return null;
        for (int at = 0; at + 16 <= fromFile.Length; at += 16)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(fromFile[at..]), coreTag = BinaryPrimitives.ReadInt64LittleEndian(fromCore.AsSpan(at));
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(fromFile[(at + 8)..]), coreValue = BinaryPrimitives.ReadUInt64LittleEndian(fromCore.AsSpan(at + 8));
            if (tag != coreTag || (tag != DT_DEBUG && value != coreValue && value + bias != coreValue))
            {
                differs = $"its dynamic section differs from the core's copy at 0x{dyn.VirtualAddress + bias + (ulong)at:x} (tag {tag}, value 0x{value:x}; the core's tag {coreTag}, value 0x{coreValue:x})";
                return false;
            }
            if (tag == DT_NULL) break;
        }
        return true;
    }

    private static (uint, uint, ulong, ulong, ulong, ulong) Shape(ProgramHeader p) => (p.Type, p.Flags, p.Offset, p.VirtualAddress, p.FileSize, p.MemorySize);

    /// <summary>Null when the file's PT_LOADs fit the module's mappings (and, for the executable, the auxiliary vector); else why not.</summary>
    private static string? Layout(ModuleSpan module, ElfFile file, CoreFile core)
    {
        var loads = file.ProgramHeaders.Where(p => p.IsLoad).OrderBy(p => p.VirtualAddress).ToList();
        if (loads.Count == 0) return "it has no load segment";
        ulong first = ElfImage.FirstLoadAddress(loads);
        ulong bias = module.Start - first;
        if (file.Header.Type == ElfConstants.ET_EXEC && bias != 0)
            return $"it is linked at 0x{first:x}, but the core maps the image at 0x{module.Start:x}";
        if (file.Header.Type is not (ElfConstants.ET_EXEC or ElfConstants.ET_DYN))
            return $"it is not an executable or shared library (ELF type {file.Header.Type})";

        foreach (var m in module.Mappings)
        {
            ulong at = m.Start - bias;
            var seg = loads.FirstOrDefault(p => at >= Floor(p.VirtualAddress) && at < Ceil(p.VirtualAddress + p.FileSize));
            if (seg is null || m.FileOffset != Floor(seg.Offset) + (at - Floor(seg.VirtualAddress)))
                return $"the core maps offset 0x{m.FileOffset:x} of the image at 0x{m.Start:x}, where its load segments put none";
        }
        foreach (var seg in loads.Where(p => p.FileSize > 0))
        {
            ulong from = Floor(seg.VirtualAddress) + bias, to = Ceil(seg.VirtualAddress + seg.FileSize) + bias;
            var covering = module.Mappings.Where(m => m.Start < to && m.End > from).ToList();
            if (covering.Count == 0)
            {
                // A written data segment may show without the file's path; the addresses must still be mapped.
                if (!core.Process.Mappings.Any(m => m.Start <= from && m.End > from))
                    return $"its load segment at 0x{seg.VirtualAddress:x} would be at 0x{from:x}, which the core does not map";
                continue;
            }
            ulong end = covering.Max(m => m.End);
            if (end != to && covering.Min(m => m.Start) == from)
                return $"its load segment at 0x{seg.VirtualAddress:x} spans 0x{to - from:x} bytes of the file, the core's mapping 0x{end - from:x}";
        }
        if (module.IsExecutable)
        {
            var auxv = core.Process.Auxv;
            if (auxv.FirstOrDefault(a => a.Type == AuxvEntry.AT_ENTRY) is { } entry && entry.Value != file.Header.Entry + bias)
                return $"its entry point is 0x{file.Header.Entry + bias:x}, the process's (AT_ENTRY) 0x{entry.Value:x}";
            if (auxv.FirstOrDefault(a => a.Type == AuxvEntry.AT_PHDR) is { } phdr && file.ProgramHeaders.FirstOrDefault(p => p.Type == ElfConstants.PT_PHDR) is { } pt
                && phdr.Value != pt.VirtualAddress + bias)
                return $"its program headers are at 0x{pt.VirtualAddress + bias:x}, the process's (AT_PHDR) at 0x{phdr.Value:x}";
        }
        return null;
    }

    private static ulong Floor(ulong v) => v & ~(Page - 1);
    private static ulong Ceil(ulong v) => v > ulong.MaxValue - Page ? ulong.MaxValue & ~(Page - 1) : (v + Page - 1) & ~(Page - 1);

    /// <summary>The executable's image: the module holding AT_PHDR or AT_ENTRY, else the one at the executable's path; null when none is told.</summary>
    public static int? ExecutableIndex(IReadOnlyList<(string Path, ulong Start, ulong End)> modules, CoreFile core)
    {
        foreach (long type in (long[])[AuxvEntry.AT_PHDR, AuxvEntry.AT_ENTRY])
            if (core.Process.Auxv.FirstOrDefault(a => a.Type == type) is { } at)
                for (int i = 0; i < modules.Count; i++)
                    if (at.Value >= modules[i].Start && at.Value < modules[i].End) return i;
        if (core.Process.Executable is { Length: > 0 } exe)
            for (int i = 0; i < modules.Count; i++)
                if (modules[i].Path == exe) return i;
        return null;
    }
}
