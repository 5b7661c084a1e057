namespace CoreSleuth.Testing.Images;

public enum ElfImageKind
{
    /// <summary>ET_EXEC linked at 0x400000.</summary>
    Executable,
    /// <summary>ET_DYN linked at 0.</summary>
    SharedLibrary,
}

/// <summary>How a function sets up its frame (and so what its CFI says).</summary>
public enum FrameStyle
{
    /// <summary>No stack use at all: CFA = rsp+8 throughout (syscall stubs).</summary>
    None,
    /// <summary><c>push rbp; mov rbp,rsp; push callee-saved…; sub rsp,N</c>.</summary>
    FramePointer,
    /// <summary><c>push callee-saved…; sub rsp,N</c> as clang -O2 emits without frame pointers.</summary>
    NoFramePointer,
}

/// <summary>Callee-saved registers of the SysV x86-64 ABI (pushed in the order given).</summary>
public enum CalleeSavedRegister
{
    Rbx,
    Rbp,
    R12,
    R13,
    R14,
    R15,
}

public enum CallKind
{
    /// <summary><c>call rel32</c> to a function of the same image, or to the PLT entry of an import.</summary>
    Direct,
    /// <summary><c>call qword ptr [rip+slot]</c> through a pointer table in the image's data
    /// (libc's <c>__libc_interposing</c>); the slot is filled with the callee at process build time.</summary>
    ThroughSlot,
    /// <summary><c>call qword ptr [rbx+disp]</c> with rbx = the thread's struct pthread (libthr's
    /// thread_start calling start_routine).</summary>
    ThroughThreadPointer,
}

public enum SymbolBinding
{
    Global,
    Weak,
}

/// <summary>An extra dynamic symbol naming a function's address (e.g. <c>_openat</c> for <c>__sys_openat</c>).</summary>
public sealed record SymbolAlias(string Name, SymbolBinding Binding = SymbolBinding.Weak, string? Version = null);

/// <summary>One call instruction in a function body.</summary>
/// <param name="Callee">The function called; may be null for <see cref="CallKind.ThroughSlot"/> and
/// <see cref="CallKind.ThroughThreadPointer"/>, whose target is decided by the thread chains.</param>
public sealed record CallSite(string? Callee, CallKind Kind = CallKind.Direct)
{
    /// <summary>For <see cref="CallKind.ThroughSlot"/>: the data object holding the pointer table.</summary>
    public string? SlotSymbol { get; init; }

    /// <summary>For <see cref="CallKind.ThroughSlot"/>: index of the 8-byte slot in the table.</summary>
    public int SlotIndex { get; init; }

    /// <summary>For <see cref="CallKind.ThroughThreadPointer"/>: offset of the function pointer in struct pthread.</summary>
    public int ThreadPointerDisplacement { get; init; }

    public static CallSite To(string callee) => new(callee);

    public static CallSite ThroughSlot(string slotSymbol, int slotIndex, string? callee = null) =>
        new(callee, CallKind.ThroughSlot) { SlotSymbol = slotSymbol, SlotIndex = slotIndex };

    public static CallSite ThroughThreadPointer(int displacement) =>
        new(null, CallKind.ThroughThreadPointer) { ThreadPointerDisplacement = displacement };
}

/// <summary>
/// A function described as data; <see cref="ElfImageBuilder"/> turns it into x86-64 code and an FDE.
/// A function with <see cref="SyscallNumber"/> is a libc-style system-call stub
/// (<c>mov eax,N; mov r10,rcx; syscall; jb error; ret</c>) and ignores the frame settings.
/// </summary>
public sealed record FunctionSpec(string Name)
{
    public SymbolBinding Binding { get; init; } = SymbolBinding.Global;

    /// <summary>Symbol version (must be one of the image's <see cref="ElfImageSpec.VersionDefinitions"/>).</summary>
    public string? Version { get; init; }

    /// <summary>False: the code and its FDE exist but no .dynsym entry names it (a static function).</summary>
    public bool Exported { get; init; } = true;

    public IReadOnlyList<SymbolAlias> Aliases { get; init; } = [];

    public FrameStyle Frame { get; init; } = FrameStyle.FramePointer;

    public IReadOnlyList<CalleeSavedRegister> SavedRegisters { get; init; } = [];

    /// <summary>Bytes of locals wanted; the builder rounds up so that rsp is 16-aligned at calls.</summary>
    public int LocalsSize { get; init; }

    public IReadOnlyList<CallSite> Calls { get; init; } = [];

    public int? SyscallNumber { get; init; }

    /// <summary>For a syscall stub: the function <c>jb</c> goes to on error (libc's <c>.cerror</c>);
    /// null = a local <c>ret</c> after the stub (libthr's <c>_umtx_op_err</c>).</summary>
    public string? SyscallErrorHandler { get; init; }

    /// <summary>Emit DW_CFA_undefined rip (crt1's <c>_start</c>): unwinders stop here.</summary>
    public bool TerminatesCallChain { get; init; }

    /// <summary>False: code and symbol but no FDE in .eh_frame (nor entry in .eh_frame_hdr's table), as
    /// for hand-written assembly without <c>.cfi_*</c> directives (FreeBSD ≤ 12's SYS.h syscall stubs).
    /// A syscall stub also loses its FDE when its image has <see cref="ElfImageSpec.SyscallStubFdes"/> false.</summary>
    public bool HasFde { get; init; } = true;

    /// <summary>A load through a callee-saved register emitted right after the prologue (<c>mov rax, qword ptr [base+disp]</c>),
    /// where a thread can take a page fault (see <see cref="FaultingLoad"/>); null = none.</summary>
    public FaultingLoad? FaultingLoad { get; init; }

    public IEnumerable<string> AllNames => Aliases.Select(a => a.Name).Prepend(Name);

    public static FunctionSpec SyscallStub(string name, int number, string? errorHandler, params SymbolAlias[] aliases) =>
        new(name) { SyscallNumber = number, SyscallErrorHandler = errorHandler, Frame = FrameStyle.None, Aliases = aliases };
}

/// <summary><c>mov rax, qword ptr [Base+Displacement]</c>: dereferencing a member of a struct whose pointer the
/// function keeps in a callee-saved register (<paramref name="Base"/> must be one the function pushes).</summary>
public sealed record FaultingLoad(CalleeSavedRegister Base, int Displacement);

/// <summary>A data object of the image (.data, or .bss when <see cref="Uninitialized"/>).</summary>
public sealed record DataObjectSpec(string Name, int Size)
{
    public byte[]? InitialValue { get; init; }
    public SymbolBinding Binding { get; init; } = SymbolBinding.Global;
    public string? Version { get; init; }
    public bool Exported { get; init; } = true;
    public int Alignment { get; init; } = 8;
    public bool Uninitialized { get; init; }

    public static DataObjectSpec Int32(string name, int value, string? version = null) =>
        new(name, 4) { InitialValue = BitConverter.GetBytes(value), Version = version, Alignment = 4, Uninitialized = value == 0 };
}

/// <summary>Everything <see cref="ElfImageBuilder"/> needs to produce one ELF file.</summary>
public sealed record ElfImageSpec(ElfImageKind Kind, string FileName)
{
    /// <summary>DT_SONAME (libraries).</summary>
    public string? SoName { get; init; }

    public IReadOnlyList<string> Needed { get; init; } = [];

    /// <summary>PT_INTERP of an executable.</summary>
    public string Interpreter { get; init; } = "/libexec/ld-elf.so.1";

    /// <summary>Value of the FreeBSD ABI tag note.</summary>
    public int OsRelDate { get; init; } = FreeBsdVersion.V13_5.OsRelDate;

    /// <summary>Version names defined (Verdef) after the base entry, e.g. FBSD_1.0 … FBSDprivate_1.0.</summary>
    public IReadOnlyList<string> VersionDefinitions { get; init; } = [];

    public IReadOnlyList<FunctionSpec> Functions { get; init; } = [];

    public IReadOnlyList<DataObjectSpec> DataObjects { get; init; } = [];

    /// <summary>e_entry of an executable (a function name).</summary>
    public string? EntryFunction { get; init; }

    /// <summary>Turn every <see cref="FrameStyle.FramePointer"/> function into
    /// <see cref="FrameStyle.NoFramePointer"/>, so unwinding must use CFI.</summary>
    public bool OmitFramePointers { get; init; }

    /// <summary>False: the syscall stubs (<see cref="FunctionSpec.SyscallNumber"/>) get no FDE, as FreeBSD ≤ 12's
    /// assembly stubs (lib/libc/amd64/SYS.h without CFI); see <see cref="FreeBsdSystemImages"/>.</summary>
    public bool SyscallStubFdes { get; init; } = true;

    /// <summary>False: no PT_GNU_EH_FRAME and no .eh_frame_hdr (a link without <c>--eh-frame-hdr</c>); .eh_frame
    /// stays, findable only through the section headers.</summary>
    public bool EhFrameHeader { get; init; } = true;

    /// <summary>Whether <paramref name="function"/> (one of <see cref="Functions"/>) is described by an FDE.</summary>
    public bool EmitsFde(FunctionSpec function) => function.HasFde && (function.SyscallNumber is null || SyscallStubFdes);

    public ulong LinkBase => Kind == ElfImageKind.Executable ? 0x400000UL : 0UL;
}
