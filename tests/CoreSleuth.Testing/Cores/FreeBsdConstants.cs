namespace CoreSleuth.Testing.Cores;

// Values written by the core writer, each from the spec section named in its comment.
// They live here, in the test-support project, on purpose: the reader has its own copy,
// so a wrong number on either side shows up as a disagreement (spec "Principles").

/// <summary>ELF note types of FreeBSD cores (spec §2.2) plus gdb's target-description note.</summary>
public static class NoteType
{
    public const uint PrStatus = 1;
    public const uint FpRegSet = 2;
    public const uint PrPsInfo = 3;
    public const uint ThrMisc = 7;
    public const uint ProcstatProc = 8;
    public const uint ProcstatFiles = 9;
    public const uint ProcstatVmmap = 10;
    public const uint ProcstatGroups = 11;
    public const uint ProcstatUmask = 12;
    public const uint ProcstatRlimit = 13;
    public const uint ProcstatOsRel = 14;
    public const uint ProcstatPsStrings = 15;
    public const uint ProcstatAuxv = 16;
    public const uint PtLwpInfo = 17;
    public const uint X86SegBases = 0x200;
    public const uint X86XState = 0x202;

    /// <summary>
    /// gdb's target-description note (owner "GDB"). The spec leaves its value open (doubt #2);
    /// this writer uses NT_GDB_TDESC = 0xff000000 as defined in binutils' include/elf/common.h.
    /// </summary>
    public const uint GdbTargetDescription = 0xff000000;
}

/// <summary>KVME_TYPE_* of kinfo_vmentry (spec §6).</summary>
public static class KveType
{
    public const int None = 0, Default = 1, Vnode = 2, Swap = 3, Device = 4, Phys = 5, Dead = 6, Sg = 7, MgtDevice = 8, Unknown = 255;
}

/// <summary>KVME_FLAG_* of kinfo_vmentry (spec §6).</summary>
public static class KveFlags
{
    public const int Cow = 0x1, NeedsCopy = 0x2, NoCoreDump = 0x4, Super = 0x8, GrowsUp = 0x10, GrowsDown = 0x20, UserWired = 0x40;
}

/// <summary>KVME_PROT_* of kinfo_vmentry (spec §6).</summary>
public static class KveProt
{
    public const int Read = 0x1, Write = 0x2, Exec = 0x4;
    public const int ReadWrite = Read | Write;
    public const int ReadExec = Read | Exec;
}

/// <summary>KF_TYPE_* of kinfo_file (spec §5).</summary>
public static class KfType
{
    public const int None = 0, Vnode = 1, Socket = 2, Pipe = 3, Fifo = 4, Kqueue = 5, Crypto = 6, Mqueue = 7, Shm = 8, Sem = 9, Pts = 10, ProcDesc = 11, Dev = 12, EventFd = 13, Unknown = 255;
}

/// <summary>Special kf_fd values (spec §5).</summary>
public static class KfFd
{
    public const int Cwd = -1, Root = -2, Jail = -3, Trace = -4, Text = -5, Ctty = -6;
}

/// <summary>KF_FLAG_* of kinfo_file (spec §5).</summary>
public static class KfFlags
{
    public const int Read = 0x1, Write = 0x2, Append = 0x4, Async = 0x8, Fsync = 0x10, NonBlock = 0x20, Direct = 0x40, HasLock = 0x80,
        ShLock = 0x100, ExLock = 0x200, NoFollow = 0x400, Creat = 0x800, Trunc = 0x1000, Excl = 0x2000, Exec = 0x4000;
}

/// <summary>KF_VTYPE_* / kve_vn_type vnode types (spec §5).</summary>
public static class VnodeType
{
    public const int VNon = 0, VReg = 1, VDir = 2, VBlk = 3, VChr = 4, VLnk = 5, VSock = 6, VFifo = 7, VBad = 8, Unknown = 255;
}

/// <summary>ki_stat values (spec §4).</summary>
public static class KiStat
{
    public const byte Idle = 1, Run = 2, Sleep = 3, Stop = 4, Zomb = 5, Wait = 6, Lock = 7;
}

/// <summary>P_* process flags, ki_flag (spec §4).</summary>
public static class ProcFlags
{
    public const ulong Advlock = 0x1, ControlT = 0x2, KProc = 0x4, PpWait = 0x10, HadThreads = 0x80, Sugid = 0x100, System = 0x200,
        SingleExit = 0x400, Traced = 0x800, Waited = 0x1000, WExit = 0x2000, Exec = 0x4000, WKilled = 0x8000, Continued = 0x10000,
        StoppedSig = 0x20000, StoppedTrace = 0x40000, StoppedSingle = 0x80000, Protected = 0x100000, SigEvent = 0x200000,
        SingleBoundary = 0x400000, HwPmc = 0x800000, Jailed = 0x1000000, InExec = 0x4000000, StatChild = 0x8000000, InMem = 0x10000000;
}

/// <summary>TDF_* thread flags, ki_tdflags (spec §4; 0x4 is the TDF_INMEM bit every real core shows).</summary>
public static class TdFlags
{
    public const ulong Borrowing = 0x1, InPanic = 0x2, InMem = 0x4, SIntr = 0x8, Timeout = 0x10, SleepAbort = 0x80, Boundary = 0x400,
        SBdry = 0x2000, NeedSuspChk = 0x8000, NeedResched = 0x10000;
}

/// <summary>KI_* flags, ki_kiflag (spec §4).</summary>
public static class KiFlags
{
    public const ulong Ctty = 1, SLeader = 2, LockBlock = 4;
}

/// <summary>PL_EVENT_* and PL_FLAG_* of struct ptrace_lwpinfo (spec §3.6).</summary>
public static class PlEvent
{
    public const int None = 0, Signal = 1;
}

/// <inheritdoc cref="PlEvent"/>
public static class PlFlags
{
    public const int Sa = 0x1, Bound = 0x2, Sce = 0x4, Scx = 0x8, Exec = 0x10, Si = 0x20, Forked = 0x40, Child = 0x80, Born = 0x100,
        Exited = 0x200, VForked = 0x400, VForkDone = 0x800;
}

/// <summary>Elf64_Auxinfo a_type values used by FreeBSD (sys/sys/elf_common.h; the real corpus cores show the same numbering).</summary>
public static class AuxType
{
    public const long Null = 0, Ignore = 1, ExecFd = 2, Phdr = 3, Phent = 4, Phnum = 5, PageSz = 6, Base = 7, Flags = 8, Entry = 9,
        NotElf = 10, Uid = 11, Euid = 12, Gid = 13, Egid = 14, ExecPath = 15, Canary = 16, CanaryLen = 17, OsRelDate = 18, NCpus = 19,
        PageSizes = 20, PageSizesLen = 21, Timekeep = 22, StackProt = 23, EhdrFlags = 24, HwCap = 25, HwCap2 = 26, BsdFlags = 27,
        Argc = 28, Argv = 29, Envc = 30, Envv = 31, PsStrings = 32;
}

/// <summary>Sizes of the FreeBSD/amd64 structures written into notes (spec §3.9, §4, §5, §6).</summary>
public static class StructSize
{
    public const int PrStatus = 224, GregSet = 176, FpRegSet = 512, PrPsInfo = 120, ThrMisc = 24, PtLwpInfo = 160, SegBases = 16;
    public const int KinfoProc = 1088, KinfoFile = 1392, KinfoVmentry = 1160;
    /// <summary>offsetof(struct kinfo_file, kf_path) (spec §5).</summary>
    public const int KinfoFilePathOffset = 368;
    /// <summary>offsetof(struct kinfo_vmentry, kve_path) (spec §6).</summary>
    public const int KinfoVmentryPathOffset = 136;
    /// <summary>Default XSAVE area of an AVX CPU (XCR0 = x87|SSE|AVX), as in the corpus cores.</summary>
    public const int XSaveAvx = 832;
}

/// <summary>
/// __FreeBSD_version thresholds where the written bytes change. Each names the first version
/// this writer treats as having the feature.
/// </summary>
public static class FreeBsdVersion
{
    /// <summary>11.0: int ki_oncpu/ki_lastcpu at 568/572 (present in the 11.0 corpus cores).</summary>
    public const int IntCpuFields = 1100000;
    /// <summary>11.0: gcore writes PN_XNUM extended numbering (10.x gcore cannot, spec §1.1).</summary>
    public const int GcoreExtendedNumbering = 1100000;
    /// <summary>11.0: RLIMIT_UMTXP makes RLIM_NLIMITS 15 (14 before).</summary>
    public const int FifteenRlimits = 1100000;
    /// <summary>11.1: NT_PTLWPINFO written by gcore and the kernel (absent in the 11.0 corpus cores, spec §2.3).</summary>
    public const int PtLwpInfo = 1101000;
    /// <summary>12.0 "ino64" (1200031): 64-bit dev/ino fields ki_tdev, kf_file_fsid/rdev, kve_vn_fsid/rdev.</summary>
    public const int Ino64 = 1200031;
}
