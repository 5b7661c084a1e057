using System.Buffers.Binary;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Elf;

namespace CoreSleuth.Analysis.Unwind;

/// <summary>A half-open range of process addresses.</summary>
public readonly record struct AddressRange(ulong Start, ulong End)
{
    public bool Contains(ulong address) => address >= Start && address < End;
    public override string ToString() => $"[0x{Start:x}, 0x{End:x})";
}

/// <summary>The memory an unwinder reads: the thread's stack and data such as GOT slots.</summary>
public interface IStackMemory
{
    /// <summary>Copies the available bytes at <paramref name="address"/>; returns how many.</summary>
    int Read(ulong address, Span<byte> destination);

    /// <summary>Why the byte at <paramref name="address"/> cannot be read ("0x… is not in the core …").</summary>
    string Explain(ulong address);

    /// <summary>The contiguous mapped region that holds <paramref name="address"/> (the stack, for a stack pointer), or null.</summary>
    AddressRange? RegionOf(ulong address);
}

/// <summary>Where code lives: the module of a pc, with its CFI and symbols.</summary>
public interface ICfiProvider
{
    /// <summary>The module one of whose executable segments holds process address <paramref name="address"/>, or null.</summary>
    CodeModule? FindModule(ulong address);

    /// <summary>
    /// Whether <paramref name="address"/> lies in executable memory of the process, even of an
    /// image whose code and CFI are not available (no file under the sysroot): such a pc can
    /// still be a frame, found by frame pointer, though nothing can be unwound from it by CFI
    /// or validated by a scan.
    /// </summary>
    bool IsExecutable(ulong address);

    /// <summary>
    /// The FreeBSD shared page that holds the signal trampoline (sigcode), when known: the
    /// anonymous r-x mapping at the top of the user address space (spec §6; corpus gdb
    /// mappings 0x7ffffffff000 on 11.x, 0x7fffffffe000 on 13/14).
    /// </summary>
    AddressRange? SignalTrampoline { get; }

    /// <summary>
    /// The file mapped at <paramref name="address"/> when it lies in an executable file mapping
    /// (kinfo_vmentry's path), also when no image of that file could be read; else null.
    /// </summary>
    string? MappedFileAt(ulong address) => null;
}

/// <summary>A function's extent: from a symbol (with its name) or from an FDE (no name).</summary>
public sealed record FunctionRange(ulong Start, ulong End, string? Name, string Source)
{
    public bool Contains(ulong address) => address >= Start && address < End;
}

/// <summary>
/// One loaded image as the unwinder sees it: its executable ranges, its CFI (opened on first
/// use) and its function symbols, all in process addresses (link-time + <see cref="LoadBias"/>).
/// </summary>
public sealed class CodeModule
{
    private readonly Lazy<(EhFrame? Cfi, string? Problem)> cfi;
    private readonly (ulong Start, ulong End, string Name)[] functions;

    /// <param name="sections">The image file's section headers, when known: <c>.eh_frame</c> is found
    /// through them when the image has no PT_GNU_EH_FRAME (linked without --eh-frame-hdr).</param>
    public CodeModule(string name, ulong loadBias, IImageView view, IReadOnlyList<ProgramHeader> programHeaders, IEnumerable<ElfSymbol>? symbols = null,
        IReadOnlyList<SectionHeader>? sections = null)
    {
        Name = name;
        LoadBias = loadBias;
        View = view;
        executableRanges = programHeaders.Where(p => p.IsLoad && p.Executable && p.MemorySize > 0)
            .Select(p => new AddressRange(p.VirtualAddress + loadBias, p.VirtualAddress + p.MemorySize + loadBias))
            .OrderBy(r => r.Start).ToArray();
        cfi = new Lazy<(EhFrame?, string?)>(() =>
        {
            var eh = EhFrame.Open(view, programHeaders, out string? problem);
            if (eh is null && sections?.FirstOrDefault(x => x.Name == ".eh_frame" && x.Address != 0 && x.Size >= 4) is { } section)
            {
                var bytes = view.ReadAvailable(section.Address, (int)Math.Min(section.Size, (ulong)EhFrame.MaxSectionBytes));
                if (bytes.Length >= 4)
                {
                    ulong textBase = programHeaders.Where(p => p.IsLoad && p.Executable).Select(p => p.VirtualAddress).DefaultIfEmpty(0UL).Min();
                    return (EhFrame.FromBytes(bytes, section.Address, view: view, textBase: textBase), null);
                }
                problem += $"; its .eh_frame section at 0x{section.Address:x} is not readable from {view.Origin}";
            }
            return (eh, problem);
        });
        functions = (symbols ?? [])
            .Where(s => s.IsDefined && s.IsFunction && s.Size > 0 && s.Value + s.Size > s.Value)
            .Select(s => (s.Value + loadBias, s.Value + s.Size + loadBias, s.Name))
            .OrderBy(f => f.Item1).ToArray();
        functionRanges = new FunctionRange?[functions.Length];
    }

    private readonly AddressRange[] executableRanges;

    // Each symbol's range is made once, and the FDE range of a pc without one: every frame of a
    // thousand threads asks for its function.
    private readonly FunctionRange?[] functionRanges;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, FunctionRange?> fdeRanges = new();

    public string Name { get; }
    public ulong LoadBias { get; }
    public IImageView View { get; }
    public IReadOnlyList<AddressRange> ExecutableRanges => executableRanges;

    /// <summary>The module's CFI, or null (see <see cref="CfiProblem"/>).</summary>
    public EhFrame? Cfi => cfi.Value.Cfi;
    public string? CfiProblem => cfi.Value.Problem;

    public bool IsExecutable(ulong address)
    {
        foreach (var r in executableRanges)
            if (r.Contains(address)) return true;
        return false;
    }

    /// <summary>The CFI row at process address <paramref name="pc"/> (row addresses are link-time).</summary>
    public CfiResult<CfiRow> FindRow(ulong pc) =>
        Cfi is { } eh ? eh.FindRow(pc - LoadBias) : CfiResult<CfiRow>.Failure($"{Name}: {CfiProblem}");

    /// <summary>The function holding <paramref name="pc"/>: a sized function symbol, else the FDE's range, else null.</summary>
    public FunctionRange? FunctionAt(ulong pc)
    {
        int lo = 0, hi = functions.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (functions[mid].Start <= pc) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        for (int i = found; i >= 0 && i > found - 4; i--)
            if (pc >= functions[i].Start && pc < functions[i].End)
                return functionRanges[i] ??= new FunctionRange(functions[i].Start, functions[i].End, functions[i].Name, "symbol");
        // Read without a lock by both cores' walks; a pc looked up by both at once is looked up twice, to the same range.
        if (fdeRanges.TryGetValue(pc, out var range)) return range;
        range = Cfi?.FindFde(pc - LoadBias).Value is { } fde ? new FunctionRange(fde.PcBegin + LoadBias, fde.PcEnd + LoadBias, null, "FDE") : null;
        return fdeRanges.GetOrAdd(pc, range);
    }

    /// <summary>Copies code bytes at process address <paramref name="address"/> from the image; returns how many.</summary>
    public int ReadCode(ulong address, Span<byte> destination) => View.Read(address - LoadBias, destination);

    // Plans made by instruction analysis, by pc: the threads of a server stop at a few dozen pcs.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, CfiResult<CfiRow>> plans = new();

    /// <summary>
    /// For code without CFI: the unwind plan at process address <paramref name="pc"/> made by
    /// decoding <paramref name="function"/> from its start (<see cref="InstructionAnalysis"/>).
    /// </summary>
    public CfiResult<CfiRow> PlanByInstructions(FunctionRange function, ulong pc) => plans.GetOrAdd(pc, _ =>
    {
        if (pc < function.Start || pc - function.Start > InstructionAnalysis.MaxBytes)
            return InstructionAnalysis.PlanAt([], function.Start, pc);
        var code = new byte[pc - function.Start];
        int got = ReadCode(function.Start, code);
        if (got < code.Length) return CfiResult<CfiRow>.Failure($"the code of {Describe(function)} is not available from {View.Origin}");
        return InstructionAnalysis.PlanAt(code, function.Start, pc);
    });

    private static string Describe(FunctionRange f) => f.Name ?? $"the function at 0x{f.Start:x}";

    public override string ToString() => Name;
}

/// <summary>An image view that reads from <paramref name="primary"/> and fills what it lacks from <paramref name="fallback"/>.</summary>
public sealed class FallbackImageView(IImageView primary, IImageView fallback) : IImageView
{
    public string Origin => $"{primary.Origin}, else {fallback.Origin}";

    public int Read(ulong address, Span<byte> destination)
    {
        int got = primary.Read(address, destination);
        if (got == destination.Length) return got;
        return got + fallback.Read(address + (ulong)got, destination[got..]);
    }
}

/// <summary>Little helpers over <see cref="IStackMemory"/>.</summary>
public static class StackMemoryExtensions
{
    public static bool TryReadUInt64(this IStackMemory memory, ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        bool ok = memory.Read(address, b) == 8;
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }
}
