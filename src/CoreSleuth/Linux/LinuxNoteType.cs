namespace CoreSleuth.Linux;

/// <summary>
/// Linux core note types (values of include/uapi/linux/elf.h). The "CORE" owner carries the
/// SVR4 notes (NT_PRSTATUS…NT_FILE); the "LINUX" owner carries the extra register sets
/// (NT_PRXFPREG, NT_X86_XSTATE), as fs/binfmt_elf.c writes them.
/// </summary>
public static class LinuxNoteType
{
    public const uint PrStatus = 1;
    public const uint PrFpReg = 2;
    public const uint PrPsInfo = 3;
    public const uint TaskStruct = 4;
    public const uint Auxv = 6;

    /// <summary>NT_SIGINFO, "SIGI": the siginfo_t of the signal that caused the dump.</summary>
    public const uint SigInfo = 0x53494749;

    /// <summary>NT_FILE, "FILE": the file-backed mappings and their paths.</summary>
    public const uint File = 0x46494c45;

    /// <summary>NT_PRXFPREG: the FXSAVE image (i386 processes; x86-64 uses NT_PRFPREG for it).</summary>
    public const uint PrXFpReg = 0x46e62b7f;

    public const uint X86Tls = 0x200;
    public const uint X86IoPerm = 0x201;
    public const uint X86XState = 0x202;
    public const uint X86ShadowStack = 0x204;

    /// <summary>NT_X86_XSAVE_LAYOUT: the offsets and sizes of the XSAVE components (Linux 6.11+).</summary>
    public const uint X86XSaveLayout = 0x205;

    /// <summary>
    /// Register-set notes that belong to a thread: the one whose NT_PRSTATUS came last. The
    /// kernel (fs/binfmt_elf.c write_note_info) writes the dumping thread's NT_PRSTATUS, then
    /// the process notes (NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE), then that thread's
    /// other register sets, then each other thread's NT_PRSTATUS and register sets. gdb's
    /// gcore (gdb/linux-tdep.c) writes NT_PRPSINFO first, then per thread NT_PRSTATUS, the
    /// register sets and an NT_SIGINFO of that thread, then NT_AUXV and NT_FILE. So attach by
    /// type, not by position; NT_SIGINFO is per thread in gdb cores (hence not listed here)
    /// and once per process in kernel cores (seen on Linux 6.18 and gdb 13 cores).
    /// </summary>
    public static bool IsPerThread(uint type) =>
        type is PrFpReg or PrXFpReg or X86Tls or X86IoPerm or X86XState or X86ShadowStack or X86XSaveLayout;

    public static string Name(uint type) => type switch
    {
        PrStatus => "NT_PRSTATUS",
        PrFpReg => "NT_PRFPREG",
        PrPsInfo => "NT_PRPSINFO",
        TaskStruct => "NT_TASKSTRUCT",
        Auxv => "NT_AUXV",
        SigInfo => "NT_SIGINFO",
        File => "NT_FILE",
        PrXFpReg => "NT_PRXFPREG",
        X86Tls => "NT_386_TLS",
        X86IoPerm => "NT_386_IOPERM",
        X86XState => "NT_X86_XSTATE",
        X86ShadowStack => "NT_X86_SHSTK",
        X86XSaveLayout => "NT_X86_XSAVE_LAYOUT",
        _ => $"note type 0x{type:x}",
    };
}
