using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;

namespace CoreSleuth.Analysis.Modules;

/// <summary>An ELF image mapped into the process, where its bytes were found, and its symbols.</summary>
public sealed record LoadedModule(string Path, ulong Start, ulong End, ulong LoadBias, ElfImage? Image, string? Origin, string? Problem)
{
    public string FileName => System.IO.Path.GetFileName(Path);
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>The process address of <paramref name="symbol"/>.</summary>
    public ulong AddressOf(ElfSymbol symbol) => symbol.Value + LoadBias;
}

/// <summary>
/// The images mapped into the process (spec §6 "Use", §9.3): every file-backed mapping at
/// file offset 0 starts an image. Its headers and symbols are read from the core's memory
/// when gcore dumped them, else from the same path under <c>--sysroot</c>.
/// </summary>
public sealed class ModuleMap : IDisposable
{
    private readonly List<ByteSource> opened = [];
    private readonly List<LoadedModule> modules = [];
    private readonly List<string> warnings = [];

    private ModuleMap() { }

    public IReadOnlyList<LoadedModule> Modules => modules;
    public IReadOnlyList<string> Warnings => warnings;

    public static ModuleMap Discover(FreeBsdCore core, Sysroot? sysroot)
    {
        var map = new ModuleMap();
        var entries = core.Process.Mappings;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Type != KinfoVmEntry.TypeVnode || e.Offset != 0 || string.IsNullOrEmpty(e.Path)) continue;
            // The image spans the following mappings of the same file (text, data, RELRO).
            ulong end = e.End;
            for (int j = i + 1; j < entries.Count && entries[j].Path == e.Path; j++) end = entries[j].End;
            map.modules.Add(map.Load(core, e.Path, e.Start, end, sysroot));
        }
        return map;
    }

    private LoadedModule Load(FreeBsdCore core, string path, ulong start, ulong end, Sysroot? sysroot)
    {
        var image = ElfImage.FromCoreMemory(core.Memory, start, out string? inCore);
        if (image is not null) return new LoadedModule(path, start, end, image.LoadBias, image, image.View.Origin, null);
        if (sysroot is null)
            return new LoadedModule(path, start, end, 0, null, null, $"{inCore}, and no --sysroot was given");
        string? file = sysroot.Resolve(path, out string? problem);
        if (file is null) return new LoadedModule(path, start, end, 0, null, null, $"{inCore}; {problem}");
        try
        {
            var source = ByteSource.OpenFile(file);
            opened.Add(source);
            var elf = ElfFile.Parse(source);
            ulong bias = start - ElfImage.FirstLoadAddress(elf.ProgramHeaders);
            var fromFile = ElfImage.FromFile(elf, bias);
            return new LoadedModule(path, start, end, bias, fromFile, file, null);
        }
        catch (Exception e) when (e is CoreFormatException or UnsupportedCoreException or IOException or UnauthorizedAccessException)
        {
            warnings.Add($"{file}: {e.Message}");
            return new LoadedModule(path, start, end, 0, null, null, $"{inCore}; {file} is unreadable: {e.Message}");
        }
    }

    public LoadedModule? FindByFileName(string fileName) =>
        modules.FirstOrDefault(m => m.FileName == fileName && m.Image is not null) ?? modules.FirstOrDefault(m => m.FileName == fileName);

    public void Dispose()
    {
        foreach (var source in opened) source.Dispose();
        opened.Clear();
    }

    public LoadedModule? FindByAddress(ulong address) => modules.FirstOrDefault(m => m.Contains(address));
}
