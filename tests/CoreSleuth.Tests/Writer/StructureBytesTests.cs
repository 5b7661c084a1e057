using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>
/// Byte-level facts of spec §3–§6, checked on the descriptor bytes readelf dumps. Offsets are
/// written out here from the spec tables, never taken from the writer.
/// </summary>
public class StructureBytesTests
{
    [ReadelfFact]
    public void PrStatusHoldsEveryRegisterAtItsSpecOffset()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Gcore, 1400097) with { PrOsRelDate = 1400042 };
        using var core = new WrittenCore(spec);
        var note = core.NotesOfType("NT_PRSTATUS")[1];
        var r = spec.Threads[1].Registers;

        Assert.Equal(1, note.I32(0));           // pr_version
        Assert.Equal(224UL, note.U64(8));       // pr_statussz
        Assert.Equal(176UL, note.U64(16));      // pr_gregsetsz
        Assert.Equal(512UL, note.U64(24));      // pr_fpregsetsz
        Assert.Equal(1400042, note.I32(32));    // pr_osreldate
        Assert.Equal(0, note.I32(36));          // pr_cursig: gcore writes 0
        Assert.Equal(100101, note.I32(40));     // pr_pid = LWP
        Assert.Equal(0, note.I32(4));           // padding
        Assert.Equal(0, note.I32(44));

        // spec §3.2, offsets inside struct reg + 48
        (int Offset, ulong Value)[] regs =
        [
            (0, r.R15), (8, r.R14), (16, r.R13), (24, r.R12), (32, r.R11), (40, r.R10), (48, r.R9), (56, r.R8),
            (64, r.Rdi), (72, r.Rsi), (80, r.Rbp), (88, r.Rbx), (96, r.Rdx), (104, r.Rcx), (112, r.Rax),
            (136, r.Rip), (144, r.Cs), (152, r.Rflags), (160, r.Rsp), (168, r.Ss),
        ];
        foreach (var (off, value) in regs)
            Assert.True(value == note.U64(48 + off), $"register at struct reg offset {off}");
        Assert.Equal(r.Trapno, note.U32(48 + 120));
        Assert.Equal(r.Fs, note.U16(48 + 124));
        Assert.Equal(r.Gs, note.U16(48 + 126));
        Assert.Equal(r.Err, note.U32(48 + 128));
        Assert.Equal(r.Es, note.U16(48 + 132));
        Assert.Equal(r.Ds, note.U16(48 + 134));
        // the absolute descriptor offsets the spec spells out
        Assert.Equal(r.Rip, note.U64(184));
        Assert.Equal(r.Rsp, note.U64(208));
        Assert.Equal(r.Rax, note.U64(160));
    }

    [ReadelfFact]
    public void FpRegSetAndXStateShareTheLegacyArea()
    {
        var st0 = new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f }; // 1.0 as an 80-bit value
        var thread = Scenarios.Thread(100100, "t", 3) with
        {
            Fpu = new FpuState { Fcw = 0x27f, Fsw = 0x3800, Ftw = 0x80, Fop = 0x5d9, Fip = 0x401000, Fdp = 0x7fffffffe000, Mxcsr = 0x1fa0, MxcsrMask = 0x2ffff, St = [st0], Xmm = [FpuState.Xmm128(1, 2), FpuState.Xmm128(3, 4)] },
            XSave = new XSaveArea { Xcr0 = 7, XStateBv = 6, YmmHigh = [FpuState.Xmm128(0xa1, 0xa2)] },
        };
        using var core = new WrittenCore(new CoreSpec { Threads = [thread] });
        var fp = core.Single("NT_FPREGSET");
        // spec §3.3
        Assert.Equal(0x27f, fp.U16(0));
        Assert.Equal(0x3800, fp.U16(2));
        Assert.Equal(0x80, fp.Bytes[4]);
        Assert.Equal(0x5d9, fp.U16(6));
        Assert.Equal(0x401000UL, fp.U64(8));
        Assert.Equal(0x7fffffffe000UL, fp.U64(16));
        Assert.Equal(0x1fa0u, fp.U32(24));
        Assert.Equal(0x2ffffu, fp.U32(28));
        Assert.Equal(st0, fp.Bytes[32..42]);
        Assert.Equal((1UL, 2UL, 3UL, 4UL), (fp.U64(160), fp.U64(168), fp.U64(176), fp.U64(184)));
        Assert.All(fp.Bytes[416..], b => Assert.Equal(0, b)); // fpr_spare

        var xs = core.Single("NT_X86_XSTATE");
        Assert.Equal(832, xs.DataSize);
        Assert.Equal(fp.Bytes[..464], xs.Bytes[..464]);
        Assert.Equal(7UL, xs.U64(464));   // XCR0
        Assert.Equal(6UL, xs.U64(512));   // XSTATE_BV
        Assert.Equal((0xa1UL, 0xa2UL), (xs.U64(576), xs.U64(584))); // YMM0 upper half
    }

    [ReadelfFact]
    public void PrPsInfoTruncatesArgumentsToEightyCharacters()
    {
        var args = new[] { "/usr/local/libexec/mysqld", "--defaults-extra-file=/usr/local/etc/mysql/my.cnf", "--basedir=/usr/local", "--datadir=/var/db/mysql" };
        var spec = new CoreSpec { Process = new ProcessSpec { Pid = 777, Command = "a-command-longer-than-nineteen", Arguments = args } };
        using var core = new WrittenCore(spec);
        var ps = core.Single("NT_PRPSINFO");
        Assert.Equal(1, ps.I32(0));
        Assert.Equal(120UL, ps.U64(8));
        Assert.Equal("a-command-longer", ps.CString(16, 17));          // pr_fname: 16 chars + NUL
        Assert.Equal(string.Join(' ', args)[..80], ps.CString(33, 81)); // pr_psargs: 80 chars + NUL
        Assert.Equal(0, ps.Bytes[33 + 80]);
        Assert.Equal(777, ps.I32(116));

        var kp = core.Single("NT_PROCSTAT_PROC");
        Assert.Equal("a-command-longer-th", kp.CString(4 + 447, 20)); // ki_comm: COMMLEN 19
    }

    [ReadelfFact]
    public void ThreadNamesGoToThrMiscKinfoAndLwpInfo()
    {
        var spec = new CoreSpec { Threads = [Scenarios.Thread(100200, "innodb/io_read_thr", 1), Scenarios.Thread(100201, "a-very-long-thread-name", 2)] };
        using var core = new WrittenCore(spec);
        var thrmisc = core.NotesOfType("NT_THRMISC");
        Assert.Equal("innodb/io_read_thr", thrmisc[0].CString(0, 20));
        Assert.Equal("a-very-long-thread-", thrmisc[1].CString(0, 20)); // MAXCOMLEN 19
        Assert.Equal(0U, thrmisc[1].U32(20));

        var kp = core.Single("NT_PROCSTAT_PROC");
        // ki_tdname (16 chars) + ki_moretdname (3 chars) = the name (spec §4)
        Assert.Equal("a-very-long-thre", kp.CString(4 + 1088 + 394, 17));
        Assert.Equal("ad-", kp.CString(4 + 1088 + 502, 4));
        Assert.Equal("innodb/io_read_t", kp.CString(4 + 394, 17));
        Assert.Equal("hr", kp.CString(4 + 502, 4));

        var li = core.NotesOfType("NT_PTLWPINFO");
        Assert.Equal(160, li[1].I32(0));
        Assert.Equal(100201, li[1].I32(4));
        Assert.Equal("a-very-long-thread-", li[1].CString(4 + 128, 20));
    }

    [ReadelfFact]
    public void KinfoProcFieldsSitAtTheirSpecOffsets()
    {
        var sleeping = Scenarios.Thread(100301, "conn", 2) with
        {
            Kinfo = new ThreadKinfo
            {
                WaitMessage = "fifoor-too-long", WaitChannel = 0xfffff80012345678, TdFlags = 0x4 | 0x8, Stat = 4,
                OnCpu = -1, LastCpu = 3, SigMask = SigSet.Of(13), TdAddr = 0xfffff800aabbcc00, PriLevel = 0x98,
                Rusage = new Rusage { UserTime = new TimeVal(5, 6), MinFlt = 321 },
            },
        };
        var spec = new CoreSpec
        {
            OsRelDate = 1400097,
            Process = new ProcessSpec
            {
                Pid = 4352, Ppid = 3821, Uid = 88, Rgid = 88, Groups = [88, 0, 5], Command = "mysqld", Login = "mysql",
                Start = new TimeVal(1500756935, 755235), Tdev = 0x5d, Flag = 0x10004002, SigIgnore = SigSet.Of(13, 14),
            },
            Threads = [Scenarios.Thread(100300, "mysqld", 1), sleeping],
            Mappings = [MappingSpec.Anonymous(0x8_0000_0000, 0x3000) with { Resident = 2 }],
        };
        using var core = new WrittenCore(spec);
        var note = core.Single("NT_PROCSTAT_PROC");
        Assert.Equal(4 + 2 * 1088, note.DataSize);
        int k = 4 + 1088; // second record
        Assert.Equal(1088, note.I32(k + 0));                  // ki_structsize
        Assert.Equal(0, note.I32(k + 4));                     // ki_layout
        Assert.Equal(0xfffff80012345678UL, note.U64(k + 64)); // ki_wchan
        Assert.Equal(4352, note.I32(k + 72));                 // ki_pid
        Assert.Equal(3821, note.I32(k + 76));                 // ki_ppid
        Assert.Equal(4352, note.I32(k + 80));                 // ki_pgid defaults to the pid
        Assert.Equal(0x5dU, note.U32(k + 100));               // ki_tdev_freebsd11
        Assert.Equal(1U << 12, note.U32(k + 120));            // ki_sigmask: SIGPIPE
        Assert.Equal((1U << 12) | (1U << 13), note.U32(k + 136)); // ki_sigignore
        Assert.Equal(88U, note.U32(k + 168));                 // ki_uid
        Assert.Equal(3, note.U16(k + 188));                   // ki_ngroups
        Assert.Equal((88U, 0U, 5U), (note.U32(k + 192), note.U32(k + 196), note.U32(k + 200)));
        Assert.Equal(0x3000UL, note.U64(k + 256));            // ki_size
        Assert.Equal(2UL, note.U64(k + 264));                 // ki_rssize
        Assert.Equal((1500756935L, 755235L), (note.I64(k + 336), note.I64(k + 344))); // ki_start
        Assert.Equal(0x10004002UL, note.U64(k + 368));        // ki_flag
        Assert.Equal(4, note.Bytes[k + 388]);                 // ki_stat SSTOP
        Assert.Equal(255, note.Bytes[k + 392]);               // ki_oncpu_old (NOCPU)
        Assert.Equal(3, note.Bytes[k + 393]);                 // ki_lastcpu_old
        Assert.Equal("conn", note.CString(k + 394, 17));
        Assert.Equal("fifoor-t", note.CString(k + 411, 9));   // ki_wmesg: 8 chars
        Assert.Equal("mysql", note.CString(k + 420, 18));     // ki_login
        Assert.Equal("mysqld", note.CString(k + 447, 20));    // ki_comm
        Assert.Equal("FreeBSD ELF64", note.CString(k + 467, 17));
        Assert.Equal("default", note.CString(k + 484, 18));
        Assert.Equal(0x5dUL, note.U64(k + 560));              // ki_tdev (12+)
        Assert.Equal(-1, note.I32(k + 568));                  // ki_oncpu
        Assert.Equal(3, note.I32(k + 572));                   // ki_lastcpu
        Assert.Equal(2, note.I32(k + 596));                   // ki_numthreads
        Assert.Equal(100301, note.I32(k + 600));              // ki_tid
        Assert.Equal(0x98, note.Bytes[k + 605]);              // pri_level
        Assert.Equal((5L, 6L), (note.I64(k + 608), note.I64(k + 616))); // ki_rusage.ru_utime
        Assert.Equal(321L, note.I64(k + 608 + 64));           // ru_minflt
        Assert.Equal(0xfffff800aabbcc00UL, note.U64(k + 920)); // ki_tdaddr
        Assert.Equal(0xcUL, note.U64(k + 1080));              // ki_tdflags: TDF_INMEM|TDF_SINTR
        Assert.All(note.Bytes[(k + 506)..(k + 552)], b => Assert.Equal(0, b)); // ki_sparestrings
        Assert.Equal(100300, note.I32(4 + 600));              // first record is the first thread
    }

    [ReadelfFact]
    public void FreeBsd10KinfoProcHasNoIntCpuOr64BitTdev()
    {
        var spec = new CoreSpec
        {
            OsRelDate = 1004000,
            Process = new ProcessSpec { Tdev = 0x7f },
            Threads = [new ThreadSpec { Lwp = 100001, Kinfo = new ThreadKinfo { OnCpu = 1, LastCpu = 1 } }],
        };
        using var core = new WrittenCore(spec);
        var note = core.Single("NT_PROCSTAT_PROC");
        Assert.Equal((1, 1), ((int)note.Bytes[4 + 392], (int)note.Bytes[4 + 393])); // u_char ki_oncpu/ki_lastcpu of 10.x
        Assert.All(note.Bytes[(4 + 552)..(4 + 576)], b => Assert.Equal(0, b));      // 10.x ki_spareints
        Assert.Equal(0x7fU, note.U32(4 + 100));
        Assert.Equal(4 + 16 * 14, core.Single("NT_PROCSTAT_RLIMIT").DataSize);
    }

    [ReadelfFact]
    public void KinfoFileRecordsArePackedAndCarryTheirFields()
    {
        var sock = new OpenFileSpec
        {
            Type = KfType.Socket, Fd = 12, Flags = KfFlags.Read | KfFlags.Write, SockDomain = 2, SockType = 1, SockProtocol = 6,
            SaLocal = [16, 2, 0x0c, 0xea, 127, 0, 0, 1], SockPcb = 0xfffff80001234000, SockRecvQ = 17, Path = "",
        };
        var spec = new CoreSpec
        {
            OsRelDate = 1300130,
            OpenFiles =
            [
                OpenFileSpec.Vnode(KfFd.Text, "/usr/local/libexec/mysqld") with { Offset = -1, FileFsid = 0x1122334455667788, FileFileId = 4242 },
                OpenFileSpec.Vnode(3, "/tmp/load.fifo", VnodeType.VFifo) with { Type = KfType.Fifo, Offset = 0 },
                sock,
            ],
        };
        using var core = new WrittenCore(spec);
        var note = core.Single("NT_PROCSTAT_FILES");
        Assert.Equal(1392, note.I32(0));
        int r0 = 4, r1 = r0 + note.I32(r0), r2 = r1 + note.I32(r1);
        Assert.Equal((368 + 25 + 1 + 7) / 8 * 8, note.I32(r0));         // roundup8(368 + strlen + 1)
        Assert.Equal((1, -5, -1L), (note.I32(r0 + 4), note.I32(r0 + 8), note.I64(r0 + 24)));
        Assert.Equal("/usr/local/libexec/mysqld", note.CString(r0 + 368, note.I32(r0) - 368));
        Assert.Equal(0x1122334455667788UL, note.U64(r0 + 288)); // kf_file_fsid (12+)
        Assert.Equal(4242UL, note.U64(r0 + 304));               // kf_file_fileid
        Assert.Equal(0x55667788U, note.U32(r0 + 320));          // kf_file_fsid_freebsd11
        // cap_rights of a special: no rights, as the corpus cores show for cwd/root/text/ctty
        Assert.Equal(Convert.FromHexString("00000000000000020000000000000004"), note.Bytes[(r0 + 344)..(r0 + 360)]);
        Assert.Equal((4, 3, 7), (note.I32(r1 + 4), note.I32(r1 + 8), note.I32(r1 + 32))); // FIFO, fd 3, VFIFO
        Assert.Equal("/tmp/load.fifo", note.CString(r1 + 368, 16));
        Assert.Equal(1, note.U16(r1 + 336));                    // kf_status KF_ATTR_VALID
        Assert.Equal((2, 12, 2, 1, 6), (note.I32(r2 + 4), note.I32(r2 + 8), note.I32(r2 + 36), note.I32(r2 + 40), note.I32(r2 + 44)));
        Assert.Equal(new byte[] { 16, 2, 0x0c, 0xea, 127, 0, 0, 1 }, note.Bytes[(r2 + 48)..(r2 + 56)]);
        Assert.Equal(0xfffff80001234000UL, note.U64(r2 + 304));  // kf_sock_pcb
        Assert.Equal(17U, note.U32(r2 + 332));                   // kf_sock_recvq
        Assert.Equal(376, note.I32(r2));                         // empty path: roundup8(369)
        Assert.Equal(r2 + 376, note.DataSize);
    }

    [ReadelfFact]
    public void UnpackedKernelRecordsAndTrailingPadding()
    {
        var spec = new CoreSpec
        {
            Producer = CoreProducer.Kernel, PackFileInfo = false, PackVmmapInfo = false, FilesNotePadding = 24,
            OpenFiles = [OpenFileSpec.Vnode(0, "/dev/null", VnodeType.VChr)],
            Mappings = [MappingSpec.Anonymous(0x10000, 0x1000)],
        };
        using var core = new WrittenCore(spec);
        var files = core.Single("NT_PROCSTAT_FILES");
        Assert.Equal(4 + 1392 + 24, files.DataSize);
        Assert.Equal(1392, files.I32(4));
        Assert.All(files.Bytes[(4 + 1392)..], b => Assert.Equal(0, b));
        var vm = core.Single("NT_PROCSTAT_VMMAP");
        Assert.Equal(4 + 1160, vm.DataSize);
        Assert.Equal(1160, vm.I32(4));
    }

    [ReadelfFact]
    public void KinfoVmentryRecordsAreSortedPackedAndComplete()
    {
        var spec = new CoreSpec
        {
            OsRelDate = 1400097,
            Mappings =
            [
                MappingSpec.Anonymous(0x7fffdffff000, 0x1000) with { Flags = KveFlags.GrowsDown, Resident = 1 },
                MappingSpec.File(0x800241000, 0x9000, "/lib/libthr.so.3", KveProt.ReadExec, 0x8000) with { Flags = KveFlags.Cow | KveFlags.NeedsCopy, VnFsid = 0xaabbccdd11223344, VnFileId = 16054, VnMode = 0x816d, VnSize = 112800 },
            ],
        };
        using var core = new WrittenCore(spec);
        var note = core.Single("NT_PROCSTAT_VMMAP");
        Assert.Equal(1160, note.I32(0));
        int r0 = 4, r1 = r0 + note.I32(r0);
        Assert.Equal((136 + 16 + 1 + 7) / 8 * 8, note.I32(r0));
        Assert.Equal(2, note.I32(r0 + 4));                    // KVME_TYPE_VNODE, the lower address first
        Assert.Equal((0x800241000UL, 0x80024a000UL, 0x8000UL), (note.U64(r0 + 8), note.U64(r0 + 16), note.U64(r0 + 24)));
        Assert.Equal(16054UL, note.U64(r0 + 32));
        Assert.Equal(0x11223344U, note.U32(r0 + 40));         // kve_vn_fsid_freebsd11
        Assert.Equal(3, note.I32(r0 + 44));                   // COW|NEEDS_COPY
        Assert.Equal(5, note.I32(r0 + 56));                   // READ|EXEC
        Assert.Equal(1, note.I32(r0 + 68));                   // VREG
        Assert.Equal(112800UL, note.U64(r0 + 72));
        Assert.Equal(0x816d, note.U16(r0 + 84));
        Assert.Equal(1, note.U16(r0 + 86));                   // kve_status
        Assert.Equal(0xaabbccdd11223344UL, note.U64(r0 + 88)); // kve_vn_fsid (12+)
        Assert.Equal("/lib/libthr.so.3", note.CString(r0 + 136, 17));
        Assert.Equal((1, 0x20, 3, 1), (note.I32(r1 + 4), note.I32(r1 + 44), note.I32(r1 + 56), note.I32(r1 + 48)));
        Assert.Equal(r1 + 144, note.DataSize);                // roundup8(136 + 0 + 1)
    }

    [ReadelfFact]
    public void SmallProcessNotes()
    {
        var spec = new CoreSpec
        {
            OsRelDate = 1400097, ProcOsRel = 1400500, Umask = 0x1ff, PsStrings = 0x7fffffffefe0,
            Process = new ProcessSpec { Groups = [1001, 0, 88] },
            Rlimits = [new Rlimit(1, 2), Rlimit.Unlimited],
            Auxv = [new AuxvEntry(6, 4096), new AuxvEntry(0, 0)],
        };
        using var core = new WrittenCore(spec);
        var groups = core.Single("NT_PROCSTAT_GROUPS");
        Assert.Equal((4, 1001, 0, 88), (groups.I32(0), groups.I32(4), groups.I32(8), groups.I32(12)));
        var umask = core.Single("NT_PROCSTAT_UMASK");
        Assert.Equal((2, 0x1ff), (umask.I32(0), (int)umask.U16(4)));
        var rl = core.Single("NT_PROCSTAT_RLIMIT");
        Assert.Equal((32, 1L, 2L, long.MaxValue), (rl.I32(0), rl.I64(4), rl.I64(12), rl.I64(28)));
        var osrel = core.Single("NT_PROCSTAT_OSREL");
        Assert.Equal((4, 1400500), (osrel.I32(0), osrel.I32(4)));
        Assert.Equal(1400097, core.Single("NT_PRSTATUS").I32(32));
        var ps = core.Single("NT_PROCSTAT_PSSTRINGS");
        Assert.Equal((8, 0x7fffffffefe0UL), (ps.I32(0), ps.U64(4)));
        var auxv = core.Single("NT_PROCSTAT_AUXV");
        Assert.Equal((16, 6L, 4096UL, 0L), (auxv.I32(0), auxv.I64(4), auxv.U64(12), auxv.I64(20)));
        Assert.Equal(4 + 32, auxv.DataSize);
    }

    [ReadelfFact]
    public void PtLwpInfoFields()
    {
        var t = Scenarios.Thread(100500, "sig", 1) with
        {
            LwpInfo = new LwpInfo
            {
                Event = 1, Flags = 0x20, SigMask = SigSet.Of(1), SigList = SigSet.Of(2),
                SigInfo = new SigInfo { Signo = 11, Code = 1, Addr = 0xdeadbeef, Trapno = 12 }, SyscallCode = 499, SyscallNarg = 4,
            },
        };
        using var core = new WrittenCore(new CoreSpec { Producer = CoreProducer.Kernel, OsRelDate = 1300130, Threads = [t] });
        var li = core.Single("NT_PTLWPINFO");
        Assert.Equal(164, li.DataSize);
        const int s = 4; // struct after the 4-byte size prefix (spec §3.6)
        Assert.Equal((100500, 1, 0x20), (li.I32(s + 0), li.I32(s + 4), li.I32(s + 8)));
        Assert.Equal((1U, 2U), (li.U32(s + 12), li.U32(s + 28)));
        Assert.Equal((11, 1, 0xdeadbeefUL, 12), (li.I32(s + 48), li.I32(s + 48 + 8), li.U64(s + 48 + 24), li.I32(s + 48 + 40)));
        Assert.Equal("sig", li.CString(s + 128, 20));
        Assert.Equal((499, 4), (li.I32(s + 152), li.I32(s + 156)));
    }

    [ReadelfFact]
    public void RawTemplatesKeepBytesTheFieldsDoNotCover()
    {
        // The 11.0 kernel leaves stack bytes after the NUL of pr_tname (corpus core bsi-01c3190a).
        var thrmisc = Convert.FromHexString("6273690000f8ffffc06c2f0400f8ffff0000000000000000");
        var kinfoRaw = new byte[1088];
        kinfoRaw[506] = 0x5a;                // inside ki_sparestrings
        kinfoRaw[600] = 0x77;                // ki_tid: overwritten by the field
        var t = new ThreadSpec { Lwp = 101039, Name = "bsi", ThrMiscRaw = thrmisc, Kinfo = new ThreadKinfo { Raw = kinfoRaw } };
        using var core = new WrittenCore(new CoreSpec { Producer = CoreProducer.Kernel, OsRelDate = 1100514, Threads = [t] });
        Assert.Equal(thrmisc, core.Single("NT_THRMISC").Bytes);
        var kp = core.Single("NT_PROCSTAT_PROC");
        Assert.Equal(0x5a, kp.Bytes[4 + 506]);
        Assert.Equal(101039, kp.I32(4 + 600));
    }
}
