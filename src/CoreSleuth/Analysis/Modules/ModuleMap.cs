using CoreSleuth.Elf;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Modules;

/// <summary>Where a module's file on disk came from.</summary>
public enum ModuleFileSource { None, Sysroot, Binary, Executable, Local }

/// <summary>
/// An ELF image mapped into the process. <see cref="Image"/> is read from the core's memory when
/// the producer dumped it, else from disk; <see cref="DiskImage"/> is the file from
/// <c>--sysroot</c>/<c>--binary</c>/<c>--exe</c> when one was found (its <c>.symtab</c>, if any, names more
/// functions than <c>.dynsym</c>).
/// </summary>
public sealed record LoadedModule(string Path, ulong Start, ulong End, ulong LoadBias, ElfImage? Image, string? Origin, string? Problem)
{
    /// <summary>The file's name, made once: every frame of a report names its module.</summary>
    public string FileName { get; } = System.IO.Path.GetFileName(Path);

    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>The same image read from its file on disk, when a sysroot or --binary supplied one.</summary>
    public ElfImage? DiskImage { get; init; }

    /// <summary>The file on disk the image was read from (<see cref="DiskImage"/>), and which option gave it.</summary>
    public string? File { get; init; }
    public ModuleFileSource FileSource { get; init; }

    /// <summary>The image is the executable (it holds AT_PHDR or AT_ENTRY).</summary>
    public bool IsExecutable { get; init; }

    /// <summary>The core holds the image's code: every executable mapping of it was dumped.</summary>
    public bool CodeInCore { get; init; }

    /// <summary>Neither the core nor a file on disk holds the image's code.</summary>
    public bool CodeMissing => !CodeInCore && DiskImage is null;

    /// <summary>The GNU build-id of the image (from the core or the file), lowercase hex; null when neither has one.</summary>
    public string? BuildId { get; init; }

    /// <summary>The image's separate debug file (<see cref="SeparateDebugFile"/>), whose <c>.symtab</c> names what <c>.dynsym</c> does not; null without one.</summary>
    public ElfFile? DebugElf { get; init; }

    /// <summary>Where <see cref="DebugElf"/> was found.</summary>
    public string? DebugFile { get; init; }

    /// <summary>The process address of <paramref name="symbol"/>.</summary>
    public ulong AddressOf(ElfSymbol symbol) => symbol.Value + LoadBias;
}

/// <summary>
/// The images mapped into the process (spec §6 "Use", §9.3): every file-backed mapping at
/// file offset 0 starts an image. Its headers and symbols are read from the core's memory
/// when gcore dumped them, else from a file on disk: the executable given with --exe, a
/// --binary that is the same image (<see cref="ModuleIdentity"/>: build-id, headers or load
/// layout — never the file name alone), or the same path under <c>--sysroot</c>. A file that is
/// not the image that ran is not used, and said so in <see cref="Warnings"/>; so is a --binary
/// that is no image of the core. When core and file both hold bytes, they are compared too.
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

    /// <summary>
    /// The warning that some images' code is missing, naming <c>coresleuth files</c>; null when every
    /// image's code is at hand. Apart from <see cref="Warnings"/>: it matters to reports that show frames.
    /// </summary>
    public string? MissingCode { get; private set; }

    /// <param name="binaries">Files to use for the modules they are the image of (e.g. the mysqld that ran, under any name).</param>
    /// <param name="executable">The executable that ran (--exe), like gdb's first argument.</param>
    public static ModuleMap Discover(CoreFile core, Sysroot? sysroot, IReadOnlyList<string>? binaries = null, string? executable = null)
    {
        var map = new ModuleMap();
        // gdb's gcore and the Linux kernel leave file-backed code out of the core: without a sysroot
        // the files the process mapped are read where they are, if they are still the same build.
        var system = SystemConventions.Of(core);
        if (sysroot is null && system.LocalFilesWithoutSysroot) sysroot = new Sysroot("/") { IsLocalSystem = true };
        var spans = Spans(core);
        var inCore = spans.Select(s => (image: ElfImage.FromCoreMemory(core.Memory, s.Start, out string? problem), problem)).ToList();
        var chosen = new (string File, ElfFile Elf, ModuleFileSource Source)?[spans.Count];

        if (executable is not null && map.OpenElf(executable, "--exe") is { } exe)
        {
            int at = spans.FindIndex(s => s.IsExecutable);
            if (at < 0) map.warnings.Add($"--exe {executable}: the core does not tell which mapping is the executable (no AT_PHDR or AT_ENTRY in a mapped image): not used");
            else if (ModuleIdentity.Check(spans[at], exe, inCore[at].image, core) is { Same: false } verdict)
                map.warnings.Add($"--exe {executable} is not the executable that ran ({spans[at].Path}): {verdict.How}; not used");
            else chosen[at] = (executable, exe, ModuleFileSource.Executable);
        }

        foreach (string binary in binaries ?? [])
        {
            if (map.OpenElf(binary, "--binary") is not { } elf) continue;
            var verdicts = spans.Select((s, i) => ModuleIdentity.Check(s, elf, inCore[i].image, core)).ToList();
            var same = Enumerable.Range(0, spans.Count).Where(i => verdicts[i].Same).ToList();
            string name = System.IO.Path.GetFileName(binary);
            // Among images it fits, the one of the same name; a fit by layout alone among several images of other names is no answer.
            var named = same.Where(i => spans[i].FileName == name).ToList();
            int? pick = named.Count > 0 ? named[0]
                : same.Count == 1 || (same.Count > 1 && verdicts[same[0]].Strong) ? same[0] : null;
            if (pick is { } p)
            {
                if (chosen[p] is { } earlier)
                    map.warnings.Add($"--binary {binary}: {spans[p].Path} is already given by {earlier.File}; not used");
                else chosen[p] = (binary, elf, ModuleFileSource.Binary);
            }
            else if (same.Count > 1)
                map.warnings.Add($"--binary {binary} fits {same.Count} images of the core by their load layout alone " +
                                 $"({string.Join(", ", same.Select(i => spans[i].Path))}); not used: give it under the name it had, or in a --sysroot at its path");
            else if (spans.FindIndex(s => s.FileName == name) is var n and >= 0)
                map.warnings.Add($"--binary {binary} has the name of {spans[n].Path} but is not the image that ran: {verdicts[n].How}; not used");
            else
                map.warnings.Add($"--binary {binary} is none of the {spans.Count} images the core maps (by build-id, headers or load layout); not used");
        }

        for (int i = 0; i < spans.Count; i++)
        {
            string diskProblem = sysroot is null ? "no --sysroot or --binary was given" : "";
            string where = sysroot is { IsLocalSystem: true } ? "on this machine" : "in the sysroot";
            string? notThere = null;
            if (chosen[i] is null && sysroot is not null && sysroot.Resolve(spans[i].Path, out notThere) is { } found
                && sysroot.Display(found) is var file && map.OpenElf(found, "--sysroot", file) is { } elf)
            {
                if (ModuleIdentity.Check(spans[i], elf, inCore[i].image, core) is { Same: false } verdict)
                {
                    diskProblem = $"{file} {where} is not the image that ran: {verdict.How}";
                    map.warnings.Add($"{spans[i].Path}: {diskProblem}; not used");
                }
                else
                {
                    chosen[i] = (file, elf, sysroot.IsLocalSystem ? ModuleFileSource.Local : ModuleFileSource.Sysroot);
                    if (sysroot.IsLocalSystem && ModuleIdentity.BuildId(elf) is null)
                        map.warnings.Add($"{spans[i].Path}: the file on this machine has no build-id, so it was matched by its headers or load layout only; if it was updated since the dump, symbols and stacks from it are wrong");
                }
            }
            else if (chosen[i] is null && sysroot is not null) diskProblem = notThere ?? $"{spans[i].Path} is unreadable in the sysroot";
            var module = map.Load(core, spans[i], inCore[i].image, $"{inCore[i].problem}; {diskProblem}", chosen[i]);
            if (system.SeparateDebugFiles && sysroot is not null) module = map.WithDebugFile(module, sysroot, chosen[i]?.Elf);
            map.modules.Add(module);
        }
        var missing = map.modules.Where(m => m.CodeMissing).ToList();
        if (missing.Count > 0)
            map.MissingCode = $"the code of {Plural.Of(missing.Count, "image")} is neither in the core nor in a file given " +
                              $"({string.Join(", ", missing.Take(4).Select(m => m.FileName))}{(missing.Count > 4 ? ", …" : "")}): their frames show as module+0x… " +
                              "and unwinding through them is guesswork; run `coresleuth files CORE` to see which files to copy from the server";
        return map;
    }

    /// <summary>
    /// Adds the module's separate debug file, when one is found whose build-id is the module's
    /// (a debug file of another build names the wrong functions: said so and not used).
    /// </summary>
    private LoadedModule WithDebugFile(LoadedModule module, Sysroot root, ElfFile? file)
    {
        foreach (string candidate in SeparateDebugFile.Candidates(root, module.Path, module.BuildId, file))
        {
            if (OpenElf(candidate, "debug file", root.Display(candidate)) is not { } debug) continue;
            string? id = ModuleIdentity.BuildId(debug);
            if (module.BuildId is not null && id is not null && id != module.BuildId)
            {
                warnings.Add($"{module.Path}: the debug file {root.Display(candidate)} has build-id {id}, the image {module.BuildId}; not used");
                continue;
            }
            return module with { DebugElf = debug, DebugFile = root.Display(candidate) };
        }
        return module;
    }

    /// <summary>The images the core maps: every file-backed mapping at offset 0 with its following mappings of the same file.</summary>
    public static List<ModuleSpan> Spans(CoreFile core)
    {
        var entries = core.Process.Mappings;
        var found = new List<(string Path, ulong Start, ulong End, List<Mapping> Mappings)>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Kind != MappingKind.File || e.FileOffset != 0 || string.IsNullOrEmpty(e.Path)) continue;
            // The image spans the following mappings of the same file (text, data, RELRO), across
            // the anonymous gaps rtld leaves between them, up to the next file's mapping.
            ulong end = e.End;
            var mappings = new List<Mapping> { e };
            for (int j = i + 1; j < entries.Count && (entries[j].Path == e.Path || string.IsNullOrEmpty(entries[j].Path)); j++)
                if (entries[j].Path == e.Path)
                {
                    end = entries[j].End;
                    mappings.Add(entries[j]);
                }
            found.Add((e.Path, e.Start, end, mappings));
        }
        int? exe = ModuleIdentity.ExecutableIndex(found.Select(f => (f.Path, f.Start, f.End)).ToList(), core);
        return [.. found.Select((f, i) => new ModuleSpan(f.Path, f.Start, f.End, f.Mappings, i == exe))];
    }

    /// <summary>Opens and parses an ELF file given by an option; null, with a warning, when unreadable.</summary>
    /// <param name="name">How reports name the file, when not by <paramref name="file"/>.</param>
    private ElfFile? OpenElf(string file, string option, string? name = null)
    {
        try
        {
            var source = ByteSource.OpenFile(file, name ?? file);
            opened.Add(source);
            return ElfFile.Parse(source);
        }
        catch (Exception e) when (e is CoreFormatException or UnsupportedCoreException or IOException or UnauthorizedAccessException)
        {
            warnings.Add($"{option} {name ?? file} is unreadable: {e.Message}");
            return null;
        }
    }

    private LoadedModule Load(CoreFile core, ModuleSpan span, ElfImage? inCore, string problem,
        (string File, ElfFile Elf, ModuleFileSource Source)? chosen)
    {
        string path = span.Path;
        ElfImage? onDisk = chosen is { } c ? ElfImage.FromFile(c.Elf, span.Start - ElfImage.FirstLoadAddress(c.Elf.ProgramHeaders)) : null;
        string? file = chosen?.File;
        string? buildId = (inCore is null ? null : ModuleIdentity.BuildId(inCore)) ?? (chosen is { } d ? ModuleIdentity.BuildId(d.Elf) : null);
        bool codeInCore = span.Mappings.Where(m => m.CanExecute)
            .All(m => core.Memory.Check(m.Start) == Unavailability.None && core.Memory.Check(m.End - 1) == Unavailability.None);
        LoadedModule module;
        if (inCore is not null)
        {
            if (onDisk is not null) CompareWithDisk(path, file!, inCore, onDisk);
            module = new LoadedModule(path, span.Start, span.End, inCore.LoadBias, inCore, inCore.View.Origin, null) { DiskImage = onDisk };
        }
        else if (onDisk is not null)
            module = new LoadedModule(path, span.Start, span.End, onDisk.LoadBias, onDisk, file, null) { DiskImage = onDisk };
        else module = new LoadedModule(path, span.Start, span.End, 0, null, null, problem);
        return module with { File = file, FileSource = chosen?.Source ?? ModuleFileSource.None, IsExecutable = span.IsExecutable, CodeInCore = codeInCore, BuildId = buildId };
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
