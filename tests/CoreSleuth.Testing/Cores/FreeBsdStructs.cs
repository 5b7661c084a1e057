using System.Text;

namespace CoreSleuth.Testing.Cores;

/// <summary>
/// Encoders of the structures FreeBSD writes into core notes, one per C structure, with the
/// offsets of the spec (§3–§6). Each returns a fresh image; bytes not covered by a field are
/// zero unless the record carries a raw template (for round trips of real cores).
/// </summary>
public static class FreeBsdStructs
{
    /// <summary>prpsinfo_t, 120 bytes (spec §3.4).</summary>
    public static byte[] PrPsInfo(CoreSpec spec)
    {
        var p = spec.Process;
        var b = Le.Image(StructSize.PrPsInfo, p.PrPsInfoRaw, "prpsinfo");
        var fname = p.FName ?? p.Command;
        if (spec.Producer == CoreProducer.Gdb && !GdbFillsHeaders(spec))
        {
            // BFD's generic elfcore_write_prpsinfo: memset, then strncpy of fname and psargs.
            Le.StrNCpy(b, 16, 17, fname);
            Le.StrNCpy(b, 33, 81, p.JoinedArguments);
            return b;
        }
        Le.I32(b, 0, 1);                          // pr_version = PRPSINFO_VERSION
        Le.U64(b, 8, StructSize.PrPsInfo);        // pr_psinfosz
        Le.CString(b, 16, 17, fname);             // pr_fname[PRFNAMESZ+1]
        Le.CString(b, 33, 81, p.JoinedArguments); // pr_psargs[PRARGSZ+1]
        Le.I32(b, 116, p.PrPsInfoPid ?? p.Pid);   // pr_pid
        return b;
    }

    /// <summary>prstatus_t, 224 bytes (spec §3.1); pr_pid is the LWP.</summary>
    public static byte[] PrStatus(CoreSpec spec, ThreadSpec thread)
    {
        var b = Le.Image(StructSize.PrStatus, thread.PrStatusRaw, "prstatus");
        if (!(spec.Producer == CoreProducer.Gdb && !GdbFillsHeaders(spec)))
        {
            Le.I32(b, 0, 1);                                     // pr_version = PRSTATUS_VERSION
            Le.U64(b, 8, StructSize.PrStatus);                   // pr_statussz
            Le.U64(b, 16, StructSize.GregSet);                   // pr_gregsetsz
            Le.U64(b, 24, StructSize.FpRegSet);                  // pr_fpregsetsz
            Le.I32(b, 32, spec.PrOsRelDate ?? spec.OsRelDate);  // pr_osreldate
        }
        Le.I32(b, 36, CurSig(spec));                             // pr_cursig
        Le.I32(b, 40, thread.Lwp);                               // pr_pid = LWP id
        thread.Registers.Encode(b, 48);                          // pr_reg
        return b;
    }

    /// <summary>thrmisc_t, 24 bytes (spec §3.5).</summary>
    public static byte[] ThrMisc(CoreSpec spec, ThreadSpec thread)
    {
        var b = Le.Image(StructSize.ThrMisc, thread.ThrMiscRaw, "thrmisc");
        Le.CString(b, 0, 20, ThreadName(spec, thread));
        return b;
    }

    /// <summary>struct ptrace_lwpinfo, 160 bytes (spec §3.6), without the note's 4-byte prefix.</summary>
    public static byte[] PtraceLwpInfo(CoreSpec spec, ThreadSpec thread)
    {
        var li = thread.LwpInfo;
        var b = Le.Image(StructSize.PtLwpInfo, li.Raw, "ptrace_lwpinfo");
        Le.I32(b, 0, thread.Lwp);
        Le.I32(b, 4, li.Event);
        Le.I32(b, 8, li.Flags);
        (li.SigMask ?? thread.Kinfo.SigMask).Encode(b, 12);
        (li.SigList ?? thread.Kinfo.SigList).Encode(b, 28);
        li.SigInfo.Encode(b, 48);
        Le.CString(b, 128, 20, li.TdName ?? ThreadName(spec, thread));
        Le.I32(b, 148, li.ChildPid);
        Le.I32(b, 152, li.SyscallCode);
        Le.I32(b, 156, li.SyscallNarg);
        return b;
    }

    /// <summary>NT_X86_SEGBASES descriptor (spec §3.7).</summary>
    public static byte[] SegBases(ThreadSpec thread)
    {
        var b = new byte[StructSize.SegBases];
        Le.U64(b, 0, thread.FsBase);
        Le.U64(b, 8, thread.GsBase);
        return b;
    }

    /// <summary>struct kinfo_proc for one thread, 1088 bytes (spec §4, §4.1).</summary>
    public static byte[] KinfoProc(CoreSpec spec, ThreadSpec thread)
    {
        var p = spec.Process;
        var k = thread.Kinfo;
        var b = Le.Image(StructSize.KinfoProc, k.Raw, "kinfo_proc");
        Le.I32(b, 0, StructSize.KinfoProc);     // ki_structsize
        Le.I32(b, 4, p.Layout);                 // ki_layout
        Le.U64(b, 8, p.ArgsPtr);
        Le.U64(b, 16, p.ProcPtr);
        Le.U64(b, 24, p.AddrPtr);
        Le.U64(b, 32, p.TracepPtr);
        Le.U64(b, 40, p.TextVpPtr);
        Le.U64(b, 48, p.FdPtr);
        Le.U64(b, 56, p.VmSpacePtr);
        Le.U64(b, 64, k.WaitChannel);           // ki_wchan
        Le.I32(b, 72, p.Pid);
        Le.I32(b, 76, p.Ppid);
        Le.I32(b, 80, p.Pgid ?? p.Pid);
        Le.I32(b, 84, p.Tpgid);
        Le.I32(b, 88, p.Sid ?? p.Pid);
        Le.I32(b, 92, p.Tsid);
        Le.I16(b, 96, p.Jobc);
        Le.U32(b, 100, p.TdevFreeBsd11 ?? (uint)p.Tdev); // ki_tdev_freebsd11 (ki_tdev on 10.x/11.x)
        k.SigList.Encode(b, 104);
        k.SigMask.Encode(b, 120);
        p.SigIgnore.Encode(b, 136);
        p.SigCatch.Encode(b, 152);
        Le.U32(b, 168, p.Uid);
        Le.U32(b, 172, p.Ruid ?? p.Uid);
        Le.U32(b, 176, p.Svuid ?? p.Uid);
        Le.U32(b, 180, p.Rgid);
        Le.U32(b, 184, p.Svgid ?? p.Rgid);
        int ngroups = Math.Min(p.Groups.Count, 16);
        Le.I16(b, 188, (short)ngroups);
        for (int i = 0; i < ngroups; i++)
            Le.U32(b, 192 + 4 * i, p.Groups[i]);
        Le.U64(b, 256, p.VmSize ?? SumSizes(spec));
        Le.U64(b, 264, p.RsSize ?? SumResident(spec));
        Le.U64(b, 272, p.SwRss);
        Le.U64(b, 280, p.TSize);
        Le.U64(b, 288, p.DSize);
        Le.U64(b, 296, p.SSize);
        Le.U16(b, 304, p.XStat);
        Le.U16(b, 306, p.AcFlag);
        Le.U32(b, 308, k.PctCpu);
        Le.U32(b, 312, k.EstCpu);
        Le.U32(b, 316, k.SlpTime);
        Le.U32(b, 320, p.SwTime);
        Le.U32(b, 324, k.Cow);
        Le.U64(b, 328, k.Runtime);
        p.Start.Encode(b, 336);
        p.ChildTime.Encode(b, 352);
        Le.U64(b, 368, ProcFlag(spec));
        Le.U64(b, 376, p.KiFlag | k.KiFlag);
        Le.I32(b, 384, p.TraceFlag);
        Le.U8(b, 388, Stat(spec, thread));
        Le.U8(b, 389, (byte)p.Nice);
        Le.U8(b, 390, p.Lock);
        Le.U8(b, 391, k.RqIndex);
        Le.U8(b, 392, k.OnCpuOld ?? ClampCpu(k.OnCpu));
        Le.U8(b, 393, k.LastCpuOld ?? ClampCpu(k.LastCpu));
        var name = ThreadName(spec, thread);
        Le.CString(b, 394, 17, name);                          // ki_tdname: first 16 chars
        Le.CString(b, 411, 9, k.WaitMessage);                  // ki_wmesg: 8 chars
        Le.CString(b, 420, 18, p.Login);
        Le.CString(b, 438, 9, k.LockName);
        Le.CString(b, 447, 20, p.Command);                     // ki_comm: COMMLEN 19
        Le.CString(b, 467, 17, p.Emul);
        Le.CString(b, 484, 18, p.LoginClass);
        Le.CString(b, 502, 4, MoreTdName(name));               // ki_moretdname: chars 17–19
        if (spec.OsRelDate >= FreeBsdVersion.Ino64)
            Le.U64(b, 560, p.Tdev);                            // ki_tdev (12+)
        if (spec.OsRelDate >= FreeBsdVersion.IntCpuFields)
        {
            Le.I32(b, 568, k.OnCpu);
            Le.I32(b, 572, k.LastCpu);
        }
        Le.I32(b, 576, p.Tracer);
        Le.U32(b, 580, p.Flag2);
        Le.I32(b, 584, p.Fibnum);
        Le.U32(b, 588, p.CrFlags);
        Le.I32(b, 592, p.Jid);
        Le.I32(b, 596, p.NumThreads ?? spec.Threads.Count);
        Le.I32(b, 600, thread.Lwp);                            // ki_tid
        Le.U8(b, 604, k.PriClass);
        Le.U8(b, 605, k.PriLevel);
        Le.U8(b, 606, k.PriNative);
        Le.U8(b, 607, k.PriUser);
        k.Rusage.Encode(b, 608);
        p.RusageChildren.Encode(b, 752);
        Le.U64(b, 896, k.Pcb);
        Le.U64(b, 904, k.KStack);
        Le.U64(b, 912, p.UData);
        Le.U64(b, 920, k.TdAddr);
        Le.U64(b, 928, p.PwdDescPtr);
        Le.U64(b, 1072, p.SFlag);
        Le.U64(b, 1080, k.TdFlags);
        return b;
    }

    /// <summary>
    /// struct kinfo_file (spec §5). Packed: kf_structsize = roundup8(368 + strlen(path) + 1)
    /// and the record ends there; unpacked: the full 1392 bytes.
    /// </summary>
    public static byte[] KinfoFile(CoreSpec spec, OpenFileSpec f, bool packed)
    {
        var path = PathBytes(f.Path);
        int size = packed ? RoundUp8(StructSize.KinfoFilePathOffset + path.Length + 1) : StructSize.KinfoFile;
        var b = Le.Image(size, f.Raw, "kinfo_file");
        Le.I32(b, 0, size);
        Le.I32(b, 4, f.Type);
        Le.I32(b, 8, f.Fd);
        Le.I32(b, 12, f.RefCount);
        Le.I32(b, 16, f.Flags);
        Le.I64(b, 24, f.Offset);
        Le.I32(b, 32, f.VnodeType);
        Le.I32(b, 36, f.SockDomain);
        Le.I32(b, 40, f.SockType);
        Le.I32(b, 44, f.SockProtocol);
        if (f.SaLocal is not null) Le.Bytes(b, 48, 128, f.SaLocal, "kf_sa_local");
        if (f.SaPeer is not null) Le.Bytes(b, 176, 128, f.SaPeer, "kf_sa_peer");
        if (spec.OsRelDate >= FreeBsdVersion.Ino64)
        {
            Le.U64(b, 288, f.FileFsid);
            Le.U64(b, 296, f.FileRdev);
        }
        Le.U64(b, 304, f.FileFileId);
        Le.U64(b, 312, f.FileSize);
        Le.U32(b, 320, f.FileFsidFreeBsd11 ?? (uint)f.FileFsid);
        Le.U32(b, 324, f.FileRdevFreeBsd11 ?? (uint)f.FileRdev);
        Le.U16(b, 328, f.FileMode);
        Le.U16(b, 330, f.SockRcvSbState);
        Le.U32(b, 332, f.SockRecvQ);
        Le.U16(b, 336, f.Status);
        Le.Bytes(b, 344, 16, f.CapRights ?? (f.Fd >= 0 ? OpenFileSpec.CapAll : OpenFileSpec.CapNone), "kf_cap_rights");
        path.CopyTo(b, StructSize.KinfoFilePathOffset);
        b[StructSize.KinfoFilePathOffset + path.Length] = 0;
        return b;
    }

    /// <summary>
    /// struct kinfo_vmentry (spec §6). Packed: kve_structsize = roundup8(136 + strlen(path) + 1);
    /// unpacked: 1160 bytes.
    /// </summary>
    public static byte[] KinfoVmentry(CoreSpec spec, MappingSpec m, bool packed)
    {
        var path = PathBytes(m.Path);
        int size = packed ? RoundUp8(StructSize.KinfoVmentryPathOffset + path.Length + 1) : StructSize.KinfoVmentry;
        var b = Le.Image(size, m.Raw, "kinfo_vmentry");
        Le.I32(b, 0, size);
        Le.I32(b, 4, m.Type);
        Le.U64(b, 8, m.Start);
        Le.U64(b, 16, m.End);
        Le.U64(b, 24, m.Offset);
        Le.U64(b, 32, m.VnFileId);
        Le.U32(b, 40, m.VnFsidFreeBsd11 ?? (uint)m.VnFsid);
        Le.I32(b, 44, m.Flags);
        Le.I32(b, 48, m.Resident);
        Le.I32(b, 52, m.PrivateResident);
        Le.I32(b, 56, m.Protection);
        Le.I32(b, 60, m.RefCount);
        Le.I32(b, 64, m.ShadowCount);
        Le.I32(b, 68, m.VnType ?? (m.Type == KveType.Vnode ? VnodeType.VReg : VnodeType.VNon));
        Le.U64(b, 72, m.VnSize);
        Le.U32(b, 80, m.VnRdevFreeBsd11 ?? (uint)m.VnRdev);
        Le.U16(b, 84, m.VnMode);
        Le.U16(b, 86, m.Status ?? (ushort)(m.Type == KveType.Vnode ? 1 : 0));
        if (spec.OsRelDate >= FreeBsdVersion.Ino64)
        {
            Le.U64(b, 88, m.VnFsid);
            Le.U64(b, 96, m.VnRdev);
        }
        path.CopyTo(b, StructSize.KinfoVmentryPathOffset);
        b[StructSize.KinfoVmentryPathOffset + path.Length] = 0;
        return b;
    }

    /// <summary>pr_cursig as the producer writes it (spec §3.1).</summary>
    public static int CurSig(CoreSpec spec) => spec.CurSig ?? (spec.Producer == CoreProducer.Kernel ? 11 : 0);

    /// <summary>The thread's td_name as written to THRMISC (19 chars at most).</summary>
    public static string ThreadName(CoreSpec spec, ThreadSpec thread) => thread.Name ?? spec.Process.Command;

    /// <summary>ki_stat of a thread's record: the explicit value or the producer default (spec §4.1).</summary>
    public static byte Stat(CoreSpec spec, ThreadSpec thread) =>
        thread.Kinfo.Stat ?? (spec.Producer == CoreProducer.Kernel && thread.Lwp == CoreNotes.SignalledLwp(spec) ? KiStat.Run : KiStat.Stop);

    /// <summary>ki_flag: the explicit value or the default described on <see cref="ProcessSpec.Flag"/>.</summary>
    public static ulong ProcFlag(CoreSpec spec)
    {
        if (spec.Process.Flag is ulong f) return f;
        ulong flag = ProcFlags.InMem | ProcFlags.Exec | ProcFlags.ControlT;
        if (spec.Threads.Count > 1) flag |= ProcFlags.HadThreads;
        if (spec.Producer != CoreProducer.Kernel) flag |= ProcFlags.Traced | ProcFlags.StoppedTrace;
        else if (spec.Threads.Count > 1) flag |= ProcFlags.StoppedSingle;
        return flag;
    }

    internal static bool GdbFillsHeaders(CoreSpec spec) =>
        spec.Gdb.FillVersionFields || spec.Gdb.GenericNoteName != "CORE";

    private static byte ClampCpu(int cpu) => cpu is >= 0 and < 255 ? (byte)cpu : (byte)255;

    private static string MoreTdName(string name)
    {
        // ki_tdname holds TDNAMLEN (16) bytes; ki_moretdname the rest of td_name (MAXCOMLEN 19).
        var bytes = Encoding.UTF8.GetBytes(name);
        return bytes.Length > 16 ? Encoding.UTF8.GetString(bytes, 16, Math.Min(3, bytes.Length - 16)) : "";
    }

    private static byte[] PathBytes(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        return bytes.Length > 1023 ? bytes[..1023] : bytes; // kf_path/kve_path are PATH_MAX (1024) with the NUL
    }

    private static ulong SumSizes(CoreSpec spec)
    {
        ulong sum = 0;
        foreach (var m in spec.Mappings) sum += m.Size;
        return sum;
    }

    private static ulong SumResident(CoreSpec spec)
    {
        ulong sum = 0;
        foreach (var m in spec.Mappings) sum += (ulong)Math.Max(0, m.Resident);
        return sum;
    }

    internal static int RoundUp8(int n) => (n + 7) & ~7;
}
