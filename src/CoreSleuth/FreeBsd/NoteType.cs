namespace CoreSleuth.FreeBsd;

/// <summary>FreeBSD core note types (spec §2.2, values of sys/sys/elf_common.h).</summary>
public static class NoteType
{
    public const uint PrStatus = 1;
    public const uint FpRegSet = 2;
    public const uint PrPsInfo = 3;
    public const uint ThrMisc = 7;
    public const uint ProcStatProc = 8;
    public const uint ProcStatFiles = 9;
    public const uint ProcStatVmMap = 10;
    public const uint ProcStatGroups = 11;
    public const uint ProcStatUmask = 12;
    public const uint ProcStatRlimit = 13;
    public const uint ProcStatOsRel = 14;
    public const uint ProcStatPsStrings = 15;
    public const uint ProcStatAuxv = 16;
    public const uint PtLwpInfo = 17;
    public const uint X86SegBases = 0x200;
    public const uint X86XState = 0x202;

    /// <summary>Per-thread notes attach to the thread opened by the last NT_PRSTATUS (spec §2.3).</summary>
    public static bool IsPerThread(uint type) =>
        type is FpRegSet or ThrMisc or PtLwpInfo or X86SegBases or X86XState;

    public static string Name(uint type) => type switch
    {
        PrStatus => "NT_PRSTATUS",
        FpRegSet => "NT_FPREGSET",
        PrPsInfo => "NT_PRPSINFO",
        ThrMisc => "NT_THRMISC",
        ProcStatProc => "NT_PROCSTAT_PROC",
        ProcStatFiles => "NT_PROCSTAT_FILES",
        ProcStatVmMap => "NT_PROCSTAT_VMMAP",
        ProcStatGroups => "NT_PROCSTAT_GROUPS",
        ProcStatUmask => "NT_PROCSTAT_UMASK",
        ProcStatRlimit => "NT_PROCSTAT_RLIMIT",
        ProcStatOsRel => "NT_PROCSTAT_OSREL",
        ProcStatPsStrings => "NT_PROCSTAT_PSSTRINGS",
        ProcStatAuxv => "NT_PROCSTAT_AUXV",
        PtLwpInfo => "NT_PTLWPINFO",
        X86SegBases => "NT_X86_SEGBASES",
        X86XState => "NT_X86_XSTATE",
        _ => $"note type 0x{type:x}",
    };
}
