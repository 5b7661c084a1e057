namespace CoreSleuth.Testing.Images;

/// <summary>
/// The stack frame a function builds: registers pushed in <see cref="PushOrder"/> (rbp first when
/// <see cref="UsesFramePointer"/>), then <see cref="LocalsSize"/> bytes of locals. Inside the body,
/// rsp = CFA − <see cref="FrameSize"/>; the return address is at CFA − 8.
/// </summary>
public sealed record FrameLayout(bool UsesFramePointer, IReadOnlyList<CalleeSavedRegister> PushOrder, int LocalsSize)
{
    /// <summary>CFA − rsp in the function body.</summary>
    public int FrameSize => 8 + (8 * PushOrder.Count) + LocalsSize;

    /// <summary>Offset from the CFA of the slot where the i-th pushed register is saved.</summary>
    public int SaveSlotOffset(int pushIndex) => -(16 + (8 * pushIndex));
}

/// <summary>A segment of the file (PT_LOAD) at link-time addresses.</summary>
public sealed record ElfSegmentInfo(ulong VirtualAddress, ulong FileOffset, ulong FileSize, ulong MemorySize, bool Writable, bool Executable)
{
    public ulong End => VirtualAddress + MemorySize;
}

/// <summary>One call instruction as assembled (link-time addresses).</summary>
/// <param name="DirectTarget">Target of a <c>call rel32</c>: the callee or its PLT entry.</param>
/// <param name="SlotAddress">The pointer read by <c>call [rip+slot]</c>.</param>
public sealed record CallSiteInfo(CallSite Spec, ulong CallAddress, ulong ReturnAddress, ulong? DirectTarget, ulong? SlotAddress);

/// <summary>A function as placed in the image (link-time addresses).</summary>
public sealed record AssembledFunction(
    FunctionSpec Spec,
    ulong Address,
    int Size,
    FrameLayout Frame,
    IReadOnlyList<CallSiteInfo> CallSites,
    ulong? SyscallInstructionAddress)
{
    /// <summary>Address of the <see cref="FunctionSpec.FaultingLoad"/> instruction (link-time).</summary>
    public ulong? FaultInstructionAddress { get; init; }

    public string Name => Spec.Name;

    public ulong End => Address + (ulong)Size;

    public bool Contains(ulong address) => address >= Address && address < End;
}

/// <summary>An imported function: its PLT entry and the .got.plt slot rtld fills.</summary>
public sealed record PltImport(string Name, ulong PltEntryAddress, ulong GotSlotAddress, int DynamicSymbolIndex);

/// <summary>A data object as placed in the image (link-time address).</summary>
public sealed record ElfDataObject(DataObjectSpec Spec, ulong Address)
{
    public string Name => Spec.Name;
}

/// <summary>The output of <see cref="ElfImageBuilder"/>: the file bytes and where everything is.</summary>
public sealed class ElfImage
{
    internal ElfImage(
        ElfImageSpec spec,
        byte[] fileBytes,
        ElfSegmentInfo text,
        ElfSegmentInfo data,
        ulong entryPoint,
        ulong programHeadersAddress,
        int programHeaderCount,
        ulong dynamicAddress,
        ulong? debugEntryAddress,
        ulong gotPltAddress,
        ulong? ehFrameHeaderAddress,
        ulong ehFrameAddress,
        IReadOnlyList<AssembledFunction> functions,
        IReadOnlyList<ElfDataObject> dataObjects,
        IReadOnlyList<PltImport> imports)
    {
        Spec = spec;
        FileBytes = fileBytes;
        TextSegment = text;
        DataSegment = data;
        EntryPoint = entryPoint;
        ProgramHeadersAddress = programHeadersAddress;
        ProgramHeaderCount = programHeaderCount;
        DynamicAddress = dynamicAddress;
        DebugEntryAddress = debugEntryAddress;
        GotPltAddress = gotPltAddress;
        EhFrameHeaderAddress = ehFrameHeaderAddress;
        EhFrameAddress = ehFrameAddress;
        Functions = functions;
        DataObjects = dataObjects;
        Imports = imports;
    }

    public ElfImageSpec Spec { get; }

    public string FileName => Spec.FileName;

    public ElfImageKind Kind => Spec.Kind;

    /// <summary>The complete ELF file (what a sysroot would hold).</summary>
    public byte[] FileBytes { get; }

    /// <summary>0x400000 for an executable, 0 for a library.</summary>
    public ulong LinkBase => Spec.LinkBase;

    /// <summary>The r-x PT_LOAD (ELF header, program headers, dynamic symbols, code, unwind tables).</summary>
    public ElfSegmentInfo TextSegment { get; }

    /// <summary>The rw- PT_LOAD (.dynamic, .got.plt, .data, .bss).</summary>
    public ElfSegmentInfo DataSegment { get; }

    /// <summary>e_entry (0 for libraries).</summary>
    public ulong EntryPoint { get; }

    public ulong ProgramHeadersAddress { get; }

    public int ProgramHeaderCount { get; }

    public ulong DynamicAddress { get; }

    /// <summary>Address of the d_val of the executable's DT_DEBUG entry (rtld stores &amp;r_debug there).</summary>
    public ulong? DebugEntryAddress { get; }

    public ulong GotPltAddress { get; }

    /// <summary>.eh_frame_hdr (PT_GNU_EH_FRAME), or null when the image has none (<see cref="ElfImageSpec.EhFrameHeader"/>).</summary>
    public ulong? EhFrameHeaderAddress { get; }

    public ulong EhFrameAddress { get; }

    public IReadOnlyList<AssembledFunction> Functions { get; }

    public IReadOnlyList<ElfDataObject> DataObjects { get; }

    public IReadOnlyList<PltImport> Imports { get; }

    /// <summary>The function with this name or alias, or null.</summary>
    public AssembledFunction? FindFunction(string name) => Functions.FirstOrDefault(f => f.Spec.AllNames.Contains(name));

    public AssembledFunction Function(string name) =>
        FindFunction(name) ?? throw new KeyNotFoundException($"{FileName} has no function {name}");

    public ElfDataObject? FindDataObject(string name) => DataObjects.FirstOrDefault(d => d.Name == name);

    /// <summary>Link-time address of a function (name or alias) or data object.</summary>
    public ulong SymbolAddress(string name) =>
        FindFunction(name)?.Address ?? FindDataObject(name)?.Address ?? throw new KeyNotFoundException($"{FileName} defines no {name}");

    /// <summary>The function whose code contains a link-time address, or null.</summary>
    public AssembledFunction? FunctionAt(ulong address) => Functions.FirstOrDefault(f => f.Contains(address));
}
