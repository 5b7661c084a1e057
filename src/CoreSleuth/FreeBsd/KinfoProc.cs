using static CoreSleuth.FreeBsd.Fields;

namespace CoreSleuth.FreeBsd;

/// <summary>
/// <c>struct kinfo_proc</c> (spec §4, 1088 bytes): one per thread in NT_PROCSTAT_PROC. Process-wide
/// fields repeat in every record; the thread's own ones are LWP, names, wait message, wchan,
/// state, priority, CPUs, signals and TDF flags. Every field of the spec's table is kept.
/// </summary>
public sealed class KinfoProc
{
    public const int Size = 1088;

    private readonly ReadOnlyMemory<byte> raw;

    private KinfoProc(ReadOnlyMemory<byte> raw) => this.raw = raw;

    private ReadOnlySpan<byte> D => raw.Span;

    public int StructSize => I32(D, 0);
    public int Layout => I32(D, 4);
    public ulong ArgsAddress => U64(D, 8);
    public ulong ProcAddress => U64(D, 16);
    public ulong UserAddress => U64(D, 24);
    public ulong TraceVnode => U64(D, 32);
    public ulong TextVnode => U64(D, 40);
    public ulong FileDescriptors => U64(D, 48);
    public ulong VmSpace => U64(D, 56);
    /// <summary>ki_wchan: kernel address the thread sleeps on (0 if not sleeping).</summary>
    public ulong WaitChannel => U64(D, 64);
    public int Pid => I32(D, 72);
    public int ParentPid => I32(D, 76);
    public int ProcessGroup => I32(D, 80);
    public int TtyProcessGroup => I32(D, 84);
    public int SessionId => I32(D, 88);
    public int TtySessionId => I32(D, 92);
    public short JobControlCount => I16(D, 96);
    public short SpareShort1 => I16(D, 98);
    public uint TtyDevice32 => U32(D, 100);
    public SignalSet PendingSignals => Sigset(D, 104);
    public SignalSet SignalMask => Sigset(D, 120);
    public SignalSet IgnoredSignals => Sigset(D, 136);
    public SignalSet CaughtSignals => Sigset(D, 152);
    public uint Uid => U32(D, 168);
    public uint RealUid => U32(D, 172);
    public uint SavedUid => U32(D, 176);
    public uint RealGid => U32(D, 180);
    public uint SavedGid => U32(D, 184);
    public short GroupCount => I16(D, 188);
    public short SpareShort2 => I16(D, 190);
    public IReadOnlyList<uint> Groups => Groups16(D[192..]);
    public ulong VirtualSize => U64(D, 256);
    public ulong ResidentPages => U64(D, 264);
    public ulong SwapResidentPages => U64(D, 272);
    public ulong TextPages => U64(D, 280);
    public ulong DataPages => U64(D, 288);
    public ulong StackPages => U64(D, 296);
    public ushort ExitStatus => U16(D, 304);
    public ushort AccountingFlags => U16(D, 306);
    public uint PercentCpu => U32(D, 308);
    public uint EstimatedCpu => U32(D, 312);
    /// <summary>ki_slptime: seconds since the thread went to sleep.</summary>
    public uint SleepTime => U32(D, 316);
    public uint SwapTime => U32(D, 320);
    public uint CopyOnWriteFaults => U32(D, 324);
    public ulong RuntimeMicroseconds => U64(D, 328);
    public TimeValue Start => new TimeValue(I64(D, 336), I64(D, 344));
    public TimeValue ChildTime => new TimeValue(I64(D, 352), I64(D, 360));
    /// <summary>ki_flag: P_* process flags.</summary>
    public long ProcessFlags => I64(D, 368);
    public long KiFlags => I64(D, 376);
    public int TraceFlags => I32(D, 384);
    /// <summary>ki_stat: SIDL 1, SRUN 2, SSLEEP 3, SSTOP 4, SZOMB 5, SWAIT 6, SLOCK 7.</summary>
    public byte State => D[388];
    public sbyte Nice => (sbyte)D[389];
    public byte Lock => D[390];
    public byte RunQueueIndex => D[391];
    public byte OnCpuOld => D[392];
    public byte LastCpuOld => D[393];
    public string ThreadName => Text(D, 394, 17);
    /// <summary>ki_wmesg: wait message, at most 8 characters; empty when not sleeping.</summary>
    public string WaitMessage => Text(D, 411, 9);
    public string Login => Text(D, 420, 18);
    public string LockName => Text(D, 438, 9);
    public string Command => Text(D, 447, 20);
    public string Emulation => Text(D, 467, 17);
    public string LoginClass => Text(D, 484, 18);
    public string MoreThreadName => Text(D, 502, 4);
    public byte[] SpareStrings => Bytes(D, 506, 46);
    public byte[] SpareInts => Bytes(D, 552, 8);
    public ulong TtyDevice => U64(D, 560);
    public int OnCpu => I32(D, 568);
    public int LastCpu => I32(D, 572);
    public int Tracer => I32(D, 576);
    public int Flags2 => I32(D, 580);
    public int Fib => I32(D, 584);
    public uint CredentialFlags => U32(D, 588);
    public int JailId => I32(D, 592);
    public int ThreadCount => I32(D, 596);
    /// <summary>ki_tid: the LWP this record describes.</summary>
    public int Lwp => I32(D, 600);
    /// <summary>ki_pri: class, level, native, user.</summary>
    public byte[] Priority => Bytes(D, 604, 4);
    public byte[] Rusage => Bytes(D, 608, 144);
    public byte[] ChildRusage => Bytes(D, 752, 144);
    public ulong Pcb => U64(D, 896);
    public ulong KernelStack => U64(D, 904);
    public ulong UserData => U64(D, 912);
    public ulong ThreadAddress => U64(D, 920);
    public ulong ProcessDescriptor => U64(D, 928);
    public byte[] SparePointers => Bytes(D, 936, 40);
    public byte[] SpareLongs => Bytes(D, 976, 96);
    public long SFlags => I64(D, 1072);
    /// <summary>ki_tdflags: TDF_* thread flags (TDF_SINTR 0x8, TDF_TIMEOUT 0x10, TDF_BOUNDARY 0x400).</summary>
    public long ThreadFlags => I64(D, 1080);

    /// <summary>
    /// Thread name in full: ki_tdname + ki_moretdname (spec §4). The kernel fills ki_moretdname
    /// only for names longer than ki_tdname's 16 characters; otherwise those bytes are not part of it.
    /// </summary>
    public string FullThreadName => ThreadNameFillsField ? ThreadName + MoreThreadName : ThreadName;

    /// <summary>ki_tdname holds 16 bytes before its NUL: the name may continue in ki_moretdname.</summary>
    public bool ThreadNameFillsField => D.Slice(394, 16).IndexOf((byte)0) < 0;

    public const long P_TRACED = 0x800, P_WEXIT = 0x2000, P_STOPPED_SIG = 0x20000, P_STOPPED_TRACE = 0x40000, P_STOPPED_SINGLE = 0x80000;
    public const long TDF_SINTR = 0x8, TDF_TIMEOUT = 0x10, TDF_BOUNDARY = 0x400;

    /// <summary>A record read from <paramref name="record"/>, a copy of the bytes (tests, hostile input).</summary>
    public static KinfoProc Parse(ReadOnlySpan<byte> record) => Parse(record.ToArray());

    /// <summary>
    /// The record in <paramref name="record"/> (at least <see cref="Size"/> bytes), read where it lies:
    /// fields are decoded when asked for. A process of ten thousand threads has ten thousand records,
    /// of which a report reads a dozen fields; decoded in full, they were a tenth of its allocation.
    /// The memory must stay readable while the record is used (the core's mapping: until it is disposed).
    /// </summary>
    public static KinfoProc Parse(ReadOnlyMemory<byte> record) =>
        record.Length >= Size ? new(record[..Size]) : throw new ArgumentException($"a kinfo_proc record is {Size} bytes, not {record.Length}", nameof(record));

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
