using System.Buffers.Binary;
using System.Text;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;
using W = CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// Turns what the reader decoded — <see cref="CoreFile.Process"/>, <see cref="CoreFile.Threads"/>,
/// the producer it recognised and the order of <see cref="Elf.ElfFile.Notes"/> — into the
/// independent writer's <see cref="W.CoreSpec"/>, field by field. Nothing is copied from the
/// note descriptors: every byte the writer produces again comes from a record of the reader,
/// so a field the reader drops or misplaces shows up as a difference when the spec is written.
/// </summary>
/// <remarks>
/// The writer has no typed member for spare fields and padding; when the reader's records hold
/// non-zero bytes there, they are placed into the writer's raw template of that record (the
/// writer's documented way to reproduce real cores) at the offsets of the spec, and the record
/// is listed in <see cref="Conversion.TemplatedRecords"/> so such data cannot pass unnoticed.
/// What the writer cannot express at all raises <see cref="NotSupportedException"/> naming it.
/// </remarks>
public static class ReaderToWriter
{
    /// <summary>The spec of <paramref name="core"/>, with the memory of its PT_LOAD segments.</summary>
    public static W.CoreSpec ToSpec(CoreFile core) => Convert(core, withMemory: true).Spec;

    /// <summary>The spec, the records that needed raw templates, and the writer defaults that had to be overridden.</summary>
    public sealed record Conversion(W.CoreSpec Spec, IReadOnlyList<string> TemplatedRecords, IReadOnlyList<string> Overrides);

    /// <param name="withMemory">Read each dumped mapping's contents from <see cref="CoreFile.Memory"/> (needed to write the whole file, not the notes).</param>
    public static Conversion Convert(CoreFile core, bool withMemory)
    {
        var templated = new List<string>();
        var overrides = new List<string>();
        var process = core.Process;
        var noteThreads = core.Threads;
        if (noteThreads.Count == 0) throw new NotSupportedException("the reader found no thread; the writer needs at least one");

        var producer = core.Producer switch
        {
            CoreProducer.Gcore => W.CoreProducer.Gcore,
            CoreProducer.Kernel => W.CoreProducer.Kernel,
            CoreProducer.Gdb => W.CoreProducer.Gdb,
            _ => throw new NotSupportedException($"the reader could not tell the producer: {string.Join("; ", core.ProducerEvidence)}"),
        };
        var psinfo = process.FreeBsd?.PsInfo ?? throw new NotSupportedException("the core has no NT_PRPSINFO; every producer writes one (spec §2.3)");

        // pr_cursig and pr_osreldate are one value per core in the writer (spec §3.1: the same in every thread's note).
        var status = noteThreads[0].FreeBsd?.Status ?? throw new NotSupportedException("not a FreeBSD core: its threads have no FreeBSD NT_PRSTATUS");
        foreach (var t in noteThreads)
            if (t.FreeBsd!.Status.CurrentSignal != status.CurrentSignal || t.FreeBsd.Status.OsRelDate != status.OsRelDate)
                throw new NotSupportedException($"LWP {t.Lwp} has pr_cursig {t.FreeBsd!.Status.CurrentSignal} / pr_osreldate {t.FreeBsd!.Status.OsRelDate}, LWP {noteThreads[0].Lwp} {status.CurrentSignal} / {status.OsRelDate}: the writer has one value of each");

        // The writer's version decides which version-dependent fields it writes (ino64, int CPU fields);
        // pr_osreldate is the producer's version (spec §3.1), gdb may leave it 0 (doubt 2).
        int version = status.OsRelDate > 0 ? status.OsRelDate : process.FreeBsd!.OsRelDate ?? process.FreeBsd.ExecutableOsRelDate ?? 0;

        // Threads in p_threads order: the order of the kinfo_proc records (spec §4.1); gdb writes none.
        IReadOnlyList<CoreThread> threads = noteThreads;
        if (process.FreeBsd!.KinfoProcs.Count > 0)
        {
            var byLwp = noteThreads.ToDictionary(t => t.Lwp);
            threads = process.FreeBsd!.KinfoProcs.Select(k => byLwp.TryGetValue(k.Lwp, out var t) ? t
                : throw new NotSupportedException($"kinfo_proc of LWP {k.Lwp} has no NT_PRSTATUS; the writer writes one record per thread")).ToList();
            if (threads.Count != noteThreads.Count)
                throw new NotSupportedException($"{noteThreads.Count} threads but {process.FreeBsd!.KinfoProcs.Count} kinfo_proc records");
            if (producer == W.CoreProducer.Gcore && !threads.Select(t => t.Lwp).SequenceEqual(noteThreads.Select(t => t.Lwp)))
                throw new NotSupportedException("gcore writes threads in p_threads order (spec §2.3), but the note order differs from the kinfo_proc order");
        }

        var first = process.FreeBsd!.KinfoProcs.FirstOrDefault();
        var processSpec = (first is null ? new W.ProcessSpec { Command = psinfo.Command } : ProcessFromKinfo(first)) with
        {
            Groups = process.Groups.ToArray(),
            FName = psinfo.Command,
            PsArgs = psinfo.Arguments,
            PrPsInfoPid = psinfo.Pid,
        };
        if (first is null) processSpec = processSpec with { Pid = psinfo.Pid };

        var spec = new W.CoreSpec
        {
            Producer = producer,
            OsRelDate = version,
            PrOsRelDate = status.OsRelDate,
            ProcOsRel = process.FreeBsd!.ExecutableOsRelDate,
            CurSig = status.CurrentSignal,
            SignalledLwp = producer == W.CoreProducer.Gcore ? null : noteThreads[0].Lwp,
            Process = processSpec,
            Umask = process.Umask ?? 0,
            PsStrings = process.FreeBsd!.PsStrings ?? 0,
            Rlimits = process.ResourceLimits.Select(r => new W.Rlimit(r.Current, r.Maximum)).ToArray(),
            Auxv = process.Auxv.Select(a => new W.AuxvEntry(a.Type, a.Value)).ToArray(),
            FilesNotePadding = process.FreeBsd!.OpenFilesNotePadding,
            VmmapNotePadding = process.FreeBsd!.MappingsNotePadding,
            Machine = core.Elf.Header.Machine,
            ElfFlags = core.Elf.Header.Flags,
        };

        spec = spec with { Threads = threads.Select(t => Thread(spec, t, templated)).ToArray() };
        spec = WithNoteLayout(core, spec, overrides);
        spec = spec with { OpenFiles = process.OpenFiles.Select(f => OpenFile(spec, f.FreeBsd ?? throw new NotSupportedException($"descriptor {f.DescriptorName} has no kinfo_file: not a FreeBSD core"), templated)).ToArray() };
        if (producer == W.CoreProducer.Kernel)
        {
            // kern.coredump_pack_fileinfo / _vmmapinfo (spec §5, §6): unpacked records are all 1392 / 1160 bytes.
            spec = spec with
            {
                PackFileInfo = !(process.OpenFiles.Count > 0 && process.OpenFiles.All(f => f.FreeBsd?.StructSize == KinfoFile.FullSize)),
                PackVmmapInfo = !(process.Mappings.Count > 0 && process.Mappings.All(m => m.FreeBsd?.StructSize == KinfoVmEntry.FullSize)),
            };
        }
        spec = WithMappings(core, spec, withMemory, templated, overrides);
        return new Conversion(spec, templated, overrides);
    }

    // --- process and threads (spec §3, §4) ---

    private static W.ProcessSpec ProcessFromKinfo(KinfoProc k) => new()
    {
        Layout = k.Layout, ArgsPtr = k.ArgsAddress, ProcPtr = k.ProcAddress, AddrPtr = k.UserAddress, TracepPtr = k.TraceVnode,
        TextVpPtr = k.TextVnode, FdPtr = k.FileDescriptors, VmSpacePtr = k.VmSpace,
        Pid = k.Pid, Ppid = k.ParentPid, Pgid = k.ProcessGroup, Tpgid = k.TtyProcessGroup, Sid = k.SessionId, Tsid = k.TtySessionId,
        Jobc = k.JobControlCount, Tdev = k.TtyDevice, TdevFreeBsd11 = k.TtyDevice32,
        SigIgnore = Sigset(k.IgnoredSignals), SigCatch = Sigset(k.CaughtSignals),
        Uid = k.Uid, Ruid = k.RealUid, Svuid = k.SavedUid, Rgid = k.RealGid, Svgid = k.SavedGid,
        VmSize = k.VirtualSize, RsSize = k.ResidentPages, SwRss = k.SwapResidentPages, TSize = k.TextPages, DSize = k.DataPages, SSize = k.StackPages,
        XStat = k.ExitStatus, AcFlag = k.AccountingFlags, SwTime = k.SwapTime,
        Start = new W.TimeVal(k.Start.Seconds, k.Start.Microseconds), ChildTime = new W.TimeVal(k.ChildTime.Seconds, k.ChildTime.Microseconds),
        Flag = (ulong)k.ProcessFlags,
        KiFlag = 0, // ki_kiflag is carried per record (ThreadKinfo.KiFlag): the writer ORs both
        TraceFlag = k.TraceFlags, Nice = k.Nice, Lock = k.Lock,
        Login = k.Login, Command = k.Command, Emul = k.Emulation, LoginClass = k.LoginClass,
        Tracer = k.Tracer, Flag2 = (uint)k.Flags2, Fibnum = k.Fib, CrFlags = k.CredentialFlags, Jid = k.JailId, NumThreads = k.ThreadCount,
        RusageChildren = Rusage(k.ChildRusage), UData = k.UserData, PwdDescPtr = k.ProcessDescriptor, SFlag = (ulong)k.SFlags,
    };

    private static W.ThreadSpec Thread(W.CoreSpec spec, CoreThread t, List<string> templated)
    {
        // The writer derives THRMISC, ki_tdname/ki_moretdname and pl_tdname from one name (spec §3.5, §4).
        string? name = t.FreeBsd!.ThrMisc?.Name ?? t.FreeBsd!.Kinfo?.FullThreadName ?? t.FreeBsd!.LwpInfo?.Name;
        var thread = new W.ThreadSpec
        {
            Lwp = t.Lwp,
            Name = name,
            Registers = Registers(t.Registers),
            Fpu = t.FpState is { } fp ? Fpu(fp) : W.FpuState.Reset,
            XSave = t.XState is { Length: > 0 } x ? XSave(x) : null, // empty XSTATE: no XSAVE (spec §2.1)
            FsBase = t.SegmentBases?.FsBase ?? 0,
            GsBase = t.SegmentBases?.GsBase ?? 0,
        };
        if (t.FreeBsd!.ThrMisc is { } misc)
        {
            // Bytes after the name's NUL and _pad (spec §3.5) go where the writer leaves the template's bytes.
            var raw = new Template(W.StructSize.ThrMisc);
            int nul = Encoding.UTF8.GetByteCount(misc.Name);
            raw.Put(nul + 1, misc.NameFieldTail);
            raw.Put(ThrMisc.NameFieldSize, misc.Padding);
            thread = thread with { ThrMiscRaw = raw.Build($"THRMISC {t.Lwp}", templated) };
        }
        if (t.FreeBsd!.Kinfo is { } k) thread = thread with { Kinfo = ThreadKinfo(spec, k, templated) };
        if (t.FreeBsd!.LwpInfo is { } li) thread = thread with { LwpInfo = LwpInfo(t.Lwp, li, templated) };
        return thread;
    }

    private static W.ThreadKinfo ThreadKinfo(W.CoreSpec spec, KinfoProc k, List<string> templated)
    {
        // Spare fields of kinfo_proc (spec §4) and the version-dependent fields this writer version does not write.
        var raw = new Template(W.StructSize.KinfoProc);
        raw.PutI16(98, k.SpareShort1);
        raw.PutI16(190, k.SpareShort2);
        int written = Math.Min(spec.Process.Groups.Count, 16); // the writer fills ki_groups from NT_PROCSTAT_GROUPS
        for (int i = written; i < k.Groups.Count; i++) raw.PutU32(192 + 4 * i, k.Groups[i]);
        raw.Put(506, k.SpareStrings);
        raw.Put(552, k.SpareInts);
        if (spec.OsRelDate < W.FreeBsdVersion.Ino64) raw.PutU64(560, k.TtyDevice);
        if (spec.OsRelDate < W.FreeBsdVersion.IntCpuFields)
        {
            raw.PutU32(568, (uint)k.OnCpu);
            raw.PutU32(572, (uint)k.LastCpu);
        }
        raw.Put(936, k.SparePointers);
        raw.Put(976, k.SpareLongs);
        return new W.ThreadKinfo
        {
            WaitMessage = k.WaitMessage, WaitChannel = k.WaitChannel, Stat = k.State, TdFlags = (ulong)k.ThreadFlags,
            LockName = k.LockName, KiFlag = (ulong)k.KiFlags,
            SigList = Sigset(k.PendingSignals), SigMask = Sigset(k.SignalMask),
            PctCpu = k.PercentCpu, EstCpu = k.EstimatedCpu, SlpTime = k.SleepTime, Cow = k.CopyOnWriteFaults, Runtime = k.RuntimeMicroseconds,
            RqIndex = k.RunQueueIndex, OnCpu = k.OnCpu, LastCpu = k.LastCpu, OnCpuOld = k.OnCpuOld, LastCpuOld = k.LastCpuOld,
            PriClass = k.Priority[0], PriLevel = k.Priority[1], PriNative = k.Priority[2], PriUser = k.Priority[3],
            Rusage = Rusage(k.Rusage), Pcb = k.Pcb, KStack = k.KernelStack, TdAddr = k.ThreadAddress,
            Raw = raw.Build($"KINFO_PROC {k.Lwp}", templated),
        };
    }

    private static W.LwpInfo LwpInfo(int lwp, LwpInfo li, List<string> templated)
    {
        // The writer models the first int of siginfo's _reason (spec §3.6); the rest goes into the template.
        var raw = new Template(W.StructSize.PtLwpInfo);
        raw.Put(48 + 44, li.SigInfo.Reason.AsSpan(4));
        var s = li.SigInfo;
        return new W.LwpInfo
        {
            StructSize = li.StructSize, Event = li.Event, Flags = li.Flags,
            SigMask = Sigset(li.SignalMask), SigList = Sigset(li.PendingSignals),
            SigInfo = new W.SigInfo
            {
                Signo = s.Signal, Errno = s.Errno, Code = s.Code, Pid = s.Pid, Uid = s.Uid, Status = s.Status, Addr = s.Address, Value = s.Value,
                Trapno = BinaryPrimitives.ReadInt32LittleEndian(s.Reason),
            },
            TdName = li.Name, ChildPid = li.ChildPid ?? 0, SyscallCode = li.SyscallCode ?? 0, SyscallNarg = li.SyscallArgumentCount ?? 0,
            Raw = raw.Build($"PTLWPINFO {lwp}", templated),
        };
    }

    private static W.Registers Registers(Registers r) => new()
    {
        R15 = r.R15, R14 = r.R14, R13 = r.R13, R12 = r.R12, R11 = r.R11, R10 = r.R10, R9 = r.R9, R8 = r.R8,
        Rdi = r.Rdi, Rsi = r.Rsi, Rbp = r.Rbp, Rbx = r.Rbx, Rdx = r.Rdx, Rcx = r.Rcx, Rax = r.Rax,
        Trapno = r.TrapNo, Fs = r.Fs, Gs = r.Gs, Err = r.Err, Es = r.Es, Ds = r.Ds,
        Rip = r.Rip, Cs = r.Cs, Rflags = r.Rflags, Rsp = r.Rsp, Ss = r.Ss,
    };

    private static W.FpuState Fpu(FpState f) => new()
    {
        Fcw = f.Fcw, Fsw = f.Fsw, Ftw = f.Ftw, Fop = f.Fop, Fip = f.Fip, Fdp = f.Fdp, Mxcsr = f.Mxcsr, MxcsrMask = f.MxcsrMask,
        St = f.St.ToArray(), Xmm = f.Xmm.ToArray(),
    };

    private static W.XSaveArea XSave(XState x) => new()
    {
        Length = x.Length, Xcr0 = x.Xcr0, XStateBv = x.XStateBv, XCompBv = x.XCompBv,
        YmmHigh = x.YmmHigh?.ToArray() ?? [],
    };

    // --- note layout (spec §2.3) ---

    /// <summary>
    /// Which per-thread notes the producer wrote and in which order, from the note headers the
    /// reader listed; the writer's producer default is kept when it agrees.
    /// </summary>
    private static W.CoreSpec WithNoteLayout(CoreFile core, W.CoreSpec spec, List<string> overrides)
    {
        var perThread = new List<List<uint>>();
        foreach (var n in core.Elf.Notes)
        {
            if (n.Type == NoteType.PrStatus && n.Name is "FreeBSD" or "CORE") perThread.Add([]);
            else if (NoteType.IsPerThread(n.Type) && perThread.Count > 0) perThread[^1].Add(n.Type);
        }
        var order = perThread.MaxBy(l => l.Count) ?? [];
        foreach (var l in perThread)
            if (!IsSubsequence(l, order))
                throw new NotSupportedException($"per-thread notes come in different orders ({Names(l)} / {Names(order)}); the writer has one order per core");

        var prstatusName = core.Elf.Notes.First(n => n.Type == NoteType.PrStatus).Name;
        spec = spec with
        {
            WriteXState = order.Contains(NoteType.X86XState),
            WriteSegBases = order.Contains(NoteType.X86SegBases),
            WritePtLwpInfo = order.Contains(NoteType.PtLwpInfo),
        };
        if (spec.Producer == W.CoreProducer.Gdb)
        {
            var tdesc = core.Elf.Notes.Where(n => n.Name == "GDB").ToList();
            var options = new W.GdbOptions
            {
                GenericNoteName = prstatusName,
                FillVersionFields = core.Threads[0].FreeBsd!.Status.Version != 0,
                WriteTargetDescription = tdesc.Count > 0,
            };
            if (tdesc.Count > 0)
            {
                // gdb's target description is text, not a FreeBSD structure, and the reader does not
                // decode it: it is taken as the NUL-terminated string it is (spec §2.1).
                var d = tdesc[0].Descriptor.Span;
                int nul = d.IndexOf((byte)0);
                if (tdesc.Count > 1 || tdesc[0].Type != W.NoteType.GdbTargetDescription || nul != d.Length - 1)
                    throw new NotSupportedException("the GDB note is not the single NUL-terminated NT_GDB_TDESC the writer models");
                options = options with { TargetDescriptionXml = Encoding.UTF8.GetString(d[..nul]) };
            }
            spec = spec with { Gdb = options };
        }

        // Only the order of the notes written at all matters: types the producer skips for a thread are absent.
        var defaults = W.CoreNotes.ThreadNoteTypes(spec);
        if (!defaults.SequenceEqual(order))
        {
            overrides.Add($"ThreadNoteOrder {Names(order)} (producer default {Names(defaults)})");
            spec = spec with { ThreadNoteOrder = order };
        }
        return spec;
    }

    private static bool IsSubsequence(List<uint> part, List<uint> whole)
    {
        int j = 0;
        foreach (var x in whole)
            if (j < part.Count && part[j] == x) j++;
        return j == part.Count;
    }

    private static string Names(IEnumerable<uint> types) => string.Join(",", types.Select(NoteType.Name));

    // --- open files (spec §5) ---

    private static W.OpenFileSpec OpenFile(W.CoreSpec spec, KinfoFile f, List<string> templated)
    {
        ReadOnlySpan<byte> u = f.Union; // bytes 32..335 of the record
        const int b = KinfoFile.UnionOffset;
        var raw = new Template(W.StructSize.KinfoFile);
        raw.PutU32(20, (uint)f.Pad0);
        raw.PutU16(338, f.Pad1);
        raw.PutU32(340, (uint)f.Spare0);
        raw.PutU64(360, f.CapabilitySpare);
        return new W.OpenFileSpec
        {
            Type = f.Type, Fd = f.Fd, RefCount = f.RefCount, Flags = f.Flags, Offset = f.Offset,
            VnodeType = f.VnodeType, SockDomain = f.SocketDomain, SockType = f.SocketType, SockProtocol = f.SocketProtocol,
            SaLocal = f.SocketLocal.ToArray(), SaPeer = f.SocketPeer.ToArray(),
            // 64-bit fsid/rdev share bytes 288..303 with kf_sa_peer (spec §5): the same bytes either way.
            FileFsid = U64(u, 288 - b), FileRdev = U64(u, 296 - b),
            FileFileId = f.FileId, FileSize = f.FileSize,
            FileFsidFreeBsd11 = U32(u, 320 - b), FileRdevFreeBsd11 = U32(u, 324 - b),
            FileMode = f.FileMode, SockRcvSbState = U16(u, 330 - b), SockRecvQ = U32(u, 332 - b),
            Status = f.Status, CapRights = f.CapabilityRights, Path = f.Path,
            Raw = raw.Build($"KINFO_FILE {KinfoFile.FdName(f.Fd)}", templated),
        };
    }

    // --- mappings and memory (spec §1.2, §1.3, §6) ---

    private static W.CoreSpec WithMappings(CoreFile core, W.CoreSpec spec, bool withMemory, List<string> templated, List<string> overrides)
    {
        var loads = core.Elf.ProgramHeaders.Where(p => p.IsLoad).ToDictionary(p => p.VirtualAddress);
        long fileLength = core.Source.Length;
        var mappings = new List<W.MappingSpec>();
        foreach (var m in core.Process.Mappings.Select(m => m.FreeBsd ?? throw new NotSupportedException($"the mapping at 0x{m.Start:x} has no kinfo_vmentry: not a FreeBSD core")))
        {
            var raw = new Template(W.StructSize.KinfoVmentry);
            if (spec.OsRelDate < W.FreeBsdVersion.Ino64)
            {
                raw.PutU64(88, m.VnodeFsid);
                raw.PutU64(96, m.VnodeRdev);
            }
            raw.Put(104, m.Spare);
            var mapping = new W.MappingSpec
            {
                Type = m.Type, Start = m.Start, End = m.End, Offset = m.Offset, VnFileId = m.VnodeFileId,
                VnFsid = m.VnodeFsid, VnFsidFreeBsd11 = m.VnodeFsid32, Flags = m.Flags,
                Resident = m.Resident, PrivateResident = m.PrivateResident, Protection = m.Protection,
                RefCount = m.RefCount, ShadowCount = m.ShadowCount, VnType = m.VnodeType, VnSize = m.VnodeSize,
                VnRdev = m.VnodeRdev, VnRdevFreeBsd11 = m.VnodeRdev32, VnMode = m.VnodeMode, Status = m.Status, Path = m.Path,
                Raw = raw.Build($"KINFO_VMENTRY 0x{m.Start:x}", templated),
            };

            bool dumped = loads.Remove(m.Start, out var load);
            if (dumped && load!.MemorySize != m.Size)
                throw new NotSupportedException($"PT_LOAD at 0x{m.Start:x} is 0x{load.MemorySize:x} bytes, its mapping 0x{m.Size:x}: the writer dumps whole mappings (spec §1.2)");
            if (W.CoreWriter.IsDumped(spec, mapping) != dumped)
            {
                overrides.Add($"Dumped={dumped} for 0x{m.Start:x} ({KinfoVmEntry.TypeName(m.Type)} {m.ProtectionText})");
                mapping = mapping with { Dumped = dumped };
            }
            if (dumped && withMemory && load!.Offset < (ulong)fileLength)
            {
                var contents = new byte[m.Size];
                int read = core.Memory.Read(m.Start, contents);
                mapping = mapping with { Contents = contents.AsMemory(0, read) };
            }
            mappings.Add(mapping);
        }
        if (loads.Count > 0)
            throw new NotSupportedException($"PT_LOAD segments without a kinfo_vmentry ({string.Join(", ", loads.Keys.Select(a => $"0x{a:x}"))}): the writer makes segments from mappings");

        // LLDB's corpus cores were cut after the notes: the PT_LOADs point past the end of the file.
        var allLoads = core.Elf.ProgramHeaders.Where(p => p.IsLoad && p.FileSize > 0).ToList();
        bool stripped = allLoads.Count > 0 && allLoads.All(p => p.Offset >= (ulong)fileLength);
        return spec with { Mappings = mappings, OmitMemory = stripped };
    }

    // --- helpers ---

    private static W.SigSet Sigset(SignalSet s) => new(s.W0, s.W1, s.W2, s.W3);

    /// <summary>struct rusage (144 bytes, spec §4): two timevals, then fourteen longs.</summary>
    private static W.Rusage Rusage(byte[] r)
    {
        long L(int i) => BinaryPrimitives.ReadInt64LittleEndian(r.AsSpan(8 * i));
        return new W.Rusage
        {
            UserTime = new W.TimeVal(L(0), L(1)), SystemTime = new W.TimeVal(L(2), L(3)),
            MaxRss = L(4), IxRss = L(5), IdRss = L(6), IsRss = L(7), MinFlt = L(8), MajFlt = L(9), NSwap = L(10), InBlock = L(11),
            OuBlock = L(12), MsgSnd = L(13), MsgRcv = L(14), NSignals = L(15), NVcsw = L(16), NIvcsw = L(17),
        };
    }

    private static ushort U16(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
    private static uint U32(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt32LittleEndian(s[o..]);
    private static ulong U64(ReadOnlySpan<byte> s, int o) => BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);

    /// <summary>A raw template holding only fields the writer has no member for; null when they are all zero.</summary>
    private sealed class Template(int size)
    {
        private readonly byte[] bytes = new byte[size];

        public void Put(int offset, ReadOnlySpan<byte> value)
        {
            int n = Math.Min(value.Length, size - offset);
            if (n > 0) value[..n].CopyTo(bytes.AsSpan(offset));
        }

        public void PutI16(int offset, short v) => BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(offset), v);
        public void PutU16(int offset, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), v);
        public void PutU32(int offset, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), v);
        public void PutU64(int offset, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset), v);

        public byte[]? Build(string what, List<string> templated)
        {
            if (!bytes.AsSpan().ContainsAnyExcept((byte)0)) return null;
            templated.Add(what);
            return bytes;
        }
    }
}
