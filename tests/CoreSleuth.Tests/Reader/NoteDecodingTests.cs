using System.Buffers.Binary;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Reader;

/// <summary>The FreeBSD process model decoded from hand-built notes (spec §2–§6).</summary>
public sealed class NoteDecodingTests
{
    private static CoreFile Load(CoreImage image) => CoreFile.Load(ByteSource.FromBytes(image.Build(), "test.core"));

    private static Dictionary<string, ulong> Regs(params (string, ulong)[] r) => r.ToDictionary(x => x.Item1, x => x.Item2);

    [Fact]
    public void SampleDecodesThreadsProcessFilesAndMappings()
    {
        using var core = Load(CoreImage.Sample());
        Assert.Empty(core.Warnings);
        Assert.Equal([100, 101], core.Threads.Select(t => t.Lwp));
        Assert.Equal(["main", "worker"], core.Threads.Select(t => t.Name));
        Assert.Equal(0x401000UL, core.Threads[0].Registers.Rip);
        Assert.Equal(499UL, core.Threads[0].Registers.Rax);
        Assert.Equal(Enumerable.Repeat((byte)5, 16), core.Threads[0].FpState!.Xmm[5]);
        Assert.Null(core.Threads[0].WaitMessage);
        Assert.Equal("fifoor", core.Threads[1].WaitMessage);

        var p = core.Process;
        Assert.Equal(77, p.Pid);
        Assert.Equal("NT_PRPSINFO", p.PidSource);
        Assert.Equal("prog", p.Command);
        Assert.Equal(11, p.Signal);
        Assert.Equal(["/home", "/dev/null"], p.OpenFiles.Select(f => f.Path));
        Assert.Equal("/home", p.WorkingDirectory);
        Assert.Equal(["cwd", "0"], p.OpenFiles.Select(f => f.DescriptorName));
        Assert.Equal([-1, 0], p.OpenFiles.Select(f => f.Descriptor));
        Assert.Equal([null, 0L], p.OpenFiles.Select(f => f.Position)); // kf_offset −1: no position
        Assert.Equal([1, 3], p.OpenFiles.Select(f => f.FreeBsd?.Flags)); // FREAD, FREAD|FWRITE stay kinfo_file's
        Assert.Equal(["dir", "chr"], p.OpenFiles.Select(f => f.Kind));
        Assert.Equal([0x400000UL, 0x7fff_ffff_0000UL], p.Mappings.Select(m => m.Start));
        Assert.Equal(["r--", "rw-"], p.Mappings.Select(m => m.ProtectionText));
        Assert.Equal("---D", p.Mappings[1].FreeBsd?.FlagText);
        Assert.Equal("/usr/bin/prog", p.Mappings[0].Path);
    }

    [Fact]
    public void KinfoProcRecordsAreMatchedByThreadIdNotPosition()
    {
        var image = new CoreImage()
            .Note(1, CoreImage.PrStatus(300)).Note(1, CoreImage.PrStatus(200))
            .Note(8, CoreImage.ProcstatProc(CoreImage.KinfoProc(9, 200, "two", wmesg: "select"), CoreImage.KinfoProc(9, 300, "three", wmesg: "uwait")));
        using var core = Load(image);
        Assert.Equal(["three", "two"], core.Threads.Select(t => t.Name));
        Assert.Equal(["kinfo_proc", "kinfo_proc"], core.Threads.Select(t => t.NameSource));
        Assert.Equal(["uwait", "select"], core.Threads.Select(t => t.WaitMessage));
        Assert.Equal(300, core.Threads[0].FreeBsd!.Kinfo!.Lwp);
    }

    [Fact]
    public void ThreadWithoutKinfoRecordIsReported()
    {
        var image = new CoreImage().Note(1, CoreImage.PrStatus(1)).Note(1, CoreImage.PrStatus(2))
            .Note(8, CoreImage.ProcstatProc(CoreImage.KinfoProc(9, 1)));
        using var core = Load(image);
        Assert.Null(core.Threads[1].FreeBsd!.Kinfo);
        Assert.Contains(core.Warnings, w => w.Contains("LWP 2", StringComparison.Ordinal) && w.Contains("kinfo_proc", StringComparison.Ordinal));
    }

    [Fact]
    public void ThreadNamesFallBackFromThrmiscToKinfoToLwpinfo()
    {
        var image = new CoreImage()
            .Note(1, CoreImage.PrStatus(1)).Note(7, CoreImage.ThrMisc("from-thrmisc")).Note(17, CoreImage.LwpInfo(1, "from-lwpinfo"))
            .Note(1, CoreImage.PrStatus(2)).Note(7, CoreImage.ThrMisc("")).Note(17, CoreImage.LwpInfo(2, "from-lwpinfo"))
            .Note(1, CoreImage.PrStatus(3)).Note(17, CoreImage.LwpInfo(3, "from-lwpinfo"))
            .Note(1, CoreImage.PrStatus(4))
            // ki_tdname is 16 characters: the rest of a 19-character name is in ki_moretdname (spec §4).
            .Note(1, CoreImage.PrStatus(5))
            // A short ki_tdname: bytes in ki_moretdname are not part of the name.
            .Note(1, CoreImage.PrStatus(6))
            .Note(8, CoreImage.ProcstatProc(
                CoreImage.KinfoProc(9, 1, "from-kinfo"), CoreImage.KinfoProc(9, 2, "from-kinfo"), CoreImage.KinfoProc(9, 4, ""),
                CoreImage.KinfoProc(9, 5, "sixteen-chars-ab", moretdname: "cde"), CoreImage.KinfoProc(9, 6, "short", moretdname: "zz")));
        using var core = Load(image);
        Assert.Equal(["from-thrmisc", "from-kinfo", "from-lwpinfo", null, "sixteen-chars-abcde", "short"], core.Threads.Select(t => t.Name));
        Assert.Equal(["NT_THRMISC", "kinfo_proc", "NT_PTLWPINFO", null, "kinfo_proc", "kinfo_proc"], core.Threads.Select(t => t.NameSource));
    }

    [Fact]
    public void VmmapEntriesBecomeMappingsInTheModelsWordsWithTheKinfoVmEntryKept()
    {
        // sys/sys/user.h: KVME_TYPE_DEFAULT 1, VNODE 2, SWAP 3, DEVICE 4, DEAD 6; KVME_PROT_READ 1,
        // WRITE 2, EXEC 4; KVME_FLAG_COW 0x1, NEEDS_COPY 0x2, NOCOREDUMP 0x4, GROWS_DOWN 0x20.
        var maps = CoreImage.Prefixed(1160,
            CoreImage.KinfoVmEntry(0x400000, 0x402000, 5, "/usr/local/libexec/mysqld", type: 2, flags: 0x3),
            CoreImage.KinfoVmEntry(0x402000, 0x403000, 1, "/usr/local/libexec/mysqld", type: 2, offset: 0x2000),
            CoreImage.KinfoVmEntry(0x800000, 0x900000, 3, type: 1, flags: 0x4),
            CoreImage.KinfoVmEntry(0x900000, 0x901000, 0, type: 3),
            CoreImage.KinfoVmEntry(0xa00000, 0xa01000, 3, "/dev/mem", type: 4),
            CoreImage.KinfoVmEntry(0xb00000, 0xb01000, 1, type: 6),
            CoreImage.KinfoVmEntry(0x7fff_ffff_0000, 0x7fff_ffff_f000, 3, flags: 0x20));
        using var core = Load(new CoreImage().Note(1, CoreImage.PrStatus(1)).Note(10, maps));
        var m = core.Process.Mappings;
        Assert.False(core.Process.MappingsAreFilesOnly);
        Assert.Equal([MappingKind.File, MappingKind.File, MappingKind.Anonymous, MappingKind.Anonymous, MappingKind.Device, MappingKind.Other, MappingKind.Anonymous],
            m.Select(x => x.Kind));
        Assert.Equal([MappingProtection.Read | MappingProtection.Execute, MappingProtection.Read, MappingProtection.Read | MappingProtection.Write,
            MappingProtection.None, MappingProtection.Read | MappingProtection.Write, MappingProtection.Read, MappingProtection.Read | MappingProtection.Write],
            m.Select(x => x.Protection));
        Assert.Equal([0UL, 0x2000UL, 0, 0, 0, 0, 0], m.Select(x => x.FileOffset));
        Assert.Equal([false, false, true, false, false, false, false], m.Select(x => x.NoCoreDump));
        Assert.Equal(0x100000UL, m[2].Size);
        // What only FreeBSD says stays on its record: gdb's flag letters, the object type.
        Assert.All(m, x => Assert.NotNull(x.FreeBsd));
        Assert.Equal(["CN--", "----", "----", "----", "----", "----", "---D"], m.Select(x => x.FreeBsd!.FlagText));
        Assert.Equal(["vnode", "vnode", "default", "swap", "device", "dead", "default"], m.Select(x => KinfoVmEntry.TypeName(x.FreeBsd!.Type)));
    }

    [Fact]
    public void PackedFilesAndMappingsEndAtZeroPadding()
    {
        var files = CoreImage.Prefixed(1392,
            CoreImage.KinfoFile(-5, 1, 1, "/usr/sbin/mysqld"), CoreImage.KinfoFile(3, 4, 0, "/tmp/load.fifo", flags: 1),
            CoreImage.KinfoFile(4, 2, 0, ""), CoreImage.KinfoFile(5, 1, 1, "/var/db/unpacked", packed: false), new byte[400]);
        var maps = CoreImage.Prefixed(1160, CoreImage.KinfoVmEntry(0x1000, 0x2000, 5, "/lib/libthr.so.3", type: 2), new byte[200]);
        using var core = Load(new CoreImage().Note(1, CoreImage.PrStatus(1)).Note(9, files).Note(10, maps));
        Assert.Empty(core.Warnings);
        Assert.Equal(["/usr/sbin/mysqld", "/tmp/load.fifo", "", "/var/db/unpacked"], core.Process.OpenFiles.Select(f => f.Path));
        Assert.Equal(["text", "3", "4", "5"], core.Process.OpenFiles.Select(f => f.DescriptorName));
        Assert.Equal(["file", "fifo", "socket", "file"], core.Process.OpenFiles.Select(f => f.Kind));
        Assert.Equal("/usr/sbin/mysqld", core.Process.Executable);
        Assert.Equal(["/lib/libthr.so.3"], core.Process.Mappings.Select(m => m.Path));
        Assert.Equal("r-x", core.Process.Mappings[0].ProtectionText);
    }

    [Fact]
    public void BadRecordSizeKeepsEarlierRecordsAndNamesTheOffset()
    {
        var second = CoreImage.KinfoFile(1, 1, 1, "/two");
        BinaryPrimitives.WriteInt32LittleEndian(second, 100); // below the fixed part of 368 bytes
        var files = CoreImage.Prefixed(1392, CoreImage.KinfoFile(0, 1, 1, "/one"), second);
        var image = new CoreImage().Note(1, CoreImage.PrStatus(1)).Note(9, files);
        image.Build(out var layout);
        using var core = Load(image);
        Assert.Equal(["/one"], core.Process.OpenFiles.Select(f => f.Path));
        long at = layout.DescriptorOffsets[1] + 4 + CoreImage.KinfoFile(0, 1, 1, "/one").Length;
        Assert.Contains(core.Warnings, w => w.Contains($"0x{at:x}", StringComparison.Ordinal) && w.Contains("100 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void LwpInfoIsReadByItsStructSize()
    {
        var image = new CoreImage()
            // 12+: 160 bytes with pl_syscall_code and pl_syscall_narg.
            .Note(1, CoreImage.PrStatus(1)).Note(17, CoreImage.LwpInfo(1, "a", structSize: 160, @event: 1, flags: 0x20, signo: 11))
            // 11.x: 152 bytes, ending with pl_child_pid (spec §3.6).
            .Note(1, CoreImage.PrStatus(2)).Note(17, CoreImage.LwpInfo(2, "b", structSize: 152))
            // A prefix larger than the bytes present: the fields present are read, with a warning.
            .Note(1, CoreImage.PrStatus(3)).Note(17, CoreImage.LwpInfo(3, "c", structSize: 152, declaredSize: 160))
            // A prefix that ends before pl_tdname: unusable.
            .Note(1, CoreImage.PrStatus(4)).Note(17, CoreImage.LwpInfo(4, "d", structSize: 160, declaredSize: 100))
            // The struct names another LWP than its NT_PRSTATUS.
            .Note(1, CoreImage.PrStatus(5)).Note(17, CoreImage.LwpInfo(55, "e"));
        using var core = Load(image);
        var t = core.Threads;
        Assert.Equal((499, 4), (t[0].FreeBsd!.LwpInfo!.SyscallCode, t[0].FreeBsd!.LwpInfo!.SyscallArgumentCount));
        Assert.True(t[0].FreeBsd!.LwpInfo!.HasSigInfo);
        Assert.Equal(11, t[0].FreeBsd!.LwpInfo!.SigInfo.Signal);
        Assert.Equal(4242, t[1].FreeBsd!.LwpInfo!.ChildPid);
        Assert.Null(t[1].FreeBsd!.LwpInfo!.SyscallCode);
        Assert.Equal("b", t[1].Name);
        Assert.Null(t[2].FreeBsd!.LwpInfo!.SyscallCode);
        Assert.Contains(core.Warnings, w => w.Contains("declares a 160-byte ptrace_lwpinfo but holds 152", StringComparison.Ordinal));
        Assert.Null(t[3].FreeBsd!.LwpInfo);
        Assert.Contains(core.Warnings, w => w.Contains("100-byte ptrace_lwpinfo", StringComparison.Ordinal));
        Assert.Equal(5, t[4].Lwp);
        Assert.Contains(core.Warnings, w => w.Contains("names LWP 55", StringComparison.Ordinal));
    }

    private static byte[] XSave(ulong xcr0, ulong xstateBv, int length = 832)
    {
        // Spec §3.8: FXSAVE legacy area, XCR0 at 464, XSTATE_BV at 512, ymm upper halves at 576.
        var x = new byte[length];
        for (int i = 0; i < 16; i++) x.AsSpan(160 + 16 * i, 16).Fill((byte)(0x40 + i));
        BinaryPrimitives.WriteUInt64LittleEndian(x.AsSpan(464), xcr0);
        BinaryPrimitives.WriteUInt64LittleEndian(x.AsSpan(512), xstateBv);
        if (length >= 576 + 256) for (int i = 0; i < 16; i++) x.AsSpan(576 + 16 * i, 16).Fill((byte)(0x80 + i));
        return x;
    }

    [Fact]
    public void XStateGivesYmmUpperHalvesAndStandsInForAMissingFpregset()
    {
        var image = new CoreImage()
            .Note(1, CoreImage.PrStatus(1)).Note(2, CoreImage.FpRegs(i => Enumerable.Repeat((byte)i, 16).ToArray())).Note(0x202, XSave(7, 7))
            .Note(1, CoreImage.PrStatus(2)).Note(2, CoreImage.FpRegs()).Note(0x202, XSave(7, 3))      // AVX in its init state
            .Note(1, CoreImage.PrStatus(3)).Note(0x202, XSave(7, 7))                                  // no NT_FPREGSET
            .Note(1, CoreImage.PrStatus(4)).Note(2, CoreImage.FpRegs()).Note(0x202, XSave(3, 3, 576)); // no AVX on this CPU
        using var core = Load(image);
        var t = core.Threads;
        Assert.Equal(7UL, t[0].XState!.Xcr0);
        Assert.Equal(Enumerable.Repeat((byte)0x83, 16), t[0].FpState!.YmmHigh![3]);
        Assert.Equal(Enumerable.Repeat((byte)3, 16), t[0].FpState!.Xmm[3]); // xmm from NT_FPREGSET
        Assert.All(t[1].FpState!.YmmHigh!, y => Assert.Equal(new byte[16], y));
        Assert.Equal(Enumerable.Repeat((byte)0x4A, 16), t[2].FpState!.Xmm[10]); // from the XSAVE legacy area
        Assert.Equal(Enumerable.Repeat((byte)0x8A, 16), t[2].FpState!.YmmHigh![10]);
        Assert.Null(t[3].FpState!.YmmHigh);
        Assert.Equal(576, t[3].XState!.Length);
    }

    [Fact]
    public void ArgvComesFromPsStringsWhenMemoryHasItElsePrPsargs()
    {
        using (var core = Load(CoreImage.Sample()))
        {
            Assert.Equal(["prog", "-x"], core.Process.ArgumentVector);
            Assert.Equal("prog -x", core.Process.Arguments);
            Assert.Equal("ps_strings", core.Process.ArgumentsSource);
            Assert.Equal("prog -x", core.Process.PsArgs);
        }

        // Memory stripped (PT_LOADs past the end of the file): pr_psargs is all there is.
        var stripped = CoreImage.Sample();
        for (int i = 0; i < stripped.Loads.Count; i++) stripped.Loads[i] = stripped.Loads[i] with { FileOffset = 1UL << 40 };
        using (var core = Load(stripped))
        {
            Assert.Null(core.Process.ArgumentVector);
            Assert.Equal("prog -x", core.Process.Arguments);
            Assert.Equal("NT_PRPSINFO", core.Process.ArgumentsSource);
        }
    }

    [Fact]
    public void OsRelDateIsTheSystemsNotTheExecutables()
    {
        using (var core = Load(CoreImage.Sample()))
        {
            Assert.Equal(1400097, core.Process.FreeBsd!.OsRelDate);            // AT_OSRELDATE
            Assert.Equal("AT_OSRELDATE", core.Process.FreeBsd!.OsRelDateSource);
            Assert.Equal(1300139, core.Process.FreeBsd!.ExecutableOsRelDate);  // p_osrel of NT_PROCSTAT_OSREL
        }
        using (var core = Load(new CoreImage().Note(1, CoreImage.PrStatus(1, osreldate: 1302001)).Note(14, CoreImage.Prefixed(4, BitConverter.GetBytes(1201000)))))
        {
            Assert.Equal(1302001, core.Process.FreeBsd!.OsRelDate);
            Assert.Equal("pr_osreldate", core.Process.FreeBsd!.OsRelDateSource);
        }
        using (var core = Load(new CoreImage().Note(1, CoreImage.PrStatus(1, osreldate: 0)).Note(14, CoreImage.Prefixed(4, BitConverter.GetBytes(1201000)))))
        {
            Assert.Equal(1201000, core.Process.FreeBsd!.OsRelDate);
            Assert.StartsWith("NT_PROCSTAT_OSREL", core.Process.FreeBsd!.OsRelDateSource);
        }
    }

    [Fact]
    public void PidComesFromKinfoProcWhenPrPsInfoLeavesItZero()
    {
        var image = new CoreImage().Note(3, CoreImage.PrPsInfo("p", "p", 0)).Note(1, CoreImage.PrStatus(7))
            .Note(8, CoreImage.ProcstatProc(CoreImage.KinfoProc(1728, 7, ppid: 1342)));
        using var core = Load(image);
        Assert.Equal(1728, core.Process.Pid);
        Assert.Equal("kinfo_proc", core.Process.PidSource);
        Assert.Equal(1342, core.Process.ParentPid);
    }

    [Fact]
    public void PerThreadNotesWithoutAThreadAreReported()
    {
        var shortStatus = CoreImage.PrStatus(2)[..100];
        var image = new CoreImage().Note(7, CoreImage.ThrMisc("orphan")).Note(1, CoreImage.PrStatus(1))
            .Note(1, shortStatus).Note(2, CoreImage.FpRegs());
        using var core = Load(image);
        Assert.Single(core.Threads);
        Assert.Null(core.Threads[0].FpState);
        Assert.Contains(core.Warnings, w => w.Contains("before any NT_PRSTATUS", StringComparison.Ordinal));
        Assert.Contains(core.Warnings, w => w.Contains("100-byte descriptor", StringComparison.Ordinal));
        Assert.Contains(core.Warnings, w => w.Contains("follows an unusable NT_PRSTATUS", StringComparison.Ordinal));
    }

    [Fact]
    public void ProducerIsToldFromWhatEachWritesDifferently()
    {
        // Kernel (fatal signal): pr_cursig set, true protections (spec §3.1, §1.2).
        using (var core = Load(CoreImage.Sample()))
        {
            Assert.Equal(CoreProducer.Kernel, core.Producer);
            Assert.Contains(core.ProducerEvidence, e => e.Contains("pr_cursig is 11", StringComparison.Ordinal));
            Assert.Contains(core.ProducerEvidence, e => e.Contains("not writable", StringComparison.Ordinal));
        }

        // gcore: pr_cursig 0, every PT_LOAD forced R|W, the attach SIGSTOP in NT_PTLWPINFO (spec §1.2, §7.3).
        CoreImage Gcore() => new CoreImage()
            .Note(3, CoreImage.PrPsInfo("p", "p", 5))
            .Note(1, CoreImage.PrStatus(10)).Note(7, CoreImage.ThrMisc("p")).Note(17, CoreImage.LwpInfo(10, "p", @event: 1, flags: 0x20, signo: 17))
            .Note(1, CoreImage.PrStatus(11)).Note(7, CoreImage.ThrMisc("p")).Note(17, CoreImage.LwpInfo(11, "p"))
            .Note(8, CoreImage.ProcstatProc(CoreImage.KinfoProc(5, 10), CoreImage.KinfoProc(5, 11)))
            .Load(new CoreImage.Segment(0x400000, new byte[64], Flags: 7)).Load(new CoreImage.Segment(0x600000, new byte[64], Flags: 6));
        using (var core = Load(Gcore()))
        {
            Assert.Equal(CoreProducer.Gcore, core.Producer);
            Assert.Contains(core.ProducerEvidence, e => e.Contains("SIGSTOP", StringComparison.Ordinal));
            Assert.Contains(core.ProducerEvidence, e => e.Contains("PF_W", StringComparison.Ordinal));
        }

        // gcore -k (the kernel writes the core of a ptrace-stopped process): no signal, true protections.
        var gcoreK = Gcore();
        gcoreK.Loads[0] = gcoreK.Loads[0] with { Flags = 5 };
        using (var core = Load(gcoreK))
            Assert.Equal(CoreProducer.Kernel, core.Producer);

        // Kernel thread order: the dumping thread first, unlike kinfo_proc's p_threads order (spec §2.3).
        var reordered = new CoreImage()
            .Note(1, CoreImage.PrStatus(11, cursig: 6)).Note(7, CoreImage.ThrMisc("p"))
            .Note(1, CoreImage.PrStatus(10, cursig: 6)).Note(7, CoreImage.ThrMisc("p"))
            .Note(8, CoreImage.ProcstatProc(CoreImage.KinfoProc(5, 10), CoreImage.KinfoProc(5, 11)));
        using (var core = Load(reordered))
        {
            Assert.Equal(CoreProducer.Kernel, core.Producer);
            Assert.Contains(core.ProducerEvidence, e => e.Contains("p_threads order", StringComparison.Ordinal));
        }

        // gdb: no NT_THRMISC, no NT_PROCSTAT_PROC, its own "GDB" note, "CORE"-named register notes.
        var gdb = new CoreImage()
            .Note(3, CoreImage.PrPsInfo("p", "p", 5), name: "CORE")
            .Note(1, CoreImage.PrStatus(10, registers: Regs(("rip", 0x1234))), name: "CORE").Note(2, CoreImage.FpRegs(), name: "CORE")
            .Note(10, CoreImage.Prefixed(1160, CoreImage.KinfoVmEntry(0x1000, 0x2000, 1)))
            .Note(0x6000, "<target/>"u8.ToArray(), name: "GDB");
        using (var core = Load(gdb))
        {
            Assert.Equal(CoreProducer.Gdb, core.Producer);
            Assert.Equal(0x1234UL, Assert.Single(core.Threads).Registers.Rip);
            Assert.Contains(core.ProducerEvidence, e => e.Contains("\"GDB\"", StringComparison.Ordinal));
        }

        // A gdb core cut short before its "GDB" note: the "CORE" note names still tell.
        var cutGdb = gdb.Build(out var layout)[..(layout.NoteOffsets[3] + 2)];
        using (var core = CoreFile.Load(ByteSource.FromBytes(cutGdb)))
        {
            Assert.Equal(CoreProducer.Gdb, core.Producer);
            Assert.Contains(core.ProducerEvidence, e => e.Contains("\"CORE\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void CorruptStartTimeDoesNotThrow()
    {
        var kinfo = CoreImage.KinfoProc(5, 1);
        BinaryPrimitives.WriteInt64LittleEndian(kinfo.AsSpan(336), 1_600_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(kinfo.AsSpan(344), 300_000_000_000_000_000); // tv_usec: 9,500 years past 2020
        using var core = Load(new CoreImage().Note(1, CoreImage.PrStatus(1)).Note(8, CoreImage.ProcstatProc(kinfo)));
        Assert.Null(core.Process.StartTime);
    }
}
