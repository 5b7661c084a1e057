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

    /// <summary>
    /// Per-thread notes follow the thread's NT_PRSTATUS (fs/binfmt_elf.c fill_thread_core_info
    /// writes NT_PRSTATUS, then the thread's other register sets, thread by thread).
    /// </summary>
    public static bool IsPerThread(uint type) =>
        type is PrFpReg or PrXFpReg or X86Tls or X86IoPerm or X86XState or X86ShadowStack;

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
        _ => $"note type 0x{type:x}",
    };
}
