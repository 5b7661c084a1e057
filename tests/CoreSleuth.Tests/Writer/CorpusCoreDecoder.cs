using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>
/// Turns a real kernel core — as readelf splits it into notes and segments — into a
/// <see cref="CoreSpec"/>, field by field with the offsets of the spec, so the writer can be
/// asked to reproduce it. Bytes no field covers go into the records' raw templates; the test
/// reports which records needed one, so unmodelled data cannot hide.
/// </summary>
internal sealed class CorpusCoreDecoder
{
    private readonly List<string> _templated = [];

    /// <summary>Records whose bytes the fields alone did not reproduce ("THRMISC 101039", …).</summary>
    public IReadOnlyList<string> TemplatedRecords => _templated;

    public CoreSpec Decode(string corePath, IReadOnlyList<ReadelfNote> notes, IReadOnlyList<ReadelfSegment> segments)
    {
        var prstatus = notes.Where(n => n.TypeName == "NT_PRSTATUS").ToArray();
        int osRelDate = prstatus[0].I32(32);
        var spec = new CoreSpec
        {
            Producer = CoreProducer.Kernel,
            OsRelDate = osRelDate,
            PrOsRelDate = osRelDate,
            CurSig = prstatus[0].I32(36),
            SignalledLwp = prstatus[0].I32(40),
            WriteXState = notes.Any(n => n.TypeName == "NT_X86_XSTATE"),
            WritePtLwpInfo = null, // must follow from the version (spec §2.3)
        };

        // Process-wide notes
        var groups = Note(notes, "NT_PROCSTAT_GROUPS");
        var groupList = Enumerable.Range(0, (groups.DataSize - 4) / 4).Select(i => groups.U32(4 + 4 * i)).ToArray();
        var rl = Note(notes, "NT_PROCSTAT_RLIMIT");
        var rlimits = Enumerable.Range(0, (rl.DataSize - 4) / 16).Select(i => new Rlimit(rl.I64(4 + 16 * i), rl.I64(12 + 16 * i))).ToArray();
        var auxvNote = Note(notes, "NT_PROCSTAT_AUXV");
        var auxv = Enumerable.Range(0, (auxvNote.DataSize - 4) / 16).Select(i => new AuxvEntry(auxvNote.I64(4 + 16 * i), auxvNote.U64(12 + 16 * i))).ToArray();
        spec = spec with
        {
            Rlimits = rlimits,
            Auxv = auxv,
            Umask = Note(notes, "NT_PROCSTAT_UMASK").U16(4),
            ProcOsRel = Note(notes, "NT_PROCSTAT_OSREL").I32(4),
            PsStrings = Note(notes, "NT_PROCSTAT_PSSTRINGS").U64(4),
        };

        // kinfo_proc records (p_threads order) give the process and the per-thread kinfo.
        var proc = Note(notes, "NT_PROCSTAT_PROC");
        var records = Enumerable.Range(0, (proc.DataSize - 4) / 1088).Select(i => proc.Bytes.AsSpan(4 + 1088 * i, 1088).ToArray()).ToArray();
        var process = DecodeProcess(records[0], osRelDate) with { Groups = groupList };
        var psinfo = Note(notes, "NT_PRPSINFO");
        process = process with
        {
            FName = psinfo.CString(16, 17),
            PsArgs = psinfo.CString(33, 81),
            PrPsInfoPid = psinfo.I32(116),
        };
        spec = spec with { Process = process };

        // Threads: the register notes follow each NT_PRSTATUS (grouping rule of spec §2.3).
        var byLwp = new Dictionary<int, ThreadSpec>();
        ThreadSpec? current = null;
        foreach (var n in notes)
        {
            switch (n.TypeName)
            {
                case "NT_PRSTATUS":
                    if (current is not null) byLwp[current.Lwp] = current;
                    current = new ThreadSpec { Lwp = n.I32(40), Registers = DecodeRegisters(n.Bytes, 48), XSave = null };
                    break;
                case "NT_FPREGSET":
                    current = current! with { Fpu = DecodeFpu(n.Bytes) };
                    break;
                case "NT_THRMISC":
                    current = current! with { Name = n.CString(0, 20), ThrMiscRaw = n.Bytes };
                    break;
                case "NT_PTLWPINFO":
                    current = current! with { LwpInfo = DecodeLwpInfo(n) };
                    break;
                case "NT_X86_XSTATE":
                    current = current! with { XSave = DecodeXSave(n.Bytes) };
                    break;
            }
        }
        if (current is not null) byLwp[current.Lwp] = current;

        var threads = records.Select(r =>
        {
            int tid = I32(r, 600);
            var t = byLwp[tid];
            return t with { Kinfo = DecodeThreadKinfo(r, osRelDate) };
        }).ToArray();
        spec = spec with { Threads = threads };

        // Templates: for each record, whatever the fields do not cover.
        spec = spec with
        {
            Process = spec.Process with { PrPsInfoRaw = Template("PRPSINFO", raw => FreeBsdStructs.PrPsInfo(spec with { Process = spec.Process with { PrPsInfoRaw = raw } }), psinfo.Bytes) },
        };
        var prByLwp = prstatus.ToDictionary(n => n.I32(40), n => n.Bytes);
        var thrmiscByLwp = Pairs(notes, "NT_THRMISC");
        var lwpinfoByLwp = Pairs(notes, "NT_PTLWPINFO");
        var fpByLwp = Pairs(notes, "NT_FPREGSET");
        threads = spec.Threads.Select((t, i) =>
        {
            var s = spec;
            t = t with { PrStatusRaw = Template($"PRSTATUS {t.Lwp}", raw => FreeBsdStructs.PrStatus(s, t with { PrStatusRaw = raw }), prByLwp[t.Lwp]) };
            if (thrmiscByLwp.TryGetValue(t.Lwp, out var tm))
                t = t with { ThrMiscRaw = Template($"THRMISC {t.Lwp}", raw => FreeBsdStructs.ThrMisc(s, t with { ThrMiscRaw = raw }), tm) };
            if (lwpinfoByLwp.TryGetValue(t.Lwp, out var li))
                t = t with { LwpInfo = t.LwpInfo with { Raw = Template($"PTLWPINFO {t.Lwp}", raw => FreeBsdStructs.PtraceLwpInfo(s, t with { LwpInfo = t.LwpInfo with { Raw = raw } }), li[4..]) } };
            t = t with { Fpu = t.Fpu with { Raw = Template($"FPREGSET {t.Lwp}", raw => (t.Fpu with { Raw = raw }).ToBytes(), fpByLwp[t.Lwp]) } };
            if (t.XSave is { } xs)
            {
                var real = Pairs(notes, "NT_X86_XSTATE")[t.Lwp];
                t = t with { XSave = xs with { Raw = Template($"XSTATE {t.Lwp}", raw => (xs with { Raw = raw }).ToBytes(t.Fpu), real) } };
            }
            var kinfo = records[i];
            t = t with { Kinfo = t.Kinfo with { Raw = Template($"KINFO_PROC {t.Lwp}", raw => FreeBsdStructs.KinfoProc(s, t with { Kinfo = t.Kinfo with { Raw = raw } }), kinfo) } };
            return t;
        }).ToArray();
        spec = spec with { Threads = threads };

        spec = spec with { OpenFiles = DecodeFiles(spec, Note(notes, "NT_PROCSTAT_FILES")) };
        spec = spec with { Mappings = DecodeVmmap(spec, Note(notes, "NT_PROCSTAT_VMMAP"), corePath, segments) };
        return spec;
    }

    private static ReadelfNote Note(IReadOnlyList<ReadelfNote> notes, string type) => notes.Single(n => n.TypeName == type);

    /// <summary>Per-thread note bytes keyed by the LWP of the NT_PRSTATUS they follow.</summary>
    private static Dictionary<int, byte[]> Pairs(IReadOnlyList<ReadelfNote> notes, string type)
    {
        var map = new Dictionary<int, byte[]>();
        int lwp = 0;
        foreach (var n in notes)
        {
            if (n.TypeName == "NT_PRSTATUS") lwp = n.I32(40);
            else if (n.TypeName == type) map[lwp] = n.Bytes;
        }
        return map;
    }

    /// <summary>
    /// The bytes of <paramref name="real"/> that no field covers: a byte is uncovered when the
    /// encoder leaves both an all-0x00 and an all-0xFF template unchanged there.
    /// </summary>
    private byte[]? Template(string what, Func<byte[], byte[]> encode, byte[] real)
    {
        var zeros = encode(new byte[real.Length]);
        var ones = encode(Enumerable.Repeat((byte)0xff, real.Length).ToArray());
        var template = new byte[real.Length];
        bool any = false;
        for (int i = 0; i < real.Length; i++)
        {
            bool uncovered = i < zeros.Length && zeros[i] == 0x00 && ones[i] == 0xff;
            if (uncovered && real[i] != 0) { template[i] = real[i]; any = true; }
        }
        if (!any) return null;
        _templated.Add(what);
        return template;
    }

    private static Registers DecodeRegisters(byte[] b, int o) => new()
    {
        R15 = U64(b, o + 0), R14 = U64(b, o + 8), R13 = U64(b, o + 16), R12 = U64(b, o + 24), R11 = U64(b, o + 32), R10 = U64(b, o + 40),
        R9 = U64(b, o + 48), R8 = U64(b, o + 56), Rdi = U64(b, o + 64), Rsi = U64(b, o + 72), Rbp = U64(b, o + 80), Rbx = U64(b, o + 88),
        Rdx = U64(b, o + 96), Rcx = U64(b, o + 104), Rax = U64(b, o + 112), Trapno = U32(b, o + 120), Fs = U16(b, o + 124), Gs = U16(b, o + 126),
        Err = U32(b, o + 128), Es = U16(b, o + 132), Ds = U16(b, o + 134), Rip = U64(b, o + 136), Cs = U64(b, o + 144), Rflags = U64(b, o + 152),
        Rsp = U64(b, o + 160), Ss = U64(b, o + 168),
    };

    private static FpuState DecodeFpu(byte[] b) => new()
    {
        Fcw = U16(b, 0), Fsw = U16(b, 2), Ftw = b[4], Fop = U16(b, 6), Fip = U64(b, 8), Fdp = U64(b, 16), Mxcsr = U32(b, 24), MxcsrMask = U32(b, 28),
        St = Enumerable.Range(0, 8).Select(i => b[(32 + 16 * i)..(48 + 16 * i)]).ToArray(),
        Xmm = Enumerable.Range(0, 16).Select(i => b[(160 + 16 * i)..(176 + 16 * i)]).ToArray(),
    };

    private static XSaveArea DecodeXSave(byte[] b) => new()
    {
        Length = b.Length, Xcr0 = U64(b, 464), XStateBv = U64(b, 512), XCompBv = U64(b, 520),
        YmmHigh = Enumerable.Range(0, 16).Select(i => b[(576 + 16 * i)..(592 + 16 * i)]).ToArray(),
    };

    private static LwpInfo DecodeLwpInfo(ReadelfNote n)
    {
        var b = n.Bytes;
        const int s = 4;
        return new LwpInfo
        {
            StructSize = I32(b, 0), Event = I32(b, s + 4), Flags = I32(b, s + 8),
            SigMask = DecodeSigSet(b, s + 12), SigList = DecodeSigSet(b, s + 28),
            SigInfo = new SigInfo
            {
                Signo = I32(b, s + 48), Errno = I32(b, s + 52), Code = I32(b, s + 56), Pid = I32(b, s + 60), Uid = U32(b, s + 64),
                Status = I32(b, s + 68), Addr = U64(b, s + 72), Value = U64(b, s + 80), Trapno = I32(b, s + 88),
            },
            TdName = CStr(b, s + 128, 20), ChildPid = I32(b, s + 148), SyscallCode = I32(b, s + 152), SyscallNarg = I32(b, s + 156),
        };
    }

    private static ProcessSpec DecodeProcess(byte[] k, int osRelDate) => new()
    {
        Layout = I32(k, 4), ArgsPtr = U64(k, 8), ProcPtr = U64(k, 16), AddrPtr = U64(k, 24), TracepPtr = U64(k, 32), TextVpPtr = U64(k, 40),
        FdPtr = U64(k, 48), VmSpacePtr = U64(k, 56), Pid = I32(k, 72), Ppid = I32(k, 76), Pgid = I32(k, 80), Tpgid = I32(k, 84),
        Sid = I32(k, 88), Tsid = I32(k, 92), Jobc = (short)U16(k, 96),
        Tdev = osRelDate >= 1200031 ? U64(k, 560) : U32(k, 100), TdevFreeBsd11 = U32(k, 100),
        SigIgnore = DecodeSigSet(k, 136), SigCatch = DecodeSigSet(k, 152),
        Uid = U32(k, 168), Ruid = U32(k, 172), Svuid = U32(k, 176), Rgid = U32(k, 180), Svgid = U32(k, 184),
        VmSize = U64(k, 256), RsSize = U64(k, 264), SwRss = U64(k, 272), TSize = U64(k, 280), DSize = U64(k, 288), SSize = U64(k, 296),
        XStat = U16(k, 304), AcFlag = U16(k, 306), SwTime = U32(k, 320),
        Start = new TimeVal(I64(k, 336), I64(k, 344)), ChildTime = new TimeVal(I64(k, 352), I64(k, 360)),
        Flag = U64(k, 368), KiFlag = 0, TraceFlag = I32(k, 384), Nice = (sbyte)k[389], Lock = k[390],
        Login = CStr(k, 420, 18), Command = CStr(k, 447, 20), Emul = CStr(k, 467, 17), LoginClass = CStr(k, 484, 18),
        Tracer = I32(k, 576), Flag2 = U32(k, 580), Fibnum = I32(k, 584), CrFlags = U32(k, 588), Jid = I32(k, 592), NumThreads = I32(k, 596),
        RusageChildren = DecodeRusage(k, 752), UData = U64(k, 912), PwdDescPtr = U64(k, 928), SFlag = U64(k, 1072),
    };

    private static ThreadKinfo DecodeThreadKinfo(byte[] k, int osRelDate) => new()
    {
        WaitChannel = U64(k, 64), SigList = DecodeSigSet(k, 104), SigMask = DecodeSigSet(k, 120),
        PctCpu = U32(k, 308), EstCpu = U32(k, 312), SlpTime = U32(k, 316), Cow = U32(k, 324), Runtime = U64(k, 328),
        KiFlag = U64(k, 376), Stat = k[388], RqIndex = k[391], OnCpuOld = k[392], LastCpuOld = k[393],
        WaitMessage = CStr(k, 411, 9), LockName = CStr(k, 438, 9),
        OnCpu = osRelDate >= 1100000 ? I32(k, 568) : k[392], LastCpu = osRelDate >= 1100000 ? I32(k, 572) : k[393],
        PriClass = k[604], PriLevel = k[605], PriNative = k[606], PriUser = k[607],
        Rusage = DecodeRusage(k, 608), Pcb = U64(k, 896), KStack = U64(k, 904), TdAddr = U64(k, 920), TdFlags = U64(k, 1080),
    };

    private IReadOnlyList<OpenFileSpec> DecodeFiles(CoreSpec spec, ReadelfNote note)
    {
        Assert.Equal(1392, note.I32(0));
        var list = new List<OpenFileSpec>();
        var b = note.Bytes;
        for (int p = 4; p + 368 <= b.Length && I32(b, p) >= 368; p += I32(b, p))
        {
            var r = b[p..(p + I32(b, p))];
            var f = new OpenFileSpec
            {
                Type = I32(r, 4), Fd = I32(r, 8), RefCount = I32(r, 12), Flags = I32(r, 16), Offset = I64(r, 24),
                VnodeType = I32(r, 32), SockDomain = I32(r, 36), SockType = I32(r, 40), SockProtocol = I32(r, 44),
                SaLocal = r[48..176], SaPeer = r[176..304],
                FileFsid = spec.OsRelDate >= 1200031 ? U64(r, 288) : U32(r, 320), FileRdev = spec.OsRelDate >= 1200031 ? U64(r, 296) : U32(r, 324),
                FileFileId = U64(r, 304), FileSize = U64(r, 312), FileFsidFreeBsd11 = U32(r, 320), FileRdevFreeBsd11 = U32(r, 324),
                FileMode = U16(r, 328), SockRcvSbState = U16(r, 330), SockRecvQ = U32(r, 332), Status = U16(r, 336),
                CapRights = r[344..360], Path = CStr(r, 368, r.Length - 368),
            };
            list.Add(f with { Raw = Template($"KINFO_FILE {f.Fd}", raw => FreeBsdStructs.KinfoFile(spec, f with { Raw = raw }, packed: r.Length != 1392), r) });
        }
        return list;
    }

    private IReadOnlyList<MappingSpec> DecodeVmmap(CoreSpec spec, ReadelfNote note, string corePath, IReadOnlyList<ReadelfSegment> segments)
    {
        Assert.Equal(1160, note.I32(0));
        var file = File.ReadAllBytes(corePath);
        var loads = segments.Where(s => s.Type == "LOAD").ToDictionary(s => s.VirtAddr);
        var list = new List<MappingSpec>();
        var b = note.Bytes;
        for (int p = 4; p + 136 <= b.Length && I32(b, p) >= 136; p += I32(b, p))
        {
            var r = b[p..(p + I32(b, p))];
            var m = new MappingSpec
            {
                Type = I32(r, 4), Start = U64(r, 8), End = U64(r, 16), Offset = U64(r, 24), VnFileId = U64(r, 32),
                VnFsid = spec.OsRelDate >= 1200031 ? U64(r, 88) : U32(r, 40), VnFsidFreeBsd11 = U32(r, 40), Flags = I32(r, 44),
                Resident = I32(r, 48), PrivateResident = I32(r, 52), Protection = I32(r, 56), RefCount = I32(r, 60), ShadowCount = I32(r, 64),
                VnType = I32(r, 68), VnSize = U64(r, 72), VnRdev = spec.OsRelDate >= 1200031 ? U64(r, 96) : U32(r, 80), VnRdevFreeBsd11 = U32(r, 80),
                VnMode = U16(r, 84), Status = U16(r, 86), Path = CStr(r, 136, r.Length - 136),
            };
            // Memory: the real PT_LOAD's bytes when the file holds them (the LLDB cores were stripped).
            if (loads.TryGetValue(m.Start, out var seg) && (long)(seg.Offset + seg.FileSize) <= file.Length)
                m = m with { Contents = file.AsMemory((int)seg.Offset, (int)seg.FileSize) };
            list.Add(m with { Raw = Template($"KINFO_VMENTRY 0x{m.Start:x}", raw => FreeBsdStructs.KinfoVmentry(spec, m with { Raw = raw }, packed: r.Length != 1160), r) });
        }
        return list;
    }

    private static Rusage DecodeRusage(byte[] b, int o) => new()
    {
        UserTime = new TimeVal(I64(b, o), I64(b, o + 8)), SystemTime = new TimeVal(I64(b, o + 16), I64(b, o + 24)),
        MaxRss = I64(b, o + 32), IxRss = I64(b, o + 40), IdRss = I64(b, o + 48), IsRss = I64(b, o + 56), MinFlt = I64(b, o + 64),
        MajFlt = I64(b, o + 72), NSwap = I64(b, o + 80), InBlock = I64(b, o + 88), OuBlock = I64(b, o + 96), MsgSnd = I64(b, o + 104),
        MsgRcv = I64(b, o + 112), NSignals = I64(b, o + 120), NVcsw = I64(b, o + 128), NIvcsw = I64(b, o + 136),
    };

    private static SigSet DecodeSigSet(byte[] b, int o) => new(U32(b, o), U32(b, o + 4), U32(b, o + 8), U32(b, o + 12));

    private static string CStr(byte[] b, int off, int max)
    {
        var span = b.AsSpan(off, max);
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? span : span[..nul]);
    }

    private static ushort U16(byte[] b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(o));
    private static uint U32(byte[] b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o));
    private static int I32(byte[] b, int o) => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(o));
    private static ulong U64(byte[] b, int o) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(o));
    private static long I64(byte[] b, int o) => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(o));
}
