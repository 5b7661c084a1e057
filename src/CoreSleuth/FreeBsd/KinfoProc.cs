using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// <c>struct kinfo_proc</c> (spec §4, 1088 bytes): one per thread in NT_PROCSTAT_PROC. Process-wide
/// fields repeat in every record; the thread's own ones are LWP, names, wait message, wchan,
/// state, priority, CPUs, signals and TDF flags. Every field of the spec's table is kept.
/// </summary>
public sealed record KinfoProc
{
    public const int Size = 1088;

    public int StructSize { get; init; }
    public int Layout { get; init; }
    public ulong ArgsAddress { get; init; }
    public ulong ProcAddress { get; init; }
    public ulong UserAddress { get; init; }
    public ulong TraceVnode { get; init; }
    public ulong TextVnode { get; init; }
    public ulong FileDescriptors { get; init; }
    public ulong VmSpace { get; init; }
    /// <summary>ki_wchan: kernel address the thread sleeps on (0 if not sleeping).</summary>
    public ulong WaitChannel { get; init; }
    public int Pid { get; init; }
    public int ParentPid { get; init; }
    public int ProcessGroup { get; init; }
    public int TtyProcessGroup { get; init; }
    public int SessionId { get; init; }
    public int TtySessionId { get; init; }
    public short JobControlCount { get; init; }
    public short SpareShort1 { get; init; }
    public uint TtyDevice32 { get; init; }
    public SignalSet PendingSignals { get; init; }
    public SignalSet SignalMask { get; init; }
    public SignalSet IgnoredSignals { get; init; }
    public SignalSet CaughtSignals { get; init; }
    public uint Uid { get; init; }
    public uint RealUid { get; init; }
    public uint SavedUid { get; init; }
    public uint RealGid { get; init; }
    public uint SavedGid { get; init; }
    public short GroupCount { get; init; }
    public short SpareShort2 { get; init; }
    public IReadOnlyList<uint> Groups { get; init; } = [];
    public ulong VirtualSize { get; init; }
    public ulong ResidentPages { get; init; }
    public ulong SwapResidentPages { get; init; }
    public ulong TextPages { get; init; }
    public ulong DataPages { get; init; }
    public ulong StackPages { get; init; }
    public ushort ExitStatus { get; init; }
    public ushort AccountingFlags { get; init; }
    public uint PercentCpu { get; init; }
    public uint EstimatedCpu { get; init; }
    /// <summary>ki_slptime: seconds since the thread went to sleep.</summary>
    public uint SleepTime { get; init; }
    public uint SwapTime { get; init; }
    public uint CopyOnWriteFaults { get; init; }
    public ulong RuntimeMicroseconds { get; init; }
    public TimeValue Start { get; init; }
    public TimeValue ChildTime { get; init; }
    /// <summary>ki_flag: P_* process flags.</summary>
    public long ProcessFlags { get; init; }
    public long KiFlags { get; init; }
    public int TraceFlags { get; init; }
    /// <summary>ki_stat: SIDL 1, SRUN 2, SSLEEP 3, SSTOP 4, SZOMB 5, SWAIT 6, SLOCK 7.</summary>
    public byte State { get; init; }
    public sbyte Nice { get; init; }
    public byte Lock { get; init; }
    public byte RunQueueIndex { get; init; }
    public byte OnCpuOld { get; init; }
    public byte LastCpuOld { get; init; }
    public string ThreadName { get; init; } = "";
    /// <summary>ki_wmesg: wait message, at most 8 characters; empty when not sleeping.</summary>
    public string WaitMessage { get; init; } = "";
    public string Login { get; init; } = "";
    public string LockName { get; init; } = "";
    public string Command { get; init; } = "";
    public string Emulation { get; init; } = "";
    public string LoginClass { get; init; } = "";
    public string MoreThreadName { get; init; } = "";
    public byte[] SpareStrings { get; init; } = [];
    public byte[] SpareInts { get; init; } = [];
    public ulong TtyDevice { get; init; }
    public int OnCpu { get; init; }
    public int LastCpu { get; init; }
    public int Tracer { get; init; }
    public int Flags2 { get; init; }
    public int Fib { get; init; }
    public uint CredentialFlags { get; init; }
    public int JailId { get; init; }
    public int ThreadCount { get; init; }
    /// <summary>ki_tid: the LWP this record describes.</summary>
    public int Lwp { get; init; }
    /// <summary>ki_pri: class, level, native, user.</summary>
    public byte[] Priority { get; init; } = [];
    public byte[] Rusage { get; init; } = [];
    public byte[] ChildRusage { get; init; } = [];
    public ulong Pcb { get; init; }
    public ulong KernelStack { get; init; }
    public ulong UserData { get; init; }
    public ulong ThreadAddress { get; init; }
    public ulong ProcessDescriptor { get; init; }
    public byte[] SparePointers { get; init; } = [];
    public byte[] SpareLongs { get; init; } = [];
    public long SFlags { get; init; }
    /// <summary>ki_tdflags: TDF_* thread flags (TDF_SINTR 0x8, TDF_TIMEOUT 0x10, TDF_BOUNDARY 0x400).</summary>
    public long ThreadFlags { get; init; }

    /// <summary>
    /// Thread name in full: ki_tdname + ki_moretdname (spec §4). The kernel fills ki_moretdname
    /// only for names longer than ki_tdname's 16 characters; otherwise those bytes are not part of it.
    /// </summary>
    public string FullThreadName => ThreadNameFillsField ? ThreadName + MoreThreadName : ThreadName;

    /// <summary>ki_tdname holds 16 bytes before its NUL: the name may continue in ki_moretdname.</summary>
    public bool ThreadNameFillsField { get; init; }

    public const long P_TRACED = 0x800, P_WEXIT = 0x2000, P_STOPPED_SIG = 0x20000, P_STOPPED_TRACE = 0x40000, P_STOPPED_SINGLE = 0x80000;
    public const long TDF_SINTR = 0x8, TDF_TIMEOUT = 0x10, TDF_BOUNDARY = 0x400;

    public static KinfoProc Parse(ReadOnlySpan<byte> d) => new()
    {
        StructSize = I32(d, 0), Layout = I32(d, 4),
        ArgsAddress = U64(d, 8), ProcAddress = U64(d, 16), UserAddress = U64(d, 24), TraceVnode = U64(d, 32),
        TextVnode = U64(d, 40), FileDescriptors = U64(d, 48), VmSpace = U64(d, 56), WaitChannel = U64(d, 64),
        Pid = I32(d, 72), ParentPid = I32(d, 76), ProcessGroup = I32(d, 80), TtyProcessGroup = I32(d, 84),
        SessionId = I32(d, 88), TtySessionId = I32(d, 92), JobControlCount = I16(d, 96), SpareShort1 = I16(d, 98),
        TtyDevice32 = U32(d, 100),
        PendingSignals = Sigset(d, 104), SignalMask = Sigset(d, 120), IgnoredSignals = Sigset(d, 136), CaughtSignals = Sigset(d, 152),
        Uid = U32(d, 168), RealUid = U32(d, 172), SavedUid = U32(d, 176), RealGid = U32(d, 180), SavedGid = U32(d, 184),
        GroupCount = I16(d, 188), SpareShort2 = I16(d, 190),
        Groups = Groups16(d[192..]),
        VirtualSize = U64(d, 256), ResidentPages = U64(d, 264), SwapResidentPages = U64(d, 272),
        TextPages = U64(d, 280), DataPages = U64(d, 288), StackPages = U64(d, 296),
        ExitStatus = U16(d, 304), AccountingFlags = U16(d, 306), PercentCpu = U32(d, 308), EstimatedCpu = U32(d, 312),
        SleepTime = U32(d, 316), SwapTime = U32(d, 320), CopyOnWriteFaults = U32(d, 324), RuntimeMicroseconds = U64(d, 328),
        Start = new TimeValue(I64(d, 336), I64(d, 344)), ChildTime = new TimeValue(I64(d, 352), I64(d, 360)),
        ProcessFlags = I64(d, 368), KiFlags = I64(d, 376), TraceFlags = I32(d, 384),
        State = d[388], Nice = (sbyte)d[389], Lock = d[390], RunQueueIndex = d[391], OnCpuOld = d[392], LastCpuOld = d[393],
        ThreadName = Text(d, 394, 17), ThreadNameFillsField = d.Slice(394, 16).IndexOf((byte)0) < 0, WaitMessage = Text(d, 411, 9), Login = Text(d, 420, 18), LockName = Text(d, 438, 9),
        Command = Text(d, 447, 20), Emulation = Text(d, 467, 17), LoginClass = Text(d, 484, 18), MoreThreadName = Text(d, 502, 4),
        SpareStrings = Bytes(d, 506, 46), SpareInts = Bytes(d, 552, 8), TtyDevice = U64(d, 560),
        OnCpu = I32(d, 568), LastCpu = I32(d, 572), Tracer = I32(d, 576), Flags2 = I32(d, 580), Fib = I32(d, 584),
        CredentialFlags = U32(d, 588), JailId = I32(d, 592), ThreadCount = I32(d, 596), Lwp = I32(d, 600),
        Priority = Bytes(d, 604, 4), Rusage = Bytes(d, 608, 144), ChildRusage = Bytes(d, 752, 144),
        Pcb = U64(d, 896), KernelStack = U64(d, 904), UserData = U64(d, 912), ThreadAddress = U64(d, 920),
        ProcessDescriptor = U64(d, 928), SparePointers = Bytes(d, 936, 40), SpareLongs = Bytes(d, 976, 96),
        SFlags = I64(d, 1072), ThreadFlags = I64(d, 1080),
    };

    private static uint[] Groups16(ReadOnlySpan<byte> d)
    {
        var groups = new uint[16];
        for (int i = 0; i < 16; i++) groups[i] = U32(d, 4 * i);
        return groups;
    }

    public static string StateName(byte state) => state switch
    {
        1 => "SIDL", 2 => "SRUN", 3 => "SSLEEP", 4 => "SSTOP", 5 => "SZOMB", 6 => "SWAIT", 7 => "SLOCK", _ => $"state {state}",
    };
}
