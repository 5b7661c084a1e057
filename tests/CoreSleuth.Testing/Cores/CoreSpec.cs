namespace CoreSleuth.Testing.Cores;

/// <summary>Who wrote the core (spec preamble).</summary>
public enum CoreProducer
{
    /// <summary>FreeBSD's userland gcore(1): ptrace-attached, process stopped.</summary>
    Gcore,
    /// <summary>The kernel on a fatal signal (also gcore -k / PT_COREDUMP).</summary>
    Kernel,
    /// <summary>GNU gdb's gcore / generate-core-file.</summary>
    Gdb,
}

/// <summary>
/// A complete description of a FreeBSD/amd64 process core. Immutable; every member has a
/// default so a test states only what matters. <see cref="CoreWriter"/> turns it into bytes.
/// </summary>
public sealed record CoreSpec
{
    public CoreProducer Producer { get; init; } = CoreProducer.Gcore;

    /// <summary>__FreeBSD_version of the producer (gcore binary / running kernel), e.g. 1001000 for 10.1, 1400097 for 14.</summary>
    public int OsRelDate { get; init; } = 1400097;

    /// <summary>pr_osreldate of NT_PRSTATUS. Null = <see cref="OsRelDate"/>.</summary>
    public int? PrOsRelDate { get; init; }

    /// <summary>p_osrel of NT_PROCSTAT_OSREL (the binary's osrel). Null = <see cref="OsRelDate"/>.</summary>
    public int? ProcOsRel { get; init; }

    public ProcessSpec Process { get; init; } = new();

    /// <summary>Threads in p_threads order (creation order; the main thread first). This is the order of the kinfo_proc records.</summary>
    public IReadOnlyList<ThreadSpec> Threads { get; init; } = [new ThreadSpec()];

    /// <summary>The VM map; sorted by start address when written.</summary>
    public IReadOnlyList<MappingSpec> Mappings { get; init; } = [];

    /// <summary>kinfo_file records, in the order written (the kernel lists text, ctty, cwd, root, then fds).</summary>
    public IReadOnlyList<OpenFileSpec> OpenFiles { get; init; } = [];

    /// <summary>Auxiliary vector written verbatim; include the AT_NULL terminator as real cores do.</summary>
    public IReadOnlyList<AuxvEntry> Auxv { get; init; } = DefaultAuxv;

    /// <summary>Resource limits. Null = RLIM_NLIMITS unlimited entries (14 before 11.0, 15 after).</summary>
    public IReadOnlyList<Rlimit>? Rlimits { get; init; }

    public ushort Umask { get; init; } = 0x12; // 022

    /// <summary>Address of struct ps_strings (NT_PROCSTAT_PSSTRINGS).</summary>
    public ulong PsStrings { get; init; } = 0x7fffffffefe0;

    /// <summary>pr_cursig of every NT_PRSTATUS. Null = 0 for gcore and gdb, SIGSEGV (11) for the kernel.</summary>
    public int? CurSig { get; init; }

    /// <summary>LWP whose notes come first (kernel: the thread that caused the dump; gdb: the signalled thread). Null = the thread flagged <see cref="ThreadSpec.Signalled"/>, else the first thread.</summary>
    public int? SignalledLwp { get; init; }

    /// <summary>Write NT_X86_XSTATE. Null = yes (gcore writes an empty one for threads without <see cref="ThreadSpec.XSave"/>).</summary>
    public bool? WriteXState { get; init; }

    /// <summary>Write NT_X86_SEGBASES. Null = gdb yes, kernel no (14.x kernels may, spec §2.2). gcore never does: true throws.</summary>
    public bool? WriteSegBases { get; init; }

    /// <summary>Write NT_PTLWPINFO. Null = gcore/kernel from 11.1 (<see cref="FreeBsdVersion.PtLwpInfo"/>); gdb never does: true throws.</summary>
    public bool? WritePtLwpInfo { get; init; }

    /// <summary>
    /// Per-thread note types after NT_PRSTATUS, overriding the producer's order (kernel 14.0+
    /// regset order is unconfirmed, spec doubt #1). Types not enabled are skipped.
    /// </summary>
    public IReadOnlyList<uint>? ThreadNoteOrder { get; init; }

    /// <summary>gcore -f: also dump DEVICE/SG/MGTDEVICE/NONE mappings (spec §1.3).</summary>
    public bool GcoreFull { get; init; }

    /// <summary>Kernel with the legacy-coredump sysctl set: only readable and writable entries are dumped (spec §1.3).</summary>
    public bool KernelLegacyCoredump { get; init; }

    /// <summary>kern.coredump_pack_fileinfo (kernel only; gcore always packs): variable-length kinfo_file records.</summary>
    public bool PackFileInfo { get; init; } = true;

    /// <summary>kern.coredump_pack_vmmapinfo (kernel only; gcore and gdb always pack).</summary>
    public bool PackVmmapInfo { get; init; } = true;

    /// <summary>Zero bytes appended to the FILES note descriptor (the kernel sizes it in a first pass, spec §5).</summary>
    public int FilesNotePadding { get; init; }

    /// <summary>Zero bytes appended to the VMMAP note descriptor (spec §6).</summary>
    public int VmmapNotePadding { get; init; }

    /// <summary>gdb-specific choices (spec doubt #2).</summary>
    public GdbOptions Gdb { get; init; } = new();

    /// <summary>e_machine (62 = EM_X86_64).</summary>
    public ushort Machine { get; init; } = 62;

    /// <summary>e_flags (copied from the executable; 0 on amd64).</summary>
    public uint ElfFlags { get; init; }

    /// <summary>
    /// Leave all-zero pages of dumped mappings as file holes (what the kernel does for
    /// never-touched memory, spec §1.3). The file reads back identically; only its disk
    /// usage changes. Needs a seekable output, otherwise zeros are written.
    /// </summary>
    public bool SparseZeroPages { get; init; }

    /// <summary>Stop the file after the notes: PT_LOADs still describe the mappings but point past EOF (like the stripped LLDB test cores).</summary>
    public bool OmitMemory { get; init; }

    /// <summary>A typical amd64 auxiliary vector ending with AT_NULL.</summary>
    public static IReadOnlyList<AuxvEntry> DefaultAuxv { get; } =
    [
        new(AuxType.Phdr, 0x200040), new(AuxType.Phent, 56), new(AuxType.Phnum, 11), new(AuxType.PageSz, 4096),
        new(AuxType.Flags, 0), new(AuxType.Entry, 0x201000), new(AuxType.Base, 0x800200000),
        new(AuxType.EhdrFlags, 0), new(AuxType.ExecPath, 0x7fffffffef90), new(AuxType.OsRelDate, 1400097),
        new(AuxType.NCpus, 2), new(AuxType.PageSizes, 0x7fffffffef70), new(AuxType.PageSizesLen, 24),
        new(AuxType.StackProt, 3), new(AuxType.Argc, 1), new(AuxType.Argv, 0x7fffffffe9c0),
        new(AuxType.Envc, 10), new(AuxType.Envv, 0x7fffffffe9d0), new(AuxType.PsStrings, 0x7fffffffefe0),
        new(AuxType.Null, 0),
    ];
}

/// <summary>
/// How the gdb producer writes the notes that BFD builds with its generic writers. On a
/// FreeBSD host BFD uses the host's prpsinfo_t/prstatus_t with the note name "CORE" and zeroes
/// everything but the names/arguments, pid, cursig and registers (spec doubt #2, reasoned from
/// bfd/elf.c, not verified on a real gdb core).
/// </summary>
public sealed record GdbOptions
{
    /// <summary>Note name of NT_PRPSINFO, NT_PRSTATUS and NT_FPREGSET ("CORE" or "FreeBSD"). XSTATE/SEGBASES/PROCSTAT notes are always "FreeBSD".</summary>
    public string GenericNoteName { get; init; } = "CORE";

    /// <summary>Fill pr_version/pr_*sz/pr_osreldate/pr_pid(prpsinfo) like gcore does, instead of leaving them zero.</summary>
    public bool FillVersionFields { get; init; }

    /// <summary>Write the "GDB" target-description note (type <see cref="NoteType.GdbTargetDescription"/>).</summary>
    public bool WriteTargetDescription { get; init; } = true;

    /// <summary>The XML stored in the target-description note (NUL-terminated).</summary>
    public string TargetDescriptionXml { get; init; } =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n  <architecture>i386:x86-64</architecture>\n  <osabi>FreeBSD</osabi>\n</target>\n";
}
