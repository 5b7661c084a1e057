using CsCheck;
using W = CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// Random but realistic writer specs: gcore 10.x / 11.1+ / 14, kernel (with and without the
/// 14.x segment-base note, packed and unpacked records, padded notes, other per-thread orders)
/// and gdb variants ("CORE" or "FreeBSD" headers, with or without the target description);
/// threads with wait messages, 16–19 character names, AVX XSTATE and PTLWPINFO; many open
/// files and mappings, paths up to past PATH_MAX. Strings are ASCII: the C fields are cut at
/// a byte count, which would split a multi-byte character.
/// </summary>
internal static class GeneratedSpecs
{
    private static readonly Gen<char> PathChar = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+/"];
    private static readonly Gen<char> NameChar = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.: "];

    private static Gen<string> Text(Gen<char> chars, int min, int max) => chars.Array[min, max].Select(c => new string(c));

    private static Gen<T?> OrNull<T>(Gen<T> gen, int nullWeight = 1, int valueWeight = 3) where T : class =>
        Gen.Frequency((nullWeight, (IGen<T?>)Gen.Const((T?)null)), (valueWeight, gen.Select(v => (T?)v)));

    private static Gen<T?> OrNullValue<T>(Gen<T> gen, int nullWeight = 1, int valueWeight = 3) where T : struct =>
        Gen.Frequency((nullWeight, (IGen<T?>)Gen.Const((T?)null)), (valueWeight, gen.Select(v => (T?)v)));

    /// <summary>Thread names: none (the command name), short, or 16–19 characters (ki_tdname + ki_moretdname, spec §4).</summary>
    private static readonly Gen<string?> ThreadName = Gen.Frequency(
        (1, (IGen<string?>)Gen.Const((string?)null)),
        (2, Text(NameChar, 1, 15).Select(s => (string?)s)),
        (4, Text(NameChar, 16, 19).Select(s => (string?)s)),
        (1, Text(NameChar, 20, 30).Select(s => (string?)s))); // cut to 19 by every producer

    private static readonly Gen<string> WaitMessage = Gen.OneOf("", "", "fifoor", "fifoow", "uwait", "select", "kqread", "nanslp", "sbwait", "piperd", "ucond", "12345678", "wmesglongerthan8");

    /// <summary>Paths: empty, ordinary, or long (near and past PATH_MAX - 1 = 1023 bytes, where kf_path/kve_path cut them).</summary>
    private static readonly Gen<string> PathText = Gen.Frequency(
        (2, (IGen<string>)Gen.Const("")),
        (6, Text(PathChar, 1, 60).Select(s => "/" + s)),
        (1, Text(PathChar, 900, 1100).Select(s => "/" + s)));

    private static readonly Gen<W.SigSet> SigSet = Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, Gen.UInt, (a, b, c, d) => new W.SigSet(a, b, c, d));

    private static readonly Gen<W.TimeVal> TimeVal = Gen.Select(Gen.Long, Gen.Long, (s, u) => new W.TimeVal(s, u));

    private static readonly Gen<W.Rusage> Rusage = Gen.Select(TimeVal, TimeVal, Gen.Long.Array[14], (u, s, l) => new W.Rusage
    {
        UserTime = u, SystemTime = s, MaxRss = l[0], IxRss = l[1], IdRss = l[2], IsRss = l[3], MinFlt = l[4], MajFlt = l[5], NSwap = l[6],
        InBlock = l[7], OuBlock = l[8], MsgSnd = l[9], MsgRcv = l[10], NSignals = l[11], NVcsw = l[12], NIvcsw = l[13],
    });

    private static readonly Gen<W.Registers> Registers = Gen.Select(Gen.ULong.Array[20], Gen.UInt.Array[2], Gen.UShort.Array[4], (u, i, s) => new W.Registers
    {
        R15 = u[0], R14 = u[1], R13 = u[2], R12 = u[3], R11 = u[4], R10 = u[5], R9 = u[6], R8 = u[7], Rdi = u[8], Rsi = u[9],
        Rbp = u[10], Rbx = u[11], Rdx = u[12], Rcx = u[13], Rax = u[14], Rip = u[15], Cs = u[16], Rflags = u[17], Rsp = u[18], Ss = u[19],
        Trapno = i[0], Err = i[1], Fs = s[0], Gs = s[1], Es = s[2], Ds = s[3],
    });

    /// <summary>The FXSAVE image (spec §3.3): 80-bit ST values and XMM registers.</summary>
    private static readonly Gen<W.FpuState> Fpu = Gen.Select(
        Gen.UShort.Array[3], Gen.Byte, Gen.ULong.Array[2], Gen.UInt.Array[2], Gen.Byte.Array[10].Array[0, 8], Gen.Byte.Array[16].Array[0, 16],
        (s, ftw, ip, mx, st, xmm) => new W.FpuState
        {
            Fcw = s[0], Fsw = s[1], Fop = s[2], Ftw = ftw, Fip = ip[0], Fdp = ip[1], Mxcsr = mx[0], MxcsrMask = mx[1], St = st, Xmm = xmm,
        });

    /// <summary>
    /// XSAVE areas (spec §3.8): SSE-only or AVX, standard or compacted, 576/832/1088 bytes. The upper
    /// YMM halves are only stored when XSTATE_BV says AVX is in use: in its init state they read as zero.
    /// </summary>
    private static readonly Gen<W.XSaveArea?> XSave = OrNull(
        Gen.Select(Gen.OneOf(576, 832, 832, 1088), Gen.OneOf(3UL, 7UL, 7UL), Gen.OneOf(3UL, 7UL, 1UL), Gen.OneOf(0UL, 0x8000_0000_0000_0007UL), Gen.Byte.Array[16].Array[16],
            (length, xcr0, bv, xcomp, ymm) => new W.XSaveArea
            {
                Length = length, Xcr0 = xcr0, XStateBv = bv & xcr0, XCompBv = xcomp,
                YmmHigh = (xcr0 & bv & 4) != 0 && length >= 832 ? ymm : [],
            }), nullWeight: 1, valueWeight: 4);

    private static readonly Gen<W.SigInfo> SigInfo = Gen.Select(Gen.Int.Array[6], Gen.UInt, Gen.ULong, Gen.ULong, Gen.Int,
        (i, uid, addr, value, trapno) => new W.SigInfo
        {
            Signo = i[0], Errno = i[1], Code = i[2], Pid = i[3], Status = i[4], Uid = uid, Addr = addr, Value = value, Trapno = trapno,
        });

    /// <summary>struct ptrace_lwpinfo (spec §3.6): events, flags, a siginfo, its own name or the thread's.</summary>
    private static readonly Gen<W.LwpInfo> LwpInfo = Gen.Select(
        Gen.OneOf(0, 1), Gen.Int[0, 0xfff], OrNullValue(SigSet), OrNullValue(SigSet), SigInfo, OrNull(Text(NameChar, 0, 19), 3, 1), Gen.Int.Array[3],
        (ev, flags, mask, list, si, name, ints) => new W.LwpInfo
        {
            Event = ev, Flags = flags, SigMask = mask, SigList = list, SigInfo = si, TdName = name,
            ChildPid = ints[0], SyscallCode = ints[1], SyscallNarg = ints[2],
        });

    /// <summary>The per-thread half of kinfo_proc (spec §4, §4.1).</summary>
    private static readonly Gen<W.ThreadKinfo> ThreadKinfo = Gen.Select(
        Gen.Select(WaitMessage, Gen.ULong, OrNullValue(Gen.Byte[1, 7]), Gen.ULong, Gen.OneOf("", "", "umtxql", "sleepqueue chain"), Gen.UInt[0, 7].Select(x => (ulong)x), SigSet, SigSet),
        Gen.Select(Gen.UInt.Array[4], Gen.ULong, Gen.Byte, Gen.Int[-1, 300], Gen.Int[-1, 300], OrNullValue(Gen.Byte), OrNullValue(Gen.Byte), Gen.Byte.Array[4]),
        Gen.Select(Rusage, Gen.ULong.Array[3]),
        (a, b, c) => new W.ThreadKinfo
        {
            WaitMessage = a.Item1, WaitChannel = a.Item2, Stat = a.Item3, TdFlags = a.Item4, LockName = a.Item5, KiFlag = a.Item6,
            SigList = a.Item7, SigMask = a.Item8,
            PctCpu = b.Item1[0], EstCpu = b.Item1[1], SlpTime = b.Item1[2], Cow = b.Item1[3], Runtime = b.Item2, RqIndex = b.Item3,
            OnCpu = b.Item4, LastCpu = b.Item5, OnCpuOld = b.Item6, LastCpuOld = b.Item7,
            PriClass = b.Item8[0], PriLevel = b.Item8[1], PriNative = b.Item8[2], PriUser = b.Item8[3],
            Rusage = c.Item1, Pcb = c.Item2[0], KStack = c.Item2[1], TdAddr = c.Item2[2],
        });

    private static readonly Gen<W.ThreadSpec> Thread = Gen.Select(
        ThreadName, Registers, Fpu, XSave, Gen.ULong.Array[2], ThreadKinfo, LwpInfo,
        (name, regs, fpu, xsave, bases, kinfo, li) => new W.ThreadSpec
        {
            Name = name, Registers = regs, Fpu = fpu, XSave = xsave, FsBase = bases[0], GsBase = bases[1], Kinfo = kinfo, LwpInfo = li,
        });

    /// <summary>1–6 threads with distinct, increasing LWP ids (creation order).</summary>
    private static readonly Gen<W.ThreadSpec[]> Threads = Gen.Select(Gen.Int[100_000, 190_000], Thread.Array[1, 6], Gen.Int[1, 50].Array[6],
        (first, threads, steps) =>
        {
            int lwp = first;
            return threads.Select((t, i) => t with { Lwp = lwp += steps[i] }).ToArray();
        });

    /// <summary>kinfo_file records (spec §5): vnodes, sockets with addresses, pipes, FIFOs, specials.</summary>
    private static readonly Gen<W.OpenFileSpec> OpenFile = Gen.Select(
        Gen.Select(Gen.OneOf(0, 1, 1, 1, 2, 3, 4, 5, 8, 10, 12, 13, 255), Gen.Int[-6, 2000], Gen.Int[0, 20], Gen.Int[0, 0x7fff], Gen.Long, Gen.Int[0, 8]),
        Gen.Select(Gen.Int.Array[3], OrNull(Gen.Byte.Array[0, 128]), OrNull(Gen.Byte.Array[0, 128]), Gen.ULong.Array[4], OrNullValue(Gen.UInt), OrNullValue(Gen.UInt)),
        Gen.Select(Gen.UShort.Array[3], Gen.UInt, OrNull(Gen.Byte.Array[16]), PathText),
        (a, b, c) => new W.OpenFileSpec
        {
            Type = a.Item1, Fd = a.Item2, RefCount = a.Item3, Flags = a.Item4, Offset = a.Item5, VnodeType = a.Item6,
            SockDomain = b.Item1[0], SockType = b.Item1[1], SockProtocol = b.Item1[2], SaLocal = b.Item2, SaPeer = b.Item3,
            FileFsid = b.Item4[0], FileRdev = b.Item4[1], FileFileId = b.Item4[2], FileSize = b.Item4[3],
            FileFsidFreeBsd11 = b.Item5, FileRdevFreeBsd11 = b.Item6,
            FileMode = c.Item1[0], SockRcvSbState = c.Item1[1], Status = c.Item1[2], SockRecvQ = c.Item2, CapRights = c.Item3, Path = c.Item4,
        });

    /// <summary>One VM map entry (spec §6) with its size and gap in pages and some contents for its PT_LOAD.</summary>
    private static readonly Gen<(int Gap, int Pages, W.MappingSpec Entry)> Mapping = Gen.Select(
        Gen.Select(Gen.Int[0, 16], Gen.Int[1, 3], Gen.OneOf(0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8), Gen.Int[0, 7], Gen.OneOf(0, 0, 1, 2, 4, 0x20, 0x21, 0x40, 0x8)),
        Gen.Select(PathText, Gen.ULong.Array[6], Gen.Int.Array[4], OrNullValue(Gen.Int[0, 8]), OrNullValue(Gen.UInt), OrNullValue(Gen.UInt)),
        Gen.Select(Gen.UShort, OrNullValue(Gen.UShort), Gen.Frequency((3, (IGen<byte[]>)Gen.Const(Array.Empty<byte>())), (2, Gen.Byte.Array[1, 300]), (1, Gen.Byte.Array[4096])),
            Gen.Frequency((6, (IGen<bool?>)Gen.Const((bool?)null)), (1, Gen.Bool.Select(b => (bool?)b)))),
        (a, b, c) => (a.Item1, a.Item2, new W.MappingSpec
        {
            Type = a.Item3, Protection = a.Item4, Flags = a.Item5, Path = b.Item1,
            Offset = b.Item2[0], VnFileId = b.Item2[1], VnFsid = b.Item2[2], VnSize = b.Item2[3], VnRdev = b.Item2[4],
            Resident = b.Item3[0], PrivateResident = b.Item3[1], RefCount = b.Item3[2], ShadowCount = b.Item3[3],
            VnType = b.Item4, VnFsidFreeBsd11 = b.Item5, VnRdevFreeBsd11 = b.Item6,
            VnMode = c.Item1, Status = c.Item2, Contents = c.Item3, Dumped = c.Item4,
        }));

    private static readonly Gen<W.MappingSpec[]> Mappings = Mapping.Array[0, 40].Select(entries =>
    {
        ulong at = 0x200000;
        var list = new W.MappingSpec[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            var (gap, pages, entry) = entries[i];
            at += (ulong)gap * W.CoreWriter.PageSize;
            ulong end = at + (ulong)pages * W.CoreWriter.PageSize;
            list[i] = entry with { Start = at, End = end };
            at = end;
        }
        return list;
    });

    /// <summary>The process half of kinfo_proc and NT_PRPSINFO (spec §3.4, §4).</summary>
    private static readonly Gen<W.ProcessSpec> Process = Gen.Select(
        Gen.Select(Gen.Int[1, 99_999], Gen.Int[0, 99_999], OrNullValue(Gen.Int[0, 99_999]), OrNullValue(Gen.Int[0, 99_999]), Gen.Int.Array[2], Gen.Short, Gen.ULong, OrNullValue(Gen.UInt)),
        Gen.Select(Text(NameChar, 1, 24), OrNull(Text(NameChar, 0, 30).Array[1, 6], 1, 2), OrNull(Text(NameChar, 0, 90), 4, 1), OrNull(Text(NameChar, 0, 18), 4, 1), OrNullValue(Gen.Int[0, 99_999]), Gen.UInt.Array[0, 24]),
        Gen.Select(TimeVal, TimeVal, Gen.OneOf("FreeBSD ELF64", "FreeBSD ELF32", "Linux ELF64"), Text(NameChar, 0, 17), Text(NameChar, 0, 17), OrNullValue(Gen.ULong), Gen.UInt, Gen.UInt[0, 3].Select(x => (ulong)x)),
        Gen.Select(Gen.Int.Array[5], Gen.UInt.Array[5], Gen.SByte, Gen.Byte, Gen.UShort.Array[2], Gen.UInt, OrNullValue(Gen.Int[1, 64])),
        Gen.Select(OrNullValue(Gen.ULong), OrNullValue(Gen.ULong), Gen.ULong.Array[4], SigSet, SigSet, Rusage, Gen.ULong.Array[9], Gen.Int),
        (a, b, c, d, e) => new W.ProcessSpec
        {
            Pid = a.Item1, Ppid = a.Item2, Pgid = a.Item3, Sid = a.Item4, Tpgid = a.Item5[0], Tsid = a.Item5[1], Jobc = a.Item6, Tdev = a.Item7, TdevFreeBsd11 = a.Item8,
            Command = b.Item1, Arguments = b.Item2, PsArgs = b.Item3, FName = b.Item4, PrPsInfoPid = b.Item5, Groups = b.Item6,
            Start = c.Item1, ChildTime = c.Item2, Emul = c.Item3, Login = c.Item4, LoginClass = c.Item5, Flag = c.Item6, Flag2 = c.Item7, KiFlag = c.Item8,
            TraceFlag = d.Item1[0], Fibnum = d.Item1[1], Jid = d.Item1[2], Tracer = d.Item1[3], Layout = d.Item1[4],
            Uid = d.Item2[0], Ruid = d.Item2[1], Svuid = d.Item2[2], Rgid = d.Item2[3], Svgid = d.Item2[4],
            Nice = d.Item3, Lock = d.Item4, XStat = d.Item5[0], AcFlag = d.Item5[1], CrFlags = d.Item6, NumThreads = d.Item7,
            VmSize = e.Item1, RsSize = e.Item2, SwRss = e.Item3[0], TSize = e.Item3[1], DSize = e.Item3[2], SSize = e.Item3[3],
            SigIgnore = e.Item4, SigCatch = e.Item5, RusageChildren = e.Item6,
            ArgsPtr = e.Item7[0], ProcPtr = e.Item7[1], AddrPtr = e.Item7[2], TracepPtr = e.Item7[3], TextVpPtr = e.Item7[4],
            FdPtr = e.Item7[5], VmSpacePtr = e.Item7[6], UData = e.Item7[7], PwdDescPtr = e.Item7[8], SFlag = (ulong)(uint)e.Item8,
        });

    /// <summary>An auxiliary vector ending with AT_NULL, as every producer writes it, AT_OSRELDATE the producer's version.</summary>
    private static Gen<W.AuxvEntry[]> Auxv(int osRelDate) =>
        Gen.Select(Gen.Long[1, 36], Gen.ULong).Array[0, 8].Select(extra =>
            W.CoreSpec.DefaultAuxv.Where(a => a.Type != W.AuxType.Null)
                .Select(a => a.Type == W.AuxType.OsRelDate ? a with { Value = (ulong)osRelDate } : a)
                .Concat(extra.Select(e => new W.AuxvEntry(e.Item1, e.Item2)))
                .Append(new W.AuxvEntry(W.AuxType.Null, 0)).ToArray());

    private static readonly Gen<W.Rlimit[]?> Rlimits = OrNull(Gen.Select(Gen.Long, Gen.Long, (c, m) => new W.Rlimit(c, m)).Array[14, 16], 1, 1);

    /// <summary>Everything every producer shares; the producer-specific parts are set by <see cref="Specs"/>.</summary>
    private static Gen<W.CoreSpec> Common(int osRelDate) => Gen.Select(
        Gen.Select(Process, Threads, Mappings, OpenFile.Array[0, 60], Auxv(osRelDate), Rlimits),
        Gen.Select(Gen.UShort, Gen.ULong, OrNullValue(Gen.Int[1_000_000, 1_500_000], 3, 1), OrNullValue(Gen.Int[1_000_000, 1_500_000], 3, 1), Gen.Bool, Gen.OneOf(0u, 0u, 1u)),
        (a, b) => new W.CoreSpec
        {
            OsRelDate = osRelDate, Process = a.Item1, Threads = a.Item2, Mappings = a.Item3, OpenFiles = a.Item4, Auxv = a.Item5, Rlimits = a.Item6,
            Umask = b.Item1, PsStrings = b.Item2, ProcOsRel = b.Item3, PrOsRelDate = b.Item4, SparseZeroPages = b.Item5, ElfFlags = b.Item6,
        });

    private static readonly uint[] KernelThreadNotes = [W.NoteType.FpRegSet, W.NoteType.ThrMisc, W.NoteType.PtLwpInfo, W.NoteType.X86SegBases, W.NoteType.X86XState];

    /// <summary>gcore(1): versions 10.x, 11.1+, 12, 13, 14; p_threads order; ptrace-attached (P_TRACED, spec §7.3).</summary>
    private static readonly Gen<W.CoreSpec> Gcore =
        Gen.OneOf(1003000, 1004000, 1101000, 1104000, 1201000, 1302000, 1400097).SelectMany(v => Gen.Select(
            Common(v), OrNullValue(Gen.Bool, 3, 1), OrNullValue(Gen.Bool, 3, 1), Gen.Bool, Gen.Frequency((9, (IGen<bool>)Gen.Const(false)), (1, Gen.Bool)),
            (spec, xstate, lwpinfo, full, omit) => spec with
            {
                Producer = W.CoreProducer.Gcore, WriteXState = xstate, WritePtLwpInfo = lwpinfo, GcoreFull = full, OmitMemory = omit,
                // Userland gcore writes pr_cursig 0 and attaches with ptrace: the reader tells it by P_TRACED.
                CurSig = null,
                Process = spec.Process.Flag is ulong f ? spec.Process with { Flag = f | W.ProcFlags.Traced } : spec.Process,
            }));

    /// <summary>The kernel: 10.x to 14, the signalled thread first, packed or not, padded notes, any per-thread order.</summary>
    private static readonly Gen<W.CoreSpec> Kernel =
        Gen.OneOf(1004000, 1100514, 1101000, 1203000, 1302001, 1400097).SelectMany(v => Gen.Select(
            Gen.Select(Common(v), Gen.Int[0, 5], Gen.OneOf(4, 6, 8, 10, 11, 11, 11)),
            Gen.Select(OrNullValue(Gen.Bool, 3, 1), OrNullValue(Gen.Bool, 2, 1), OrNullValue(Gen.Bool, 3, 1), Gen.Bool, Gen.Bool, Gen.Bool),
            Gen.Select(Gen.Frequency((2, (IGen<int>)Gen.Const(0)), (1, Gen.Int[1, 3000])), Gen.Frequency((2, (IGen<int>)Gen.Const(0)), (1, Gen.Int[1, 3000]))),
            OrNull(Gen.Select(Gen.Int.Array[KernelThreadNotes.Length], Gen.Int[1, KernelThreadNotes.Length],
                (keys, n) => KernelThreadNotes.Zip(keys).OrderBy(k => k.Second).Take(n).Select(k => k.First).ToArray()), 3, 1),
            (a, b, c, order) => a.Item1 with
            {
                Producer = W.CoreProducer.Kernel,
                SignalledLwp = a.Item1.Threads[a.Item2 % a.Item1.Threads.Count].Lwp,
                CurSig = a.Item3, // the fatal signal, which is how the reader tells a kernel core (spec §3.1)
                WriteXState = b.Item1, WriteSegBases = b.Item2, WritePtLwpInfo = b.Item3,
                PackFileInfo = b.Item4, PackVmmapInfo = b.Item5, KernelLegacyCoredump = b.Item6,
                FilesNotePadding = c.Item1, VmmapNotePadding = c.Item2,
                ThreadNoteOrder = order,
            }));

    /// <summary>gdb: "CORE" or "FreeBSD" register notes, zero or filled version fields, with or without its target description.</summary>
    private static readonly Gen<W.CoreSpec> Gdb =
        Gen.OneOf(1203000, 1302001, 1400097).SelectMany(v => Gen.Select(
            Gen.Select(Common(v), Gen.Int[0, 5], Gen.Int[0, 31]),
            Gen.Select(OrNullValue(Gen.Bool, 3, 1), OrNullValue(Gen.Bool, 2, 1)),
            Gen.Select(Gen.OneOf("CORE", "CORE", "FreeBSD"), Gen.Bool, Gen.Bool, OrNull(Text(NameChar, 0, 200), 3, 1)),
            (a, b, g) => a.Item1 with
            {
                Producer = W.CoreProducer.Gdb,
                SignalledLwp = a.Item1.Threads[a.Item2 % a.Item1.Threads.Count].Lwp,
                CurSig = a.Item3, WriteXState = b.Item1, WriteSegBases = b.Item2,
                Gdb = new W.GdbOptions
                {
                    GenericNoteName = g.Item1, FillVersionFields = g.Item2, WriteTargetDescription = g.Item3,
                    TargetDescriptionXml = g.Item4 ?? new W.GdbOptions().TargetDescriptionXml,
                },
            }));

    public static readonly Gen<W.CoreSpec> Specs = Gen.OneOf(Gcore, Kernel, Gdb);

    /// <summary>A short description for failure messages (records print every member).</summary>
    public static string Describe(W.CoreSpec s) =>
        $"{s.Producer} {s.OsRelDate} (pr_osreldate {s.PrOsRelDate?.ToString() ?? "default"}), {s.Threads.Count} threads [{string.Join(", ", s.Threads.Select(t => $"{t.Lwp} \"{t.Name}\""))}], " +
        $"{s.OpenFiles.Count} files, {s.Mappings.Count} mappings, xstate {s.WriteXState?.ToString() ?? "default"}, segbases {s.WriteSegBases?.ToString() ?? "default"}, " +
        $"lwpinfo {s.WritePtLwpInfo?.ToString() ?? "default"}, order {(s.ThreadNoteOrder is { } o ? string.Join(",", o) : "default")}, " +
        $"pack {s.PackFileInfo}/{s.PackVmmapInfo}, padding {s.FilesNotePadding}/{s.VmmapNotePadding}, omit memory {s.OmitMemory}";
}
