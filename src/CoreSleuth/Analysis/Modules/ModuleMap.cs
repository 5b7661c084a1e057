using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Analysis.Modules;

/// <summary>
/// An ELF image mapped into the process. <see cref="Image"/> is read from the core's memory when
/// the producer dumped it, else from disk; <see cref="DiskImage"/> is the file from
/// <c>--sysroot</c>/<c>--binary</c> when one was found (its <c>.symtab</c>, if any, names more
/// functions than <c>.dynsym</c>).
/// </summary>
public sealed record LoadedModule(string Path, ulong Start, ulong End, ulong LoadBias, ElfImage? Image, string? Origin, string? Problem)
{
    public string FileName => System.IO.Path.GetFileName(Path);
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>The same image read from its file on disk, when a sysroot or --binary supplied one.</summary>
    public ElfImage? DiskImage { get; init; }

    /// <summary>The process address of <paramref name="symbol"/>.</summary>
    public ulong AddressOf(ElfSymbol symbol) => symbol.Value + LoadBias;
}

/// <summary>
/// The images mapped into the process (spec §6 "Use", §9.3): every file-backed mapping at
/// file offset 0 starts an image. Its headers and symbols are read from the core's memory
/// when gcore dumped them, else from the same path under <c>--sysroot</c> or from a file
/// given with <c>--binary</c>. When both exist, their bytes are compared: a different build
/// than the one that ran would give wrong symbols and unwinding, so it is warned about.
/// </summary>
public sealed class ModuleMap : IDisposable
{
    /// <summary>How many bytes of each image are compared between core and disk (headers and the start of text).</summary>
    public const int CompareBytes = 64 * 1024;

    private readonly List<ByteSource> opened = [];
    private readonly List<LoadedModule> modules = [];
    private readonly List<string> warnings = [];

    private ModuleMap() { }

    public IReadOnlyList<LoadedModule> Modules => modules;
    public IReadOnlyList<string> Warnings => warnings;

    /// <param name="binaries">Files to use for modules whose file name (or full path) they match, e.g. the mysqld that ran.</param>
    public static ModuleMap Discover(FreeBsdCore core, Sysroot? sysroot, IReadOnlyList<string>? binaries = null)
    {
        var map = new ModuleMap();
        var entries = core.Process.Mappings;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Type != KinfoVmEntry.TypeVnode || e.Offset != 0 || string.IsNullOrEmpty(e.Path)) continue;
            // The image spans the following mappings of the same file (text, data, RELRO), across
            // the anonymous gaps rtld leaves between them, up to the next file's mapping.
            ulong end = e.End;
            for (int j = i + 1; j < entries.Count && (entries[j].Path == e.Path || string.IsNullOrEmpty(entries[j].Path)); j++)
                if (entries[j].Path == e.Path) end = entries[j].End;
            map.modules.Add(map.Load(core, e.Path, e.Start, end, sysroot, binaries ?? []));
        }
        return map;
    }

    private LoadedModule Load(FreeBsdCore core, string path, ulong start, ulong end, Sysroot? sysroot, IReadOnlyList<string> binaries)
    {
        var inCore = ElfImage.FromCoreMemory(core.Memory, start, out string? inCoreProblem);
        string? diskProblem = null;
        string? file = binaries.FirstOrDefault(b => b == path || System.IO.Path.GetFileName(b) == System.IO.Path.GetFileName(path));
        if (file is null && sysroot is not null) file = sysroot.Resolve(path, out diskProblem);
        else if (file is null) diskProblem = "no --sysroot or --binary was given";

        ElfImage? onDisk = null;
        if (file is not null)
        {
            try
            {
                var source = ByteSource.OpenFile(file);
                opened.Add(source);
                var elf = ElfFile.Parse(source);
                onDisk = ElfImage.FromFile(elf, start - ElfImage.FirstLoadAddress(elf.ProgramHeaders));
            }
            catch (Exception e) when (e is CoreFormatException or UnsupportedCoreException or IOException or UnauthorizedAccessException)
            {
                diskProblem = $"{file} is unreadable: {e.Message}";
                warnings.Add($"{path}: {diskProblem}");
            }
        }

        if (inCore is not null)
        {
            if (onDisk is not null) CompareWithDisk(path, file!, inCore, onDisk);
            return new LoadedModule(path, start, end, inCore.LoadBias, inCore, inCore.View.Origin, null) { DiskImage = onDisk };
        }
        if (onDisk is not null)
            return new LoadedModule(path, start, end, onDisk.LoadBias, onDisk, file, null) { DiskImage = onDisk };
        return new LoadedModule(path, start, end, 0, null, null, $"{inCoreProblem}; {diskProblem}");
    }

    /// <summary>Compares the first bytes of every loadable read-only segment: headers, code and read-only data are identical between the file and the process.</summary>
    private void CompareWithDisk(string path, string file, ElfImage inCore, ElfImage onDisk)
    {
        var a = new byte[CompareBytes];
        var b = new byte[CompareBytes];
        foreach (var segment in onDisk.ProgramHeaders.Where(p => p.IsLoad && !p.Writable))
        {
            int length = (int)Math.Min((ulong)CompareBytes, segment.FileSize);
            int gotCore = inCore.View.Read(segment.VirtualAddress, a.AsSpan(0, length));
            int gotDisk = onDisk.View.Read(segment.VirtualAddress, b.AsSpan(0, length));
            int n = Math.Min(gotCore, gotDisk);
            if (n == 0) continue;
            int diff = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
            if (diff < n)
            {
                warnings.Add($"{path}: the core's copy differs from {file} at link-time address 0x{segment.VirtualAddress + (ulong)diff:x}: " +
                             "the file is probably a different build than the one that ran, so symbols and unwinding from it may be wrong");
                return;
            }
        }
    }

    public void Dispose()
    {
        foreach (var source in opened) source.Dispose();
        opened.Clear();
    }

    public LoadedModule? FindByFileName(string fileName) =>
        modules.FirstOrDefault(m => m.FileName == fileName && m.Image is not null) ?? modules.FirstOrDefault(m => m.FileName == fileName);

    public LoadedModule? FindByAddress(ulong address)
    {
        // A loop, not FirstOrDefault: every frame of every thread is looked up here.
        foreach (var m in modules)
            if (m.Contains(address)) return m;
        return null;
    }
}
